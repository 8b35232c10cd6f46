"""The ONNX int8 embedder against the torch (sentence-transformers) path, on real mail.

For each Enron user, the four mbox files go through the real importer into a temp Store
(the hash embedder stands in during import: only the stored texts and reply pairs are
read here). Then, on the same texts, both embedders:
- **speed**: sentences/s over the texts the store embeds (each message's text, at most
  ``--texts`` of them), each side run twice in alternating order, best run kept;
- **fidelity**: cosine between the two vectors of each text (min, 1st percentile, mean);
- **retrieval**: for each held-out reply pair (the eval's: the newest 10%), the top-k
  earlier pairs from other threads by cosine of the message answered, as drafting
  retrieves examples (k = ``retrieval_k``, 3); the share of the torch path's top-k that
  the ONNX path also returns.
Targets (issue #18): ONNX int8 at 2x or more the torch path's sentences/s, top-k
overlap 0.9 or more; the test suite asks cosine 0.98 or more.

Prints one line per person, then ONE JSON object on its last line, also written to
``bench/results/bench_embed-<time>.json``.

    .venv/bin/python bench/bench_embed.py [--people allen-p,germany-c] [--texts 1500]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _provenance, write_result  # noqa: E402

FILES = ("_sent_mail.mbox", "sent.mbox", "sent_items.mbox", "inbox.mbox")


def texts_and_pairs(name: str, work: Path, limit: int) -> tuple[list[str], list, float | None]:
    import pytest

    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from tests.ingest.store.test_import_standin import use_hash_embedder
    from trainer.learn.scorer_fit import holdout_cutoff

    mp = pytest.MonkeyPatch()
    use_hash_embedder(mp)
    root = CORPORA / "enron" / name
    try:
        with Store.open(work / name, chroma_url="") as store:
            run_import([root / f for f in FILES if (root / f).exists()], store, PEOPLE[name])
            rows = store.db.execute("SELECT text, body, subject FROM messages ORDER BY rid").fetchall()
            texts = [r["text"] or (r["body"] or "")[:4000] or r["subject"] or "" for r in rows][:limit]
            return texts, [p for p in store.reply_pairs() if p.date is not None], holdout_cutoff(store)
    finally:
        mp.undo()


def timed(embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    t = time.perf_counter()
    vecs = embedder.encode(texts)
    return vecs, time.perf_counter() - t


def top_k(vecs: np.ndarray, pairs: list, cut: float, k: int) -> list[set[int]]:
    """Indices of each held-out pair's k nearest earlier pairs from other threads."""
    train = [i for i, p in enumerate(pairs) if p.date.timestamp() < cut]
    held = [i for i, p in enumerate(pairs) if p.date.timestamp() >= cut]
    out = []
    for q in held:
        cand = [i for i in train if pairs[i].thread != pairs[q].thread]
        if not cand:
            continue
        sims = vecs[cand] @ vecs[q]
        out.append({cand[j] for j in np.argsort(-sims, kind="stable")[:k]})
    return out


def person(name: str, work: Path, limit: int, k: int) -> dict:
    from ingest.kernel.config import cache_dir
    from ingest.store.embed import Embedder, model_dir
    from ingest.store.embed_onnx import OnnxEmbedder

    texts, pairs, cut = texts_and_pairs(name, work, limit)
    torch_e = Embedder()
    t = time.perf_counter()
    onnx_e = OnnxEmbedder(model_dir(), cache_dir())
    onnx_e.encode(["warm up"])  # builds the int8 model into the cache on the first run
    build_s = time.perf_counter() - t
    torch_e.encode(["warm up"])
    best = {"torch": float("inf"), "onnx": float("inf")}
    vecs: dict[str, np.ndarray] = {}
    for order in (("torch", "onnx"), ("onnx", "torch")):  # alternate: a warm cache favours the second
        for side in order:
            v, s = timed(torch_e if side == "torch" else onnx_e, texts)
            vecs[side], best[side] = v, min(best[side], s)
    cos = (vecs["torch"] * vecs["onnx"]).sum(1)
    keys = [p.message_text or "" for p in pairs]
    a, b = torch_e.encode(keys), onnx_e.encode(keys)
    ta, tb = top_k(a, pairs, cut, k), top_k(b, pairs, cut, k)
    overlap = [len(x & y) / max(1, len(x)) for x, y in zip(ta, tb)]
    rate = {s: len(texts) / best[s] for s in best}
    return {
        "person": name, "texts": len(texts), "threads": onnx_e.threads,
        "torch_sentences_per_s": round(rate["torch"], 1), "onnx_sentences_per_s": round(rate["onnx"], 1),
        "speedup": round(rate["onnx"] / rate["torch"], 2), "onnx_first_load_s": round(build_s, 1),
        "cosine_min": round(float(cos.min()), 4), "cosine_p1": round(float(np.percentile(cos, 1)), 4),
        "cosine_mean": round(float(cos.mean()), 4),
        "pairs": len(pairs), "heldout_queries": len(ta), "k": k,
        "topk_overlap": round(float(np.mean(overlap)), 4) if overlap else None,
        "topk_identical_share": round(float(np.mean([o == 1.0 for o in overlap])), 4) if overlap else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="allen-p,germany-c")
    ap.add_argument("--texts", type=int, default=1500)
    ap.add_argument("--k", type=int, default=3)
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(f"skipped: no corpora at {CORPORA}")
        print(json.dumps({"skipped": True, "reason": f"no corpora at {CORPORA}"}))
        return 0
    os.environ.setdefault("OWNVOICE_CACHE_DIR", tempfile.mkdtemp(prefix="ownvoice-bench-cache-"))
    with tempfile.TemporaryDirectory(prefix="ownvoice-bench-embed-") as tmp:
        people = []
        for name in args.people.split(","):
            r = person(name, Path(tmp), args.texts, args.k)
            people.append(r)
            print(f"{name:10} torch {r['torch_sentences_per_s']:7.1f}/s  onnx int8 {r['onnx_sentences_per_s']:7.1f}/s  "
                  f"x{r['speedup']:.2f}  cosine min {r['cosine_min']:.4f} mean {r['cosine_mean']:.4f}  "
                  f"top-{r['k']} overlap {r['topk_overlap']} over {r['heldout_queries']} held-out messages",
                  flush=True)
    out = {"people": people, "targets": {}}
    for r in people:
        out["targets"][f"{r['person']} speedup >= 2"] = r["speedup"] >= 2.0
        if r["topk_overlap"] is not None:
            out["targets"][f"{r['person']} top-k overlap >= 0.9"] = r["topk_overlap"] >= 0.9
    write_result("bench_embed", out, _provenance())
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
