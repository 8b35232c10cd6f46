"""The reply checks on real replies: how often the Enron users' own replies pass them,
and the negative controls (real replies attached to another message's asks; a fact
planted in a real reply; the message's own text sent back as its reply, which the role
check should flag as speaking from the sender's side).

For each person the pairs are split as the eval splits them: ``train`` (older pairs,
the ones the `answered` thresholds were set on) and ``heldout`` (the newest 10%, what
the eval reports). Each real reply is checked against the message it answered, with
the reply itself left out of the archive (as the eval's ``real`` row is). Up to
``--limit`` pairs per split (seeded sample).

Prints one line per person and split, then ONE JSON object on its last line, also
written to ``bench/results/bench_replycheck-<time>.json``.

    .venv/bin/python bench/bench_replycheck.py [--people allen-p,germany-c] [--limit 150]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _provenance, write_result  # noqa: E402


def measure(store, me, pairs) -> dict:  # noqa: ANN001
    from trainer.draft.replycheck import CheckContext
    from trainer.evaluate.harness import message_for
    from trainer.score.atoms import strip_quoted

    ctxs, real = [], []
    for p in pairs:
        m = message_for(p, store)
        ctx = CheckContext.build(m, store=store, me=me, thread=store.thread(m), boundary="5eed5eed5eed",
                                 exclude_text=p.reply_text)
        ctxs.append(ctx)
        real.append(ctx.check(strip_quoted(p.reply_text)))
    n = len(real)
    wrong = [ctxs[i].check(strip_quoted(pairs[(i + 7) % n].reply_text)) for i in range(n) if ctxs[i].asks]
    rng = random.Random(1)
    planted = 0
    for i, p in enumerate(pairs):
        plant = rng.choice([f"${rng.randint(100, 999)},{rng.randint(100, 999)}", f"{rng.randint(11, 97)}.{rng.randint(1, 9)}%",
                            "Zorblatt Quenneville", f"{rng.randint(200, 999)}-555-0{rng.randint(100, 199)}"])
        got = ctxs[i].check(strip_quoted(p.reply_text) + f" It comes to {plant} in the end.").invented
        planted += any(plant.split()[0].rstrip("%") in s.text for s in got)

    # the role check's no-name part (``replycheck.side``): how often it flags a real reply
    # (a false alarm), and how often it flags the message's own text sent back as if it
    # were the reply (the sender's words in the sender's persons: each should be flagged)
    side_hits = [[s for s in c.role_problems if "speaks as the sender" in s.reason and
                  not s.reason.startswith("signed")] for c in real]
    echoed = [ctxs[i].check(pairs[i].message_text) for i in range(n) if len(pairs[i].message_text.split()) >= 20]

    def share(f) -> float:  # noqa: ANN001
        return round(sum(1 for c in real if f(c)) / max(1, n), 4)

    return {"pairs": n, "usable": share(lambda c: c.usable), "role_ok": share(lambda c: c.role_ok),
            "prompt_leak": share(lambda c: c.prompt_leak), "invented": share(lambda c: bool(c.invented)),
            "answered_ok": share(lambda c: c.answered_ok), "with_asks": share(lambda c: c.asks > 0),
            "wrong_message_fails_answered": round(sum(not c.answered_ok for c in wrong) / max(1, len(wrong)), 4),
            "wrong_message_pairs": len(wrong), "planted_flagged": round(planted / max(1, n), 4),
            "side_flagged": round(sum(1 for h in side_hits if h) / max(1, n), 4),
            "side_examples": [s.text for h in side_hits for s in h][:10],
            "message_as_reply_fails_role": round(sum(not c.role_ok for c in echoed) / max(1, len(echoed)), 4),
            "message_as_reply_side_flagged": round(sum(any("speaks as the sender" in s.reason and not
                                                           s.reason.startswith("signed") for s in c.role_problems)
                                                       for c in echoed) / max(1, len(echoed)), 4),
            "message_as_reply_pairs": len(echoed)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="allen-p,germany-c")
    ap.add_argument("--limit", type=int, default=150)
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(json.dumps({"skipped": f"{CORPORA / 'enron'} is absent"}))
        return 0
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from trainer.evaluate.harness import heldout_pairs

    out: dict = {"limit": args.limit, "rows": []}
    prov = _provenance()  # the code the run starts on (the tree may change while it runs)
    work = Path(tempfile.mkdtemp(prefix="bench-replycheck-"))
    for person in [p.strip() for p in args.people.split(",") if p.strip()]:
        me = PEOPLE[person]
        with Store.open(work / person) as store:
            run_import(sorted((CORPORA / "enron" / person).glob("*.mbox")), store, me=me)
            held = heldout_pairs(store)
            ids = {p.id for p in held}
            train = [p for p in store.reply_pairs() if p.id not in ids and p.reply_text.strip()
                     and p.message_text.strip()]
            for split, pairs in (("train", train), ("heldout", held)):
                pairs = list(pairs)
                random.Random(0).shuffle(pairs)
                t = time.perf_counter()
                row = {"person": person, "split": split, **measure(store, me, pairs[:args.limit]),
                       "seconds": round(time.perf_counter() - t, 1)}
                out["rows"].append(row)
                print(json.dumps(row), flush=True)
    write_result("bench_replycheck", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
