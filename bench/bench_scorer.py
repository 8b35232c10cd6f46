"""Voice scorer speed, on real mail (allen-p from ../shared/corpora/enron).

- Atom scoring throughput of the live path (char n-gram model, ``fast``), in
  sentences/s (target >= 2,000) and per CPU-second, against baselines measured in
  the same run: our numpy n-gram hashing alone (the floor), sklearn's char_wb
  HashingVectorizer (what it replaced) and MiniLM sentence embedding (what the
  combined model adds per sentence).
- Splitting throughput (drafts/s through ``split_atoms``), since the live path
  splits before it scores.
- Fit time (collect + fit + calibrate) against message count: 250/500/1000/2000
  messages drawn from allen-p's mail plus germany-c's sent mail as others' mail,
  with the held-out AUC.
- With ``--eval``: the evaluation table for allen-p with the embedded model at a
  small --limit (imports allen-p's _sent_mail + inbox through the real importer
  into a temp store first; minutes).

Prints a table, then ONE JSON object on its last line.

    .venv/bin/python bench/bench_scorer.py [--sentences 4000] [--eval] [--limit 3] [-n 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPORA = Path(os.environ.get("OWNVOICE_CORPORA", ROOT.parent / "shared" / "corpora"))


def _rate(fn, items, min_seconds=1.0):  # noqa: ANN001
    """(items per wall second, items per CPU second of this process); the second is
    steadier on a shared machine."""
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        fn(items)
        n += len(items)
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return n / dt, n / max(1e-9, time.process_time() - c0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=4000)
    ap.add_argument("--embed-sample", type=int, default=128)
    ap.add_argument("--eval", action="store_true", help="also run the allen-p eval table (minutes)")
    ap.add_argument("--limit", type=int, default=3)
    ap.add_argument("-n", type=int, default=2)
    args = ap.parse_args()
    if not (CORPORA / "enron" / "allen-p").is_dir():
        print(json.dumps({"skipped": f"no corpora at {CORPORA}"}))
        return 0
    from ingest.kernel.privacy import lock_down

    lock_down()
    from tests.trainer.score.mboxstore import MboxStore, allen_store, embedder
    from trainer.learn import scorer_fit as FIT
    from trainer.score import features as F
    from trainer.score.atoms import split_atoms

    out: dict[str, object] = {}
    store = allen_store(CORPORA)
    t0 = time.perf_counter()
    corpus = FIT.collect(store)
    out["collect_seconds"] = round(time.perf_counter() - t0, 2)
    sc = FIT.fit(corpus)
    out["auc"], out["ece"] = round(sc.metrics["auc"], 4), round(sc.metrics["ece"], 4)
    rng = random.Random(0)
    sents = rng.sample(corpus.texts, min(args.sentences, len(corpus.texts)))
    vec_rate, vec_cpu = _rate(F.raw_counts, sents)
    score_rate, score_cpu = _rate(lambda xs: sc.probabilities(xs, fast=True), sents)
    skl_rate, skl_cpu = _rate(_sklearn_char_wb(), sents)
    emb = embedder()
    sample = sents[:args.embed_sample]
    emb.encode(sample[:8])  # load the model outside the timing
    emb_rate, emb_cpu = _rate(emb.encode, sample, min_seconds=2.0)
    drafts = [m.text for m in list(store.messages(own=True))[:300]]
    split_rate, split_cpu = _rate(lambda ds: [split_atoms(d) for d in ds], drafts)
    out.update(score_sentences_per_s=round(score_rate), score_sentences_per_cpu_s=round(score_cpu),
               vectorizer_sentences_per_s=round(vec_rate), sklearn_char_wb_sentences_per_s=round(skl_rate),
               embed_sentences_per_s=round(emb_rate, 1), split_drafts_per_s=round(split_rate, 1),
               split_drafts_per_cpu_s=round(split_cpu, 1),
               score_vs_vectorizer=round(score_rate / vec_rate, 3), score_vs_sklearn=round(score_rate / skl_rate, 2),
               score_vs_embed=round(score_rate / emb_rate, 1),
               score_target_2000_met=score_rate >= 2000, load_avg_1m=round(os.getloadavg()[0], 1))
    print(f"scoring  {score_rate:8.0f} sentences/s ({score_cpu:.0f}/CPU-s; our vectorizer alone {vec_rate:.0f}/s, "
          f"sklearn char_wb vectorizer {skl_rate:.0f}/s, MiniLM {emb_rate:.1f}/s)")
    print(f"splitting {split_rate:7.1f} drafts/s ({split_cpu:.1f}/CPU-s)")
    from tests.trainer.score.mboxstore import GERMANY, read_mbox

    others = read_mbox(CORPORA / "enron" / "germany-c" / "_sent_mail.mbox", ())  # all "others"
    msgs = list(store.messages()) + [m for m in others if m.text]
    fits = []
    for k in (250, 500, 1000, 2000):
        if k > len(msgs):
            fits.append({"messages": k, "skipped": f"only {len(msgs)} messages"})
            continue
        sub = MboxStore(rng.sample(msgs, k))
        t0 = time.perf_counter()
        c = FIT.collect(sub)
        t1 = time.perf_counter()
        try:
            s = FIT.fit(c)
            auc = round(s.metrics["auc"], 4)
        except Exception as e:  # too little data at the small end is a figure too
            auc = f"error: {e}"
        t2 = time.perf_counter()
        fits.append({"messages": k, "sentences": len(c.texts), "collect_s": round(t1 - t0, 2),
                     "fit_s": round(t2 - t1, 2), "auc": auc})
        print(f"fit {k:5d} messages ({len(c.texts)} sentences): collect {t1 - t0:.1f}s fit {t2 - t1:.1f}s AUC {auc}")
    out["fit"] = fits
    ok = [f for f in fits if "fit_s" in f]
    if len(ok) >= 2:  # how fit time grows: seconds per 1000 messages, largest vs smallest
        out["fit_seconds_per_1000_messages"] = round((ok[-1]["collect_s"] + ok[-1]["fit_s"]) / ok[-1]["messages"] * 1000, 2)
        out["fit_growth_ratio"] = round((ok[-1]["collect_s"] + ok[-1]["fit_s"]) / (ok[0]["collect_s"] + ok[0]["fit_s"]), 2)
    if args.eval:
        out["eval"] = _eval(args)
    print(json.dumps(out))
    return 0


def _sklearn_char_wb():
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    from trainer.score.features import N_FEATURES, NGRAM

    v = HashingVectorizer(analyzer="char_wb", ngram_range=NGRAM, n_features=N_FEATURES, alternate_sign=False,
                          norm=None, lowercase=False, dtype=np.float32)
    return v.transform


def _eval(args: argparse.Namespace) -> dict:
    from ingest.kernel.config import Config
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from trainer.evaluate.harness import evaluate
    from trainer.learn import scorer_fit as FIT
    from trainer.learn.routes import LearnContext
    from trainer.voicepack import VoicePack

    d = Path(tempfile.mkdtemp(prefix="ownvoice-bench-scorer-")) / "data"
    me = ("phillip.allen@enron.com", "k..allen@enron.com")
    src = CORPORA / "enron" / "allen-p"
    t0 = time.perf_counter()
    with Store.open(d) as store:
        run_import([src / "_sent_mail.mbox", src / "inbox.mbox"], store, me=me)
        t1 = time.perf_counter()
        pack = VoicePack.open(d)
        entry = FIT.learn(LearnContext(store, pack, Config(me=me), d))
        rep = evaluate(store, pack, Config(me=me), variants=["base", "rag"], n=args.n, limit=args.limit)
    t2 = time.perf_counter()
    for r in rep.rows:
        print(f"eval {r.variant:5s} acc={r.acc} ic={r.ic} rc={r.rc} content={r.content} "
              f"length={r.length_ratio} leak={r.leak}")
    return {"import_s": round(t1 - t0, 1), "learn_eval_s": round(t2 - t1, 1), "scorer": entry,
            **rep.to_json()}


if __name__ == "__main__":
    sys.exit(main())
