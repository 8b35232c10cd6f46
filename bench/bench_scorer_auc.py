"""The selection scorer and the voice judge on both Enron users: held-out sentence
and message AUC, ECE, and the same families fitted on all threads (what splitting the
history in two costs).

Each person's four mbox files go through the real importer into a temp Store (the
test suite's hash embedder stands in for MiniLM: neither model reads embeddings by
default). Then ``trainer.score.scorer`` fits, as ``learn`` does:
- the selection scorer (family ``lexical``) on one half of the threads,
- the judge (family ``char``) on the other half,
- and, for comparison, each family on all threads (``char`` on all threads is the
  scorer before this change: the baseline).
All are measured on the same newest fold (the held-out split by date). Then the eval's
pairwise check (``trainer.evaluate.harness.judge_pairwise``): on the held-out reply pairs (the
eval's, all of them), how often each model ranks the user's real reply above the other
people's messages in its thread (the one answered and the earlier ones); target 0.9 for
the judge.

Prints one line per person and model, then ONE JSON object on its last line, also
written to ``bench/results/bench_scorer_auc-<time>.json``. The targets (issue #13):
sentence AUC >= 0.85 and message AUC >= 0.95 for the selection scorer.

    .venv/bin/python bench/bench_scorer_auc.py [--people allen-p,germany-c]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _provenance, write_result  # noqa: E402

FILES = ("_sent_mail.mbox", "sent.mbox", "sent_items.mbox", "inbox.mbox")
KEYS = ("auc", "auc_message", "ece", "n_train", "n_test", "fit_seconds")


def person(name: str, work: Path) -> dict:
    import pytest

    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from tests.ingest.store.test_import_standin import use_hash_embedder
    from trainer.learn import scorer_fit as FIT
    from trainer.score import scorer as S

    mp = pytest.MonkeyPatch()
    use_hash_embedder(mp)
    root = CORPORA / "enron" / name
    out: dict = {"person": name}
    with Store.open(work / name, chroma_url="") as store:
        t = time.perf_counter()
        run_import([root / f for f in FILES if (root / f).exists()], store, PEOPLE[name])
        out["import_seconds"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        corpus = FIT.collect(store)
        cut = FIT.holdout_cutoff(store)
        out["collect_seconds"] = round(time.perf_counter() - t, 1)
        cache: dict = {}
        models = {
            "scorer": FIT.fit(corpus, family=S.SCORER_FAMILY, half=S.SCORER_HALF, test_after=cut, cache=cache),
            "judge": FIT.fit(corpus, family=S.JUDGE_FAMILY, half=S.JUDGE_HALF, test_after=cut, cache=cache),
            "lexical_all_threads": FIT.fit(corpus, family="lexical", test_after=cut, cache=cache),
            "baseline_char_all_threads": FIT.fit(corpus, family="char", test_after=cut, cache=cache),
        }
        from trainer.evaluate.harness import heldout_pairs, judge_pairwise

        pairs = heldout_pairs(store)
        out["heldout_pairs"] = len(pairs)
        pairwise = {k: judge_pairwise(store, models[k], pairs) for k in ("scorer", "judge")}
    mp.undo()
    for k, m in models.items():
        out[k] = {"family": m.metrics["family"], "half": m.metrics["half"],
                  **{key: round(m.metrics[key], 4) if isinstance(m.metrics[key], float) else m.metrics[key]
                     for key in KEYS}}
        if k in pairwise:
            w, c = pairwise[k]
            out[k].update(pairwise=round(w / c, 4) if c else None, pairwise_n=c)
        print(f"{name:10s} {k:26s} AUC {m.metrics['auc']:.3f}  message AUC {m.metrics['auc_message']:.3f}  "
              f"ECE {m.metrics['ece']:.3f}  train {m.metrics['n_train']}", flush=True)
    sc, base = out["scorer"], out["baseline_char_all_threads"]
    out["scorer_vs_baseline_auc"] = round(sc["auc"] - base["auc"], 4)
    out["targets"] = {f"{name} sentence AUC >= 0.85": sc["auc"] >= 0.85,
                      f"{name} message AUC >= 0.95": sc["auc_message"] >= 0.95,
                      f"{name} judge pairwise >= 0.9": (out["judge"].get("pairwise") or 0) >= 0.9}
    print(f"{name:10s} pairwise over {out['judge']['pairwise_n']} comparisons: judge {out['judge']['pairwise']}, "
          f"scorer {out['scorer']['pairwise']}", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="allen-p,germany-c")
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(json.dumps({"skipped": f"no corpora at {CORPORA}"}))
        return 0
    prov = _provenance()
    with tempfile.TemporaryDirectory(prefix="ownvoice-bench-auc-") as tmp:
        people = [person(p, Path(tmp)) for p in args.people.split(",")]
    targets = {k: v for p in people for k, v in p.pop("targets").items()}
    out = {"people": people, "targets": targets}
    write_result("bench_scorer_auc", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
