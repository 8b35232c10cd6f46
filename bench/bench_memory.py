"""The memory estimate (``trainer.runtime.memory``) against peak memory measured on the embedded
models: llama.cpp drafting at a 2k context, and LoRA training steps at 512-token
batches on the CPU, each in a process of its own (peak = VmHWM, the process's
high-water resident set; for drafting, less the process before the model loads).

Target (#14): within 15% of the measured peak.

``measure_drafting`` and ``measure_training`` are also what tests/trainer/runtime/test_memory.py
runs (one thread, two steps).

Prints one line per model, then ONE JSON object on its last line, also written to
``bench/results/bench_memory-<time>.json``.

    .venv/bin/python bench/bench_memory.py [--models smollm2,gemma3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import _provenance, write_result  # noqa: E402

TARGET = 0.15
HWM = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024"
DRAFT = """
import json, sys
from llama_cpp import Llama
before = HWM
llm = Llama(model_path=sys.argv[1], n_ctx=int(sys.argv[2]), n_threads=int(sys.argv[3]), verbose=False,
            n_gpu_layers=0)
llm.create_completion("Dear Sam, thanks for the note about the cider and the fair. " * 60, max_tokens=16)
print(json.dumps({"before": before, "peak": HWM}))
""".replace("HWM", HWM)
TRAIN = """
import json, sys
from dataclasses import replace
from ingest.kernel.privacy import lock_down  # noqa: E402

lock_down()  # the offline/telemetry switches and the umask, before anything loads
from tests.trainer.learn.lora.run_recipe import pairs
from trainer.learn.lora.dataset import Formatter, build_examples, pack
from trainer.learn.lora.hf_load import load_hf
from trainer.learn.lora.train import Recipe, TrainSettings
from trainer.runtime.models import resolve_model
model, tok = load_hf(resolve_model(sys.argv[1]).path)
ps = [replace(p, reply_text=(p.reply_text + " ") * 12) for p in pairs()]
rows = pack(build_examples(Formatter(tok, seq_len=512), ps), 512, tok.pad_token_id or 0, seed=0)
steps, threads = int(sys.argv[2]), int(sys.argv[3])
s = TrainSettings(rank=8, alpha=16, max_steps=steps, seq_len=512, batch_rows=1, grad_accum=1, eval_every=10**9,
                  checkpoint_every=0, max_heldout=0, device="cpu", threads=threads)
r = Recipe(model, rows[:steps], [], s, pad_id=tok.pad_token_id or 0)
r.setup()
r.train()
print(json.dumps({"tokens": max(x.n_real for x in rows[:steps]), "peak": HWM}))
""".replace("HWM", HWM)


def measure_drafting(path: str, n_ctx: int, threads: int = 2) -> dict:
    """{"before", "peak"}: VmHWM before the model loads and after a short completion."""
    return run(DRAFT, path, str(n_ctx), str(threads))


def measure_training(model: str, steps: int = 3, threads: int = 2) -> dict:
    """{"tokens", "peak"}: the longest row's tokens and VmHWM after ``steps`` LoRA steps."""
    return run(TRAIN, model, str(steps), str(threads))


def run(code: str, *args: str) -> dict:
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=900, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="smollm2,gemma3")
    ap.add_argument("--n-ctx", type=int, default=2048)
    args = ap.parse_args()
    from trainer.runtime.memory import estimate
    from trainer.runtime.models import resolve_model

    prov = _provenance()
    rows = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        path = str(resolve_model(name).path)
        d = measure_drafting(path, args.n_ctx)
        e = estimate(path, n_ctx=args.n_ctx)
        used = d["peak"] - d["before"]
        t = measure_training(name)
        et = estimate(path, batch_tokens=t["tokens"], rank=8, device="cpu")
        row = {"model": name, "n_ctx": args.n_ctx, "drafting_estimate": e.drafting, "drafting_measured": used,
               "drafting_ratio": round(e.drafting / used, 3) if used else None,
               "training_tokens": t["tokens"], "training_estimate": et.training, "training_measured": t["peak"],
               "training_ratio": round(et.training / t["peak"], 3),
               "training_parts": et.to_json()["training_parts"]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    targets = {}
    for r in rows:
        for k in ("drafting_ratio", "training_ratio"):
            if r[k] is not None:
                targets[f"{r['model']} {k.split('_')[0]} within {int(TARGET * 100)}%"] = abs(r[k] - 1) <= TARGET
    out = {"rows": rows, "target": TARGET, "targets": targets}
    write_result("bench_memory", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
