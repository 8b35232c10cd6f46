"""The CLI skeleton: help, version, one-line errors with exit code 2, doctor."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_help_lists_commands():
    r = _run("--help")
    assert r.returncode == 0
    for cmd in ("learn", "doctor"):
        assert cmd in r.stdout


def test_data_dir_that_is_a_file_exits_2_with_one_line(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    r = _run("--data-dir", str(f), "doctor")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "is a file" in r.stderr


def test_doctor_json(tmp_path):
    r = _run("--data-dir", str(tmp_path / "d"), "doctor", "--json")
    out = json.loads(r.stdout)
    names = {c["name"] for c in out["checks"]}
    assert {"python", "llama.cpp", "torch", "data directory", "free disk"} <= names
    dd = next(c for c in out["checks"] if c["name"] == "data directory")
    assert dd["ok"] is True
    assert r.returncode == (0 if out["ok"] else 1)
    emb = next(c for c in out["checks"] if c["name"] == "embedder")
    assert emb["ok"] is True and "ONNX" in emb["detail"]  # and doctor did not build it


def test_broken_config_and_damaged_store_exit_2_with_one_line(tmp_path):
    """A config.toml that is not TOML, and a state.sqlite that is not a database: one
    line that says what to do, exit 2, no traceback."""
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text("me = [unclosed\n")
    r = _run("--data-dir", str(tmp_path / "d0"), "sources", env={"OWNVOICE_CONFIG_DIR": str(cfg)})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "not valid TOML" in r.stderr and "Fix or delete" in r.stderr
    data = tmp_path / "d1"
    data.mkdir()
    (data / "state.sqlite").write_bytes(b"this is not a database, just bytes " * 200)
    r = _run("--data-dir", str(data), "sources", env={"OWNVOICE_CONFIG_DIR": str(tmp_path / "cfg2")})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "is damaged" in r.stderr and "import" in r.stderr
    assert (data / "state.sqlite").read_bytes().startswith(b"this is not a database")  # left as it was


def test_doctor_on_a_fresh_install_passes_with_gemma_not_yet_assembled(tmp_path):
    """Gemma-3 is assembled from its packages on first use: before that, doctor says so
    and how to do it now, and that is not a failure."""
    fresh = tmp_path / "cache"
    r = _run("--data-dir", str(tmp_path / "d"), "doctor", "--json", env={"OWNVOICE_CACHE_DIR": str(fresh)})
    out = json.loads(r.stdout)
    gemma = next(c for c in out["checks"] if c["name"] == "model gemma3")
    assert gemma["ok"] is True and "not assembled yet" in gemma["detail"] and "--prepare gemma3" in gemma["detail"]
    assert not (fresh / "models" / "gemma-3-270m-q4_k_m.gguf").exists()  # doctor assembled nothing
    assert r.returncode == (0 if out["ok"] else 1) and all(c["ok"] for c in out["checks"] if "model" in c["name"])


def test_data_dir_works_after_the_command_too(tmp_path):
    from app.cli import build_parser

    p = build_parser()
    after = p.parse_args(["sources", "--data-dir", str(tmp_path / "a")])
    before = p.parse_args(["--data-dir", str(tmp_path / "b"), "sources"])
    neither = p.parse_args(["sources"])
    assert after.data_dir == str(tmp_path / "a") and before.data_dir == str(tmp_path / "b")
    assert neither.data_dir is None and neither.allow_remote_store is False
    assert p.parse_args(["import", "x.mbox", "--allow-remote-store"]).allow_remote_store is True
    r = _run("doctor", "--json", "--data-dir", str(tmp_path / "c"))
    dd = next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "data directory")
    assert str(tmp_path / "c") in dd["detail"]


def test_doctor_names_the_llama_cpp_backends():
    """The real build here is CPU only; a CUDA build's system info line (as llama.cpp
    prints it) is parsed from a stand-in module, since no CUDA build exists here."""
    import types

    import llama_cpp

    from app.doctor import llama_backends

    assert llama_backends(llama_cpp) == ["CPU"]
    cuda = types.SimpleNamespace(llama_print_system_info=lambda: b"CUDA : ARCHS = 900 | USE_GRAPHS = 1 | "
                                 b"PEER_MAX_BATCH_SIZE = 128 | CPU : SSE3 = 1 | AVX2 = 1 | ")
    assert llama_backends(cuda) == ["CUDA", "CPU"]
