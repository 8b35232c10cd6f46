"""Decode speed of ``draft()`` against a bare llama-cpp-python loop, in one run.

Same model, same threads, same prompt, same sampling and seed (so both produce the
same tokens), runs interleaved and repeated (the median pair ratio is reported):

- decode tokens/s and prompt tokens/s of ``trainer.draft.drafting.draft`` (variant base)
  vs a bare ``Llama.generate`` loop on the same ``Llama`` object (target >= 0.95),
  by wall clock and by process CPU time (the fair figure on a machine other jobs share);
- time to first token of both;
- decode tokens/s with a LoRA adapter attached vs without (its cost). The adapter is
  the voice pack's when ``--adapter`` is given, else a random rank-16 adapter on every
  attention and MLP projection, written with the ``gguf`` package;
- decode tokens/s against the memory-bandwidth bound: bandwidth measured with a numpy
  copy of a large array, bytes read per token ~ the model file size.

Prints a table, then ONE JSON object on its last line.

    .venv/bin/python bench/bench_decode.py [--model smollm2] [--threads N] [--tokens 96] [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BODY = ("Hi Wren,\n\nWe are planning the autumn cider festival at Longbarrow Farm and would love you to "
        "exhibit again. Could you tell me which days you can do, how much space you need for the press "
        "demonstration, whether you want power at the pitch, and what you would like us to put in the "
        "programme about Halloway Cider? Also, last year a few visitors asked about tours of the orchard.\n\n"
        "Thanks so much,\nJoanna")


def bandwidth_gbs(mb: int = 512, reps: int = 3) -> float:
    """Bytes moved (read + write) per second by a numpy copy of a large array, best of reps."""
    import numpy as np

    n = mb * (1 << 20) // 8
    src = np.ones(n, dtype=np.float64)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    return 2 * src.nbytes / best / 1e9


def write_full_adapter(path: Path, model_path: Path, rank: int = 16) -> Path:
    """A random LoRA adapter on every attn_q/k/v/output and ffn_gate/up/down of the model."""
    import gguf
    import numpy as np

    from trainer.runtime.gguf_check import check_gguf

    h = check_gguf(model_path)
    rng = np.random.default_rng(0)
    w = gguf.GGUFWriter(str(path), h.arch)
    w.add_string("general.type", "adapter")
    w.add_string("adapter.type", "lora")
    w.add_float32("adapter.lora.alpha", float(rank))
    targets = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
    for name, dims, _t, _o in h.tensors:
        parts = name.split(".")
        if len(parts) == 4 and parts[0] == "blk" and parts[2] in targets and parts[3] == "weight":
            n_in, n_out = dims[0], dims[1]
            w.add_tensor(name + ".lora_a", (rng.standard_normal((rank, n_in)) * 0.01).astype(np.float32))
            w.add_tensor(name + ".lora_b", (rng.standard_normal((n_out, rank)) * 0.01).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def bare_loop(llm, ids: list[int], max_tokens: int, seed: int, temp: float, top_p: float) -> dict:  # noqa: ANN001
    """The baseline: llama-cpp-python's own generate loop, nothing else."""
    import llama_cpp

    llm.set_seed(seed)
    llm.reset()
    vocab = llm._model.vocab
    t0, c0 = time.perf_counter(), time.process_time()
    ttft = cttft = 0.0
    n, toks = 0, []
    for tok in llm.generate(ids, top_k=40, top_p=top_p, min_p=0.05, temp=temp, repeat_penalty=1.1):
        if not toks:
            ttft, cttft = time.perf_counter() - t0, time.process_time() - c0
        if llama_cpp.llama_vocab_is_eog(vocab, tok):
            break
        toks.append(tok)
        n += 1
        if n >= max_tokens:
            break
    total, ctotal = time.perf_counter() - t0, time.process_time() - c0
    return {"tokens": n, "ttft": ttft, "seconds": total, "ids": toks,
            "cpu_decode_tps": (n - 1) / (ctotal - cttft) if n > 1 and ctotal > cttft else 0.0,
            "decode_tps": (n - 1) / (total - ttft) if n > 1 else 0.0, "prompt_tps": len(ids) / ttft}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--threads", type=int, default=0, help="0: os.cpu_count()")
    ap.add_argument("--tokens", type=int, default=96)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--adapter", default=None, help="a GGUF LoRA adapter (default: a random full one)")
    args = ap.parse_args()

    from ingest.kernel.privacy import lock_down

    lock_down()
    from ingest.kernel.config import Config
    from ingest.kernel.records import Message
    from trainer.draft.drafting import draft
    from trainer.draft.prompt import build_prompt
    from trainer.runtime.pool import get_runtime

    threads = args.threads or os.cpu_count() or 1
    cfg = Config(me=("wren@halloway-cider.example",), threads=threads, model=args.model,
                 max_tokens=args.tokens, temperature=0.7, top_p=0.9, seed=0)
    rt = get_runtime(args.model, threads=threads)
    llm = rt.llm
    msg = Message(source="bench", item="1", message_id="b1@x", subject="Autumn festival",
                  sender="joanna@fair.example", sender_name="Joanna Pryce",
                  date=datetime(2026, 3, 1, tzinfo=timezone.utc), body=BODY, text=BODY)
    # the exact prompt draft() builds (boundary fixed, so the bare loop gets the same tokens)
    prompt = build_prompt(msg, rt, max_tokens=args.tokens, me=cfg.me, boundary="0123456789ab")
    ids = rt.tokenize(rt.chat_format_prompt(list(prompt.messages)), add_bos=True, special=True)
    bare_loop(llm, ids, 8, 0, 0.7, 0.9)  # warm up

    import trainer.draft.prompt as tp

    tp.new_boundary = lambda: "0123456789ab"  # same prompt tokens in draft() as in the bare loop
    last = []
    real_generate = rt.generate

    def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
        last.append(real_generate(*a, **k))
        return last[-1]

    rt.generate = spy
    pairs = []
    for r in range(args.reps):
        seed = r
        b = bare_loop(llm, ids, args.tokens, seed, 0.7, 0.9)
        res = draft(msg, variants=("base",), config=cfg.with_(seed=seed), runtime=rt)
        d = res.drafts[0]
        g = last[-1]
        cpu_tps = (g.tokens - 1) / (g.cpu_seconds - g.cpu_ttft) if g.tokens > 1 and g.cpu_seconds > g.cpu_ttft else 0.0
        pairs.append({"bare": b, "draft": d, "same_tokens": list(g.token_ids) == b["ids"], "cpu_tps": cpu_tps})

    def med(xs):  # noqa: ANN001, ANN202
        return statistics.median(xs)

    decode_ratio = med([p["draft"].tokens_per_second / p["bare"]["decode_tps"] for p in pairs])
    prompt_ratio = med([(p["draft"].prompt_tokens / p["draft"].ttft) / p["bare"]["prompt_tps"] for p in pairs])
    rt.generate = real_generate
    bare_decode = med([p["bare"]["decode_tps"] for p in pairs])
    cpu_ratio = med([p["cpu_tps"] / p["bare"]["cpu_decode_tps"] for p in pairs if p["bare"]["cpu_decode_tps"]])
    draft_decode = med([p["draft"].tokens_per_second for p in pairs])

    # LoRA cost: same runtime, adapter on vs off, interleaved
    with tempfile.TemporaryDirectory() as tmp:
        adapter = Path(args.adapter) if args.adapter else write_full_adapter(Path(tmp) / "a.gguf", rt.info.path)
        off, on = [], []
        for r in range(args.reps):
            rt.set_adapter(None)
            off.append(rt.generate(prompt.messages, max_tokens=args.tokens, seed=r).decode_tokens_per_second)
            rt.set_adapter(adapter)
            on.append(rt.generate(prompt.messages, max_tokens=args.tokens, seed=r).decode_tokens_per_second)
        rt.set_adapter(None)
    lora_ratio = med(on) / med(off) if med(off) else 0.0

    bw = bandwidth_gbs()
    bound = bw * 1e9 / rt.info.size_bytes
    out = {
        "bench": "decode",
        "model": rt.info.name,
        "model_bytes": rt.info.size_bytes,
        "threads": threads,
        "prompt_tokens": len(ids),
        "max_tokens": args.tokens,
        "reps": args.reps,
        "same_tokens_all": all(p["same_tokens"] for p in pairs),
        "bare_decode_tps": round(bare_decode, 1),
        "draft_decode_tps": round(draft_decode, 1),
        "decode_ratio_vs_bare": round(decode_ratio, 3),
        "decode_ratio_vs_bare_cpu_time": round(cpu_ratio, 3),
        "bare_prompt_tps": round(med([p["bare"]["prompt_tps"] for p in pairs]), 1),
        "draft_prompt_tps": round(med([p["draft"].prompt_tokens / p["draft"].ttft for p in pairs]), 1),
        "prompt_ratio_vs_bare": round(prompt_ratio, 3),
        "bare_ttft_s": round(med([p["bare"]["ttft"] for p in pairs]), 4),
        "draft_ttft_s": round(med([p["draft"].ttft for p in pairs]), 4),
        "draft_wall_s": round(med([p["draft"].seconds for p in pairs]), 3),
        "decode_tps_no_adapter": round(med(off), 1),
        "decode_tps_with_adapter": round(med(on), 1),
        "lora_ratio": round(lora_ratio, 3),
        "adapter": "given" if args.adapter else "random rank-16, all attn+mlp projections",
        "bandwidth_gbs": round(bw, 2),
        "bandwidth_bound_tps": round(bound, 1),
        "decode_vs_bandwidth_bound": round(draft_decode / bound, 3) if bound else None,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(f"{'':28}{'bare':>10}{'draft()':>10}{'ratio':>8}")
    print(f"{'decode tok/s':28}{bare_decode:10.1f}{draft_decode:10.1f}{decode_ratio:8.3f}")
    print(f"{'decode, per CPU second':28}{'':20}{cpu_ratio:8.3f}")
    print(f"{'prompt tok/s':28}{out['bare_prompt_tps']:10.1f}{out['draft_prompt_tps']:10.1f}{prompt_ratio:8.3f}")
    print(f"{'time to first token (s)':28}{out['bare_ttft_s']:10.4f}{out['draft_ttft_s']:10.4f}")
    print(f"LoRA adapter: {med(off):.1f} -> {med(on):.1f} tok/s (ratio {lora_ratio:.3f})")
    print(f"bandwidth {bw:.1f} GB/s -> bound {bound:.0f} tok/s; draft decode is {out['decode_vs_bandwidth_bound']} of it")
    print(f"load average {out['load_avg_1m']} on {os.cpu_count()} cores")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
