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
