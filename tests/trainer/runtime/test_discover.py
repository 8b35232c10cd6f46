"""Finding the GGUF models other local-model apps keep: a home folder laid out as LM
Studio, Ollama, GPT4All, the Hugging Face cache and llama.cpp lay theirs out, with tiny
real GGUF files written by the ``gguf`` package. Discovery reads them and changes
nothing; adapters and damaged files are skipped with a reason."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trainer.student_helpers import tiny_model, write_lora_adapter
from trainer.runtime.discover import discover

@pytest.fixture()
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    tiny_model(h / ".lmstudio/models/bartowski/Qwen2.5-1.5B-Instruct-GGUF/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
               arch="qwen2", ctx=32768, size_label="1.5B")
    tiny_model(h / ".cache/lm-studio/models/old/phi3-mini.gguf", arch="phi3", chat=True)
    # Ollama: a manifest names the model layer; the blob has no extension
    tiny_model(h / ".ollama/models/blobs" / ("sha256-" + "ab" * 32), arch="llama", size_label="8B", file_type=7)
    manifest = h / ".ollama/models/manifests/registry.ollama.ai/library/llama3.1/8b"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"layers": [
        {"mediaType": "application/vnd.ollama.image.license", "digest": "sha256:" + "cd" * 32},
        {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + "ab" * 32}]}))
    (h / ".ollama/models/manifests/registry.ollama.ai/library/broken").mkdir(parents=True)
    (h / ".ollama/models/manifests/registry.ollama.ai/library/broken/latest").write_text("{not json")
    tiny_model(h / ".local/share/nomic.ai/GPT4All/mistral-7b-instruct.gguf", arch="mistral")
    # the Hugging Face cache: the snapshot's file is a symlink to a blob
    hub = h / ".cache/huggingface/hub/models--google--gemma-2-2b-it-GGUF"
    real = tiny_model(hub / "blobs" / ("ef" * 32), arch="gemma2", ctx=8192)
    snap = hub / "snapshots/abc123/gemma-2-2b-it-Q8_0.gguf"
    snap.parent.mkdir(parents=True)
    snap.symlink_to(real)
    tiny_model(h / ".cache/llama.cpp/TinyLlama-1.1B-base.gguf", arch="llama", chat=False)
    write_lora_adapter(h / ".cache/llama.cpp/some-adapter.gguf")
    (h / ".cache/llama.cpp/cut-short.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 10)
    (h / ".cache/llama.cpp/notes.txt").write_text("not a model")
    return h


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if not p.is_symlink():
                out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    return out


def test_each_apps_folder_is_found_and_nothing_is_touched(home, tmp_path):
    mine = tmp_path / "my-models"
    tiny_model(mine / "sub" / "my-finetune.gguf", arch="qwen3", ctx=40960)
    before = _snapshot(home), _snapshot(mine)
    found, skipped = discover(home=home, env={}, extra=[mine])
    by = {f.name: f for f in found}
    assert set(by) == {"Qwen2.5-1.5B-Instruct-Q4_K_M", "phi3-mini", "llama3.1:8b", "mistral-7b-instruct",
                       "google/gemma-2-2b-it-GGUF/gemma-2-2b-it-Q8_0.gguf", "TinyLlama-1.1B-base", "my-finetune"}
    q = by["Qwen2.5-1.5B-Instruct-Q4_K_M"]
    assert (q.source, q.arch, q.params, q.quant, q.context_length, q.instruct) == (
        "lmstudio", "qwen2", "1.5B", "Q4_K_M", 32768, True)
    assert q.size_bytes == q.path.stat().st_size
    assert (by["llama3.1:8b"].source, by["llama3.1:8b"].params, by["llama3.1:8b"].quant) == ("ollama", "8B", "Q8_0")
    assert by["phi3-mini"].source == "lmstudio" and by["mistral-7b-instruct"].source == "gpt4all"
    hf = by["google/gemma-2-2b-it-GGUF/gemma-2-2b-it-Q8_0.gguf"]
    assert hf.source == "huggingface" and hf.arch == "gemma2" and hf.path.is_symlink()  # listed where it is
    base = by["TinyLlama-1.1B-base"]
    assert base.source == "llama.cpp" and base.instruct is False
    assert base.params == "4K"  # counted from its tensors (no size label): 4,096 weights
    assert by["my-finetune"].source == "folder" and by["my-finetune"].arch == "qwen3"
    reasons = {p.path.name: r for p, r in ((s, s.reason) for s in skipped)}
    assert "LoRA adapter" in reasons["some-adapter.gguf"]
    assert "cut-short.gguf" in reasons
    assert "notes.txt" not in reasons  # not a .gguf: not looked at
    assert (_snapshot(home), _snapshot(mine)) == before  # read only: nothing written, nothing moved


def test_nothing_found_is_an_empty_list(tmp_path):
    assert discover(home=tmp_path / "empty", env={}) == ([], [])


def test_env_overrides_the_default_places(home, tmp_path):
    moved = tmp_path / "ollama-elsewhere"
    os.rename(home / ".ollama/models", moved)
    found, _ = discover(home=home, env={"OLLAMA_MODELS": str(moved)})
    assert "llama3.1:8b" in {f.name for f in found}


def test_cli_models_json_lists_them_with_the_new_fields(home, tmp_path):
    mine = tmp_path / "extra"
    tiny_model(mine / "x.gguf", arch="qwen2")
    env = {**os.environ, "HOME": str(home), "HF_HUB_CACHE": "", "HF_HOME": "", "LLAMA_CACHE": "", "OLLAMA_MODELS": ""}
    r = subprocess.run([sys.executable, "-m", "app", "models", "--json", "--dir", str(mine)], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {"smollm2", "gemma3"} <= {x["name"] for x in rows}
    found = [x for x in rows if x["source"] not in ("embedded", "user")]
    assert {x["name"] for x in found} >= {"llama3.1:8b", "x", "Qwen2.5-1.5B-Instruct-Q4_K_M"}
    for x in found:
        assert {"name", "path", "arch", "source", "params", "quant", "context_length", "instruct",
                "size_bytes"} <= set(x)
    # drafting works with any architecture; the LoRA column says which trainer.learn.lora.archs covers
    from trainer.learn.lora.archs import ARCHS

    assert all(x["lora"] == (x["arch"] in ARCHS) for x in rows)
    assert {x["lora"] for x in found} == {True, False}  # the fixture's arch "mistral" has no row
