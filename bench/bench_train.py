"""Bench: training tokens/s of the packed LoRA trainer vs a plain peft + torch loop
with padded batches, on the same examples and settings, in one run. The padded loop
is a fair one: it sorts the examples by length into batches (then shuffles the
batches), so each batch pads only to its own longest example.

Each side runs in its own subprocess (so peak memory is its own: CUDA
max_memory_allocated on a GPU, peak RSS on the CPU). Tokens/s counts real (non-pad)
tokens. Data: the user's real replies from ../shared/corpora (allen-p's sent mail,
read with the stdlib mailbox module) when present, else a synthetic mix of lengths.
The last line is one JSON object with both sides' figures and the speed-up.

usage: python bench/bench_train.py [--examples 96] [--seq-len 512] [--model smollm2]
"""

from __future__ import annotations

import argparse
import json
import mailbox
import os
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.kernel.privacy import lock_down  # noqa: E402

lock_down()  # the offline/telemetry switches and the umask, before anything loads
from ingest.kernel.records import ReplyPair  # noqa: E402

MBOX = Path(os.environ.get("OWNVOICE_CORPORA", ROOT.parent / "shared" / "corpora")) / "enron" / "allen-p" / "_sent_mail.mbox"


def pairs(n: int) -> tuple[list[ReplyPair], str]:
    t0 = datetime(2001, 1, 1, tzinfo=timezone.utc)
    out: list[ReplyPair] = []
    if MBOX.is_file():
        for i, msg in enumerate(mailbox.mbox(str(MBOX))):
            if len(out) >= n:
                break
            body = msg.get_payload(decode=True)
            if not isinstance(body, bytes):
                continue
            text = body.decode("latin-1").split("-----Original Message-----")[0].split("---------------------- Forwarded")[0].strip()
            if 20 < len(text) < 3000:
                out.append(ReplyPair(f"b{i}", None, f"Re: {msg.get('Subject', '')}", "x@enron.com",
                                     str(msg.get("Subject", "")), text, t0 + timedelta(days=i)))
        if len(out) >= n // 2:
            return out, "allen-p _sent_mail.mbox"
    rng = random.Random(0)
    words = "please send the report today thanks call me about the deal gas price west desk".split()
    return [ReplyPair(f"s{i}", None, "Can you check this?", "x@y", "re",
                      " ".join(rng.choice(words) for _ in range(rng.randint(5, 250))), t0 + timedelta(days=i))
            for i in range(n)], "synthetic"


def peak_mem(device: str) -> float:
    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)


def run_side(mode: str, args: argparse.Namespace) -> dict:
    import torch

    from trainer.learn.lora.dataset import Formatter, build_examples, pack, pad_batch
    from trainer.learn.lora.hardware import pick_device, set_threads
    from trainer.learn.lora.hf_load import load_hf
    from trainer.learn.lora.train import Recipe, TrainSettings
    from trainer.runtime.models import resolve_model

    model, tok = load_hf(resolve_model(args.model).path)
    ps, source = pairs(args.examples)
    fmt = Formatter(tok, seq_len=args.seq_len)
    exs = build_examples(fmt, ps)
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    device = pick_device(args.device)
    threads = set_threads(0) if device == "cpu" else 0
    real = sum(len(e.input_ids) for e in exs)
    if mode == "packed":
        rows = pack(exs, args.seq_len, pad, seed=0)
        s = TrainSettings(max_steps=len(rows), batch_rows=1, grad_accum=1, eval_every=10**9,
                          checkpoint_every=0, max_heldout=0, device=args.device, warmup_frac=0.1)
        r = Recipe(model, rows, [], s, pad_id=pad)
        r.setup()
        t0 = time.perf_counter()
        res = r.train()
        wall = time.perf_counter() - t0
        tokens, batches = res.tokens, len(rows)
        slots = sum(r.n_real for r in rows)  # row_batch cuts the pad tail: it is never computed
    else:
        from peft import LoraConfig, get_peft_model

        pm = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
                                              target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                                              "gate_proj", "up_proj", "down_proj"]))
        pm.to(device)
        opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=2e-4)
        per = max(1, round(len(exs) / max(1, len(pack(exs, args.seq_len, pad)))))  # same batches count
        # a fair padded loop buckets by length: sort, cut into batches, shuffle the batches
        by_len = sorted(range(len(exs)), key=lambda j: len(exs[j].input_ids))
        buckets = [by_len[i:i + per] for i in range(0, len(by_len), per)]
        random.Random(0).shuffle(buckets)
        order = [j for b in buckets for j in b]
        pm.train()
        t0 = time.perf_counter()
        batches = slots = 0
        for i in range(0, len(order), per):
            b = pad_batch([exs[j] for j in order[i:i + per]], pad)
            b = {k: v.to(device) for k, v in b.items()}
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                loss = pm(**b).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            batches += 1
            slots += b["input_ids"].numel()
        wall = time.perf_counter() - t0
        tokens = real
    return {"mode": mode, "tokens": tokens, "seconds": round(wall, 2), "tokens_per_second": round(tokens / wall, 1),
            "batches": batches, "pad_fraction": round(1 - tokens / max(1, slots), 3),
            "peak_mem_mib": round(peak_mem(device), 1), "device": device, "threads": threads,
            "examples": len(exs), "data": source}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=96)
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--side", choices=["packed", "padded"])
    args = ap.parse_args()
    if args.side:
        print(json.dumps(run_side(args.side, args)))
        return
    out = {}
    for side in ("padded", "packed"):
        cmd = [sys.executable, __file__, "--side", side, "--examples", str(args.examples),
               "--seq-len", str(args.seq_len), "--model", args.model, "--device", args.device]
        res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
        if res.returncode != 0:
            raise SystemExit(res.stderr[-3000:])
        out[side] = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"{side}: {out[side]['tokens_per_second']} tokens/s, pad {out[side]['pad_fraction']:.0%}, "
              f"peak {out[side]['peak_mem_mib']} MiB", flush=True)
    out["speedup_tokens_per_second"] = round(out["packed"]["tokens_per_second"] /
                                             out["padded"]["tokens_per_second"], 2)
    out["target_speedup"] = 1.5
    out["baseline"] = "peft loop, padded batches bucketed by length"
    out["targets"] = {"speedup >= 1.5 vs the bucketed padded loop": out["speedup_tokens_per_second"] >= 1.5}
    out["settings"] = {"examples": args.examples, "seq_len": args.seq_len, "model": args.model, "device": args.device}
    from bench.bench_eval import _provenance, write_result

    write_result("bench_train", out, _provenance())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
