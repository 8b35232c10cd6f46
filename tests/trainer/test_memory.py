"""The memory estimate against memory measured on the embedded models: llama.cpp
drafting and a LoRA training step, each in its own process (peak RSS is per process)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from trainer.gguf_check import check_gguf
from trainer.memory import GiB, MiB, estimate, shape_of, verdict
from trainer.models import resolve_model

# peak RSS from VmHWM: ru_maxrss would carry the parent's peak across fork and exec
HWM = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024"
DRAFT = r"""
import json, sys
from llama_cpp import Llama
before = HWM
llm = Llama(model_path=sys.argv[1], n_ctx=int(sys.argv[2]), n_threads=1, verbose=False, n_gpu_layers=0)
llm.create_completion("Dear Sam, thanks for the note about the cider. " * 40, max_tokens=8)
print(json.dumps({"before": before, "peak": HWM}))
""".replace("HWM", HWM)

TRAIN = r"""
import json
import ingest  # privacy switches
from tests.trainer.lora.run_recipe import pairs
from trainer.lora.dataset import Formatter, build_examples, pack
from trainer.lora.hf_load import load_hf
from trainer.lora.train import Recipe, TrainSettings
from trainer.models import resolve_model
from dataclasses import replace
model, tok = load_hf(resolve_model("smollm2").path)
ps = [replace(p, reply_text=(p.reply_text + " ") * 12) for p in pairs()]
rows = pack(build_examples(Formatter(tok, seq_len=512), ps), 512, tok.pad_token_id, seed=0)
s = TrainSettings(rank=8, alpha=16, max_steps=2, seq_len=512, batch_rows=1, grad_accum=1, eval_every=10**9,
                  checkpoint_every=0, max_heldout=0, device="cpu", threads=1)
r = Recipe(model, rows[:2], [], s, pad_id=tok.pad_token_id)
r.setup()
r.train()
print(json.dumps({"tokens": max(x.n_real for x in rows[:2]), "peak": HWM}))
""".replace("HWM", HWM)


def _run(code: str, *args: str) -> dict:
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_shape_comes_from_the_header():
    s = shape_of(check_gguf(resolve_model("smollm2").path))
    assert (s.arch, s.layers, s.hidden, s.heads, s.kv_heads, s.head_dim, s.ffn, s.vocab) == \
        ("llama", 30, 576, 9, 3, 64, 1536, 49152)
    assert 130e6 < s.params < 140e6
    # what the file stores, tensor by tensor, is the file less its header
    info = resolve_model("smollm2")
    assert 0.97 * info.size_bytes < s.stored_bytes <= info.size_bytes
    e = estimate(info.path, n_ctx=2048)
    assert e.kv_cache == 2 * 30 * 2048 * 3 * 64 * 2


def test_verdicts_say_where_it_fits():
    e = estimate(resolve_model("smollm2").path, n_ctx=4096, device="cuda")
    assert verdict(e, gpu_bytes=24 * GiB, ram_bytes=16 * GiB).drafting == "gpu"
    from trainer.memory import CUDA_CONTEXT

    need = e.kv_cache + e.compute + e.shape.other_bytes + CUDA_CONTEXT + sum(e.shape.layer_bytes[:10]) + 1
    v = verdict(e, gpu_bytes=int(need / 0.9) + 1, ram_bytes=16 * GiB)
    assert v.drafting == "partial" and v.gpu_layers == 10 and "10 of 30 layers" in v.text, v
    assert verdict(e, gpu_bytes=0, ram_bytes=16 * GiB).drafting == "cpu"
    assert verdict(e, gpu_bytes=0, ram_bytes=10 * MiB).drafting == "too big"
    cpu = estimate(resolve_model("smollm2").path, batch_tokens=4096, device="cpu")
    tight = verdict(cpu, ram_bytes=int(cpu.training_at(1024) / 0.9))
    assert tight.training == "cpu" and 900 <= tight.max_batch_tokens <= 1100, tight


@pytest.mark.slow
def test_drafting_estimate_is_close_to_measured():
    path = str(resolve_model("smollm2").path)
    got = _run(DRAFT, path, "1024")
    e = estimate(path, n_ctx=1024)
    used = got["peak"] - got["before"]
    assert 0.8 * used <= e.drafting <= 1.25 * used, (e.to_json(), used)


@pytest.mark.slow
def test_training_estimate_is_close_to_measured():
    got = _run(TRAIN)
    e = estimate(resolve_model("smollm2").path, batch_tokens=got["tokens"], rank=8, device="cpu")
    assert 0.8 * got["peak"] <= e.training <= 1.25 * got["peak"], (e.to_json(), got)
