"""Which drafting levers make replies a person would send: measured one by one on the
held-out messages of both Enron users, with the embedded student and no voice learned
(variants ``base`` and ``rag``: the levers act on every variant).

Settings, each adding one lever to the one before:

- ``none``: the drafting before the levers (no greeting, no decoding constraints, one
  sample);
- ``greeting``: the reply opens "Hi <first name>," to the sender (``greet``);
- ``veto``: decoding never completes a fence-boundary run or greets the user by name;
- ``numbers``: decoding never types a number found neither in the thread nor in the
  archive (``number_guard``);
- ``best-of-2``: a second sample when the first fails the reply checks (``best_of``).

Each held-out message is drafted with a fence fixed by the seed and the pair, as the
eval does; ``seconds`` is the wall time until the kept draft is complete (all samples),
so ``best-of-2`` over ``numbers`` is the best-of-N time ratio. Run it on a quiet machine.

Prints a table, then ONE JSON object on its last line; the same object is written to
``bench/results/bench_levers-<time>.json``.

    .venv/bin/python bench/bench_levers.py [--people allen-p,germany-c] [--limit 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _provenance, write_result  # noqa: E402

SETTINGS = (  # name, greet, veto, number guard, best_of
    ("none", False, False, False, 1),
    ("greeting", True, False, False, 1),
    ("veto", True, True, False, 1),
    ("numbers", True, True, True, 1),
    ("best-of-2", True, True, True, 2),
)


def run(store, me, setting, pairs, variants) -> list[dict]:  # noqa: ANN001
    import trainer.draft.drafting as D
    from ingest.kernel.config import Config
    from trainer.evaluate.harness import eval_boundary, message_for

    name, greet, veto, numbers, best = setting
    real_veto = D.draft_veto
    if not veto:  # the constraint off: the bench's own switch, not a product setting
        D.draft_veto = lambda *a, **k: (lambda text, piece: False)
    try:
        cfg = Config(me=me, greet=greet, number_guard=numbers, best_of=best)
        got: dict[str, dict[str, list]] = {}
        for p in pairs:
            res = D.draft(message_for(p, store), variants=variants, n=1, store=store, config=cfg,
                          boundary=eval_boundary(cfg.seed, p.id), check_exclude=p.reply_text)
            for d in res.drafts:
                c = d.checks
                x = got.setdefault(d.variant, {k: [] for k in ("usable", "usable_first", "role_ok", "prompt_leak",
                                                               "invented_per_100w", "answered", "seconds",
                                                               "tries")})
                x["usable"].append(float(c.usable))
                x["usable_first"].append(float((d.first_checks or c).usable))
                x["role_ok"].append(float(c.role_ok))
                x["prompt_leak"].append(float(c.prompt_leak))
                x["invented_per_100w"].append(c.invented_per_100w)
                if c.answered is not None:
                    x["answered"].append(c.answered)
                x["seconds"].append(d.seconds_all)
                x["tries"].append(d.tries)
    finally:
        D.draft_veto = real_veto
    return [{"setting": name, "variant": v, "drafts": len(x["usable"]),
             **{k: round(statistics.mean(vals), 4) if vals else None for k, vals in x.items()}}
            for v, x in got.items()]


def targets(rows: list[dict]) -> dict[str, bool]:
    """Best-of-2 keeps drafting interactive: at most 2x the time of one sample."""
    by = {(r["person"], r["setting"], r["variant"]): r for r in rows}
    out = {}
    for (person, setting, variant), r in by.items():
        one = by.get((person, "numbers", variant))
        if setting == "best-of-2" and one and one["seconds"]:
            out[f"{person} {variant} best-of-2 time <= 2x one sample"] = r["seconds"] / one["seconds"] <= 2.0
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="allen-p,germany-c")
    ap.add_argument("--limit", type=int, default=20, help="held-out messages per person")
    ap.add_argument("--variants", default="base,rag")
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(json.dumps({"skipped": f"{CORPORA / 'enron'} is absent"}))
        return 0
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from trainer.evaluate.harness import heldout_pairs

    out: dict = {"limit": args.limit, "variants": args.variants, "settings": [s[0] for s in SETTINGS], "rows": []}
    prov = _provenance()  # the code the run starts on (the tree may change while it runs)
    work = Path(tempfile.mkdtemp(prefix="bench-levers-"))
    for person in [p.strip() for p in args.people.split(",") if p.strip()]:
        me = PEOPLE[person]
        with Store.open(work / person) as store:
            t = time.perf_counter()
            run_import(sorted((CORPORA / "enron" / person).glob("*.mbox")), store, me=me)
            print(f"{person}: imported in {time.perf_counter() - t:.0f} s", flush=True)
            pairs = heldout_pairs(store)[-args.limit:]
            for setting in SETTINGS:
                t = time.perf_counter()
                for row in run(store, me, setting, pairs, args.variants.split(",")):
                    out["rows"].append({"person": person, **row})
                    print(json.dumps(out["rows"][-1]), flush=True)
                print(f"  {setting[0]}: {time.perf_counter() - t:.0f} s", flush=True)
    out["targets"] = targets(out["rows"])
    write_result("bench_levers", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
