"""Damaged artifacts: each gives a clear one-line UserError with a way out, never a crash.

- a voice pack whose manifest was cut mid-file, or whose style prompt is gone;
- a LoRA adapter (adapter.gguf) cut short: drafting with variant lora reports it
  unavailable or raises a clear error - llama.cpp never sees the file;
- a LoRA training checkpoint cut short: a clear error that offers a fresh start;
- a GGUF model cut short.

CLI runs happen in a subprocess, so a llama.cpp abort would show as a signal exit code
instead of taking pytest down.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ingest.kernel.errors import UserError


def _cut(path: Path, keep: float | int) -> None:
    data = path.read_bytes()
    n = keep if isinstance(keep, int) else int(len(data) * keep)
    path.write_bytes(data[:n])


def _one_line_error(res) -> str:  # noqa: ANN001
    assert res.returncode == 2, (res.returncode, res.stdout[-2000:], res.stderr[-4000:])
    assert "Traceback" not in res.stderr, res.stderr[-4000:]
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error:"), res.stderr[-2000:]
    return " ".join(lines).lower()


# -- voice pack -------------------------------------------------------------------------
@pytest.fixture
def pack(data_dir):
    from trainer.voicepack import VoicePack

    pk = VoicePack.open(data_dir)
    pk.write_text("style_prompt.md", "Short sentences. Signs off 'cheers, W.'\n")
    pk.set_route("pld", {"rules": 5, "style_prompt": "style_prompt.md"})
    return pk


@pytest.mark.parametrize("keep", [0.5, 0.9, 1, 0])
def test_truncated_manifest_is_a_clear_error(pack, keep):
    from trainer.voicepack import VoicePack

    _cut(pack.file("manifest.json"), keep)
    for load in (lambda: VoicePack.load(pack.path), lambda: VoicePack.open(pack.path.parents[1])):
        with pytest.raises(UserError) as e:
            load()
        assert "manifest" in str(e.value) and "ownvoice learn" in str(e.value)


def test_truncated_manifest_through_cli_draft(pack, run_cli):
    _cut(pack.file("manifest.json"), 0.5)
    msg = _one_line_error(run_cli("draft", "--text", "Hello Wren, can we order?", "--variants", "pld",
                                  "--json", timeout=300))
    assert "manifest" in msg and "ownvoice learn" in msg


def test_missing_style_prompt_makes_pld_unavailable(pack, run_cli):
    pack.file("style_prompt.md").unlink()
    res = run_cli("draft", "--text", "Hello Wren, can we order?", "--variants", "pld", "--json",
                  timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert out["drafts"] == [] and "pld" in out["unavailable"]
    assert "learn" in out["unavailable"]["pld"]


def test_unreadable_style_prompt_is_a_clear_error(pack):
    from ingest.kernel.config import Config
    from ingest.kernel.records import Message
    from trainer.draft.drafting import plan_variants
    from trainer.runtime.pool import get_runtime

    pack.file("style_prompt.md").write_bytes(b"\xff\xfe\x00 not utf-8 \xc3")
    with pytest.raises(UserError) as e:
        plan_variants(["pld"], Message(source="t", item="t", text="hi"), store=None, pack=pack,
                      config=Config(), rt=get_runtime("smollm2"))
    assert "style prompt" in str(e.value)


# -- LoRA adapter -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def adapter_file(tmp_path_factory) -> Path:
    """A real (zero-effect) GGUF LoRA adapter for SmolLM2: layer 0 q/v projections."""
    from trainer.learn.lora.export import write_gguf_adapter
    from trainer.learn.lora.hf_load import gguf_facts, read_gguf_kv
    from trainer.runtime.models import resolve_model

    base = resolve_model("smollm2").path
    facts = gguf_facts(base)
    kv = read_gguf_kv(base)
    hidden = int(kv[f"{facts.arch}.embedding_length"])
    kv_dim = hidden // facts.n_head * facts.n_head_kv
    r = 4
    state = {}
    for mod, out in (("q_proj", hidden), ("v_proj", kv_dim)):
        key = f"base_model.model.model.layers.0.self_attn.{mod}"
        state[f"{key}.lora_A.weight"] = np.full((r, hidden), 0.01, np.float32)
        state[f"{key}.lora_B.weight"] = np.zeros((out, r), np.float32)
    p = tmp_path_factory.mktemp("adapter") / "adapter.gguf"
    write_gguf_adapter(p, state, facts, alpha=8.0)
    return p


def _install_adapter(pack, adapter_file: Path) -> Path:  # noqa: ANN001
    from trainer.runtime.models import resolve_model

    dst = pack.file("adapter/adapter.gguf")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(adapter_file, dst)
    pack.set_route("lora", {"adapter": "adapter/adapter.gguf",
                            "base_model": {"name": "smollm2", "sha256": resolve_model("smollm2").sha256}})
    return dst


def test_complete_adapter_loads(adapter_file):
    """The control: the untouched adapter is accepted by llama.cpp."""
    from trainer.runtime.pool import get_runtime

    rt = get_runtime("smollm2")
    rt.set_adapter(adapter_file)
    try:
        assert rt.adapter is not None
    finally:
        rt.set_adapter(None)


@pytest.mark.parametrize("keep", [0.5, 0.97, 200, 10])
def test_truncated_adapter_never_reaches_llama_cpp(pack, adapter_file, run_cli, keep):
    dst = _install_adapter(pack, adapter_file)
    _cut(dst, keep)
    res = run_cli("draft", "--text", "Hello Wren, can we order?", "--variants", "lora", "--json",
                  "--max-tokens", "8", timeout=300)
    assert res.returncode in (0, 2), (res.returncode, res.stderr[-3000:])  # never a signal
    if res.returncode == 0:
        out = json.loads(res.stdout)
        assert out["drafts"] == [] and "lora" in out["unavailable"], out
    else:
        msg = _one_line_error(res)
        assert "adapter" in msg and ("truncated" in msg or "damaged" in msg or "not a gguf" in msg)
        assert "retrain" in msg or "learn" in msg or "re-export" in msg, msg


# -- LoRA checkpoint --------------------------------------------------------------------
@pytest.fixture
def checkpoint(tmp_path) -> Path:
    import torch

    from trainer.learn.lora import checkpoint as ckpt

    torch.manual_seed(0)
    lin = torch.nn.Linear(8, 4)
    opt = torch.optim.AdamW(lin.parameters(), lr=1e-3)
    lin(torch.randn(3, 8)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt"
    ckpt.save(path, adapter={"cur.w": lin.weight.detach()}, optimizer=opt,
              state={"step": 1, "epoch": 0, "cursor": 3, "settings": {"rank": 4}})
    ckpt.load(path)  # the control: it loads whole
    return path


@pytest.mark.parametrize("damage", ["adapter.safetensors:0.5", "optimizer.safetensors:0.3",
                                    "rng.safetensors:20", "state.json:0.5", "state.json:0",
                                    "adapter.safetensors:rm", "state.json:rm"])
def test_truncated_checkpoint_offers_a_fresh_start(checkpoint, damage):
    from trainer.learn.lora import checkpoint as ckpt

    name, how = damage.split(":")
    f = checkpoint / name
    if how == "rm":
        f.unlink()
    else:
        _cut(f, float(how) if "." in how else int(how))
    with pytest.raises(UserError) as e:
        ckpt.load(checkpoint)
    msg = str(e.value)
    assert "checkpoint" in msg and "fresh" in msg.lower() and "\n" not in msg


# -- GGUF model ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def smol_path() -> Path:
    from trainer.runtime.models import resolve_model

    return resolve_model("smollm2").path


@pytest.mark.parametrize("keep", [0.6, 0.999, 100_000, 30])
def test_truncated_model_is_a_clear_error(tmp_path, smol_path, keep):
    from trainer.runtime.models import resolve_model

    bad = tmp_path / "cut.gguf"
    with open(smol_path, "rb") as f:
        n = keep if isinstance(keep, int) else int(smol_path.stat().st_size * keep)
        bad.write_bytes(f.read(n))
    with pytest.raises(UserError) as e:
        resolve_model(str(bad))
    msg = str(e.value)
    assert str(bad) in msg and ("truncated" in msg or "not a GGUF" in msg) and "\n" not in msg


def test_truncated_model_through_cli_draft(tmp_path, smol_path, run_cli):
    bad = tmp_path / "cut.gguf"
    with open(smol_path, "rb") as f:
        bad.write_bytes(f.read(smol_path.stat().st_size // 2))
    msg = _one_line_error(run_cli("draft", "--text", "Hello Wren", "--variants", "base", "--model",
                                  str(bad), "--json", timeout=300))
    assert "truncated" in msg and "gguf" in msg
