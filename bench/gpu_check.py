"""GPU smoke check: LoRA training speed on CUDA, adapter parity with llama.cpp, decode speed.

    python bench/gpu_check.py [--device auto|cuda|cpu] [--shape llama-1b|smollm2|tiny]
                              [--steps N] [--model PATH.gguf] [--peak-tflops X]

Run by bench/gpu_check.sh on a CUDA machine (which also installs the wheels it needs).
No GPU and ``--device auto``: one JSON line that says so, exit 0. ``--device cpu
--shape tiny --steps 2`` runs the same path on a CPU in seconds (the test does).

1. The model: ``--model`` (a GGUF file), else a random-weight model of the chosen shape
   (bench/synth_models.py; float16, a padded sentencepiece vocabulary), so the check
   needs no model package and no download. Speed does not depend on the weights' values.
2. Training: the real recipe (``trainer.learn.lora.train.Recipe``: packed rows, bf16 autocast
   where the GPU supports it, the architecture's LoRA targets) on synthetic reply
   pairs, ``--steps`` optimizer steps. Reported: tokens/s, and MFU = 6 N tokens/s over
   the GPU's peak bf16 FLOP/s (the usual convention; LoRA skips the base's weight
   gradients, so the work done is nearer 4 N, and this MFU overstates by about 1.5x).
   The peak comes from the GPU's name (H100/H200 989 TFLOP/s dense bf16, A100 312,
   L40S 362, L4 121, RTX 4090 165, RTX 3090 71) or ``--peak-tflops``; unknown: null.
3. Parity: the trained adapter exported to GGUF and applied by llama.cpp (a CPU build is
   enough) against torch in float32: next-token top-1 agreement, logit correlation
   and the correlation of the adapter's effect, on sequences it never trained on.
4. Where llama.cpp has a GPU backend: decode tokens/s with every layer offloaded.

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PEAK_BF16_TFLOPS = {"h200": 989.0, "h100": 989.0, "a100": 312.0, "l40s": 362.0, "l4": 121.0,
                    "rtx 4090": 165.0, "rtx 3090": 71.0, "a10g": 125.0, "rtx a6000": 155.0}

REPLIES = [
    ("Can you send me the storage report?", "Sure, I will send it over this afternoon."),
    ("Are we still on for lunch Tuesday?", "Yes, Tuesday works. Let us meet at noon downstairs."),
    ("Please review the attached gas curves.", "Looks fine to me. Go ahead and post them."),
    ("Did the West desk close the deal?", "Not yet. I will call them in the morning and let you know."),
    ("What time is the conference call?", "It is at 2pm Houston time. Dial in is the usual number."),
    ("Can Ina book the trip to Portland?", "Please ask Ina to book it for next Thursday and Friday."),
    ("Do you want the new spreadsheet?", "Yes, please email it to me when it is ready."),
    ("The bid came in lower than expected.", "That is fine. We can live with it for now."),
]
PARITY_TEXTS = ["Thanks for the update on the gas storage numbers. Can you send me the final version by Friday?",
                "The meeting with the Houston team moved to 3pm. Let me know if that works for you."]


def peak_tflops(name: str, given: float | None) -> float | None:
    if given:
        return given
    low = name.lower()
    for key, value in PEAK_BF16_TFLOPS.items():
        if key in low:
            return value
    return None


def no_gpu(reason: str) -> int:
    print(json.dumps({"gpu": False, "reason": reason}))
    return 0


def _pairs(n: int) -> list:
    from datetime import datetime, timedelta, timezone

    from ingest.kernel.records import ReplyPair

    t0 = datetime(2001, 1, 1, tzinfo=timezone.utc)
    base = REPLIES * (n // len(REPLIES) + 1)
    return [ReplyPair(reply_id=f"r{i:04d}", message_id=None, message_text=f"{m} ({i})", message_sender="x@example.com",
                      message_subject="re", reply_text=r, date=t0 + timedelta(hours=i))
            for i, (m, r) in enumerate(base[:n])]


def _rowcorr(a, b) -> float:  # noqa: ANN001
    import numpy as np

    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    na, nb = (a * a).sum(1), (b * b).sum(1)
    ok = (na > 1e-8) & (nb > 1e-8)
    return float(np.mean((a * b).sum(1)[ok] / np.sqrt(na[ok] * nb[ok])))


def parity(model, tok, rt, adapter: Path, device: str) -> dict:  # noqa: ANN001
    """torch (float32) against llama.cpp with and without the exported adapter."""
    import numpy as np
    import torch

    model = model.float().to(device).eval()
    top1, corr, eff = [], [], []
    for text in PARITY_TEXTS:
        ids = ([tok.bos_token_id] if tok.bos_token_id is not None else []) + tok.encode(text, add_special_tokens=False)
        x = torch.tensor([ids], device=device)
        with torch.no_grad():
            t_ad = model(input_ids=x).logits[0].float().cpu().numpy()
            with model.disable_adapter():
                t_base = model(input_ids=x).logits[0].float().cpu().numpy()
        rt.set_adapter(None)
        l_base = rt.logits(ids)
        rt.set_adapter(adapter)
        l_ad = rt.logits(ids)
        rt.set_adapter(None)
        top1.append(float(np.mean(t_ad.argmax(1) == l_ad.argmax(1))))
        corr.append(_rowcorr(t_ad, l_ad))
        eff.append(_rowcorr(t_ad - t_base, l_ad - l_base))
    return {"top1": round(float(np.mean(top1)), 4), "logit_corr": round(float(np.mean(corr)), 5),
            "effect_corr": round(float(np.mean(eff)), 5)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto")
    ap.add_argument("--shape", choices=("llama-1b", "smollm2", "tiny"), default="llama-1b")
    ap.add_argument("--model", default=None, help="a GGUF file instead of a random-weight model")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch-rows", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=32000, help="the random model's vocabulary size")
    ap.add_argument("--peak-tflops", type=float, default=None)
    ap.add_argument("--decode-tokens", type=int, default=128)
    a = ap.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch
    except ImportError:
        return no_gpu("torch is not installed")
    if a.device == "auto":
        if not torch.cuda.is_available():
            return no_gpu("no CUDA GPU visible to torch" + (f" (torch {torch.__version__})"))
        a.device = "cuda"
    elif a.device == "cuda" and not torch.cuda.is_available():
        return no_gpu("--device cuda, but torch sees no CUDA GPU")

    from bench.synth_models import SHAPES, write_tiny_gguf
    from ingest.kernel.jobs import no_progress
    from trainer.learn.lora.archs import arch_for
    from trainer.learn.lora.dataset import Formatter, build_examples, pack, split_by_date
    from trainer.learn.lora.export import export_peft_model
    from trainer.learn.lora.hf_load import gguf_facts, load_hf
    from trainer.learn.lora.train import Recipe, TrainSettings
    from trainer.runtime.pool import drop_runtimes, get_runtime, gpu_offload_available

    out: dict = {"gpu": a.device == "cuda", "device": a.device, "torch": torch.__version__}
    if a.device == "cuda":
        props = torch.cuda.get_device_properties(0)
        out.update(gpu_name=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1),
                   bf16=bool(torch.cuda.is_bf16_supported()), cuda=torch.version.cuda)
    work = Path(tempfile.mkdtemp(prefix="ov-gpu-check-"))
    os.environ.setdefault("OWNVOICE_CACHE_DIR", str(work / "cache"))
    t0 = time.perf_counter()
    if a.model:
        path = Path(a.model)
        out["model"] = str(path)
    else:
        path = write_tiny_gguf("llama", work / f"{a.shape}.gguf", shape=SHAPES[a.shape], tokenizer="spm",
                               vocab=a.vocab, f16=a.shape != "tiny")
        out["model"] = f"random {a.shape} (llama)"
    facts = gguf_facts(path)
    out["build_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    dtype = torch.bfloat16 if a.device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    model, tok = load_hf(path, facts=facts, dtype=dtype)
    out["load_s"] = round(time.perf_counter() - t0, 1)
    n_params = sum(p.numel() for p in model.parameters())
    out["params"] = n_params
    out["vocab"] = len(tok)
    pairs = _pairs(max(64, a.steps * a.batch_rows * 2))
    tr, ho = split_by_date(pairs)
    fmt = Formatter(tok, chat=False, seq_len=a.seq_len)
    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    rows = pack(build_examples(fmt, tr), a.seq_len, pad, seed=0)
    s = TrainSettings(rank=16, alpha=32, lr=1e-3, max_steps=a.steps, seq_len=a.seq_len, batch_rows=a.batch_rows,
                      grad_accum=1, eval_every=max(1, a.steps), patience=100, max_heldout=8, device=a.device,
                      targets=arch_for(facts.arch).targets)
    recipe = Recipe(model, rows, build_examples(fmt, ho[:8]), s, pad_id=pad, checkpoint_dir=None,
                    fingerprint="gpu-check", progress=no_progress)
    recipe.setup()
    if a.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    result = recipe.train()
    out["train_s"] = round(time.perf_counter() - t0, 1)
    out["train"] = {"steps": result.steps, "tokens": result.tokens, "tokens_per_second": round(result.tokens_per_second, 1),
                    "dtype": result.dtype, "base_heldout_loss": result.base_heldout_loss,
                    "heldout_loss": result.heldout_loss}
    peak = peak_tflops(out.get("gpu_name", ""), a.peak_tflops) if a.device == "cuda" else None
    out["train"]["model_tflops"] = round(6 * n_params * result.tokens_per_second / 1e12, 2)
    out["train"]["peak_tflops"] = peak
    out["train"]["mfu"] = round(6 * n_params * result.tokens_per_second / (peak * 1e12), 4) if peak else None
    if a.device == "cuda":
        out["train"]["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    adapter = export_peft_model(recipe.model, work / "adapter.gguf", facts, alpha=s.alpha)
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        out["parity"] = {"skipped": "llama-cpp-python is not installed (bench/gpu_check.sh installs the wheel)"}
    else:
        rt = get_runtime(str(path), n_ctx=512)
        try:
            out["parity"] = parity(recipe.model, tok, rt, adapter, a.device)
        finally:
            drop_runtimes()
        out["llama_cpp_gpu_offload"] = gpu_offload_available()
        if gpu_offload_available():
            rt = get_runtime(str(path), n_ctx=1024, gpu_layers=-1)
            try:
                gen = rt.generate("The meeting with the Houston team", max_tokens=a.decode_tokens, temperature=0.0)
                out["decode"] = {"tokens": gen.tokens, "tokens_per_second": round(gen.decode_tokens_per_second, 1),
                                 "gpu_layers": "all"}
            finally:
                drop_runtimes()
    recipe.cleanup()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
