"""The memory estimate against memory measured on the embedded models: llama.cpp
drafting and a LoRA training step, each in its own process (peak RSS is per process)."""

from __future__ import annotations

import pytest

# the measuring scripts are the benchmark's (bench/bench_memory.py), run smaller here
from bench.bench_memory import measure_drafting, measure_training
from trainer.runtime.gguf_check import check_gguf
from trainer.runtime.memory import GiB, MiB, estimate, shape_of, verdict
from trainer.runtime.models import resolve_model


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
    from trainer.runtime.memory import CUDA_CONTEXT

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
    got = measure_drafting(path, 2048, threads=1)
    e = estimate(path, n_ctx=2048)
    used = got["peak"] - got["before"]
    assert 0.8 * used <= e.drafting <= 1.25 * used, (e.to_json(), used)


@pytest.mark.slow
def test_training_estimate_is_close_to_measured():
    got = measure_training("smollm2", steps=2, threads=1)
    e = estimate(resolve_model("smollm2").path, batch_tokens=got["tokens"], rank=8, device="cpu")
    assert 0.8 * got["peak"] <= e.training <= 1.25 * got["peak"], (e.to_json(), got)
