"""PLD learn time with the embedded model, and (``--eval``) the pld row vs base.

Imports the demo archive (resources/demo) into a temp store, fits the voice scorer
(char n-grams), then times, in the same run:
- the baseline: one student draft of a demo reply (the unit every PLD stage is made of);
- the profile alone (no model);
- a whole ``pld`` learn with SmolLM2 as teacher and student (explain, cluster, loop);
and reports learn time as a multiple of one draft, so figures from different
machines compare. ``--allen`` adds a learn on Phillip Allen's Enron mail (stdlib mbox
adapter from the tests; profile scorer). ``--eval`` drafts ``--limit`` held-out demo
messages with variants base and pld and reports fidelity (ACC) gain and content
similarity. Prints a summary, then ONE JSON object on its last line.

    .venv/bin/python bench/bench_pld.py [--pairs 12] [--validation 4] [--rounds 2] [--eval] [--allen]
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
CORPORA = Path(os.environ.get("OWNVOICE_CORPORA", ROOT.parent / "shared" / "corpora"))
DEMO_ME = ("wren@halloway-cider.example", "wren.halloway@fastmail.example")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=12, help="reply pairs the teacher explains")
    ap.add_argument("--validation", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=60)
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: cores)")
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--limit", type=int, default=3)
    ap.add_argument("--allen", action="store_true")
    args = ap.parse_args()

    from ingest.kernel.config import Config
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from trainer.learn import scorer_fit as FIT
    from trainer.learn.pld import learn
    from trainer.learn.pld.profile import profile
    from trainer.learn.pld.teacher import LocalModel, draft_fn_for
    from trainer.learn.routes import LearnContext
    from trainer.voicepack import VoicePack

    out: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-pld-"))
    cfg = Config(me=DEMO_ME, threads=args.threads)
    opts = {"explain_pairs": args.pairs, "validation": args.validation, "rounds": args.rounds,
            "max_tokens": args.max_tokens, "scorer_embeddings": False}
    demo = ROOT / "resources" / "demo"
    t = time.perf_counter()
    store = Store.open(tmp / "demo", chroma_url="")
    run_import([demo / "Sent.mbox", demo / "Inbox.mbox", demo / "documents"], store, me=DEMO_ME)
    import_s = time.perf_counter() - t
    pack = VoicePack.open(tmp / "demo")
    ctx = LearnContext(store=store, pack=pack, config=cfg, data_dir=tmp / "demo", options=opts)
    FIT.learn(ctx)

    t = time.perf_counter()
    prof = profile(store)
    profile_s = time.perf_counter() - t

    student = LocalModel(cfg.model, threads=cfg.threads)
    draft = draft_fn_for(student, config=cfg, max_tokens=args.max_tokens)
    pair = store.reply_pairs()[0]
    draft("Write briefly.", pair)  # load the model outside the timing
    t = time.perf_counter()
    draft("Write briefly.", pair)
    draft_s = time.perf_counter() - t

    t = time.perf_counter()
    res = learn(ctx)
    learn_s = time.perf_counter() - t
    out["demo"] = {
        "import_s": round(import_s, 1), "profile_s": round(profile_s, 3), "profile_rules": len(prof.rules),
        "draft_s": round(draft_s, 2), "learn_s": round(learn_s, 1),
        "learn_over_draft": round(learn_s / draft_s, 1) if draft_s else None,
        **{k: res[k] for k in ("rules", "clusters", "noise_share", "prompt_tokens", "rounds", "scorer",
                               "validation_content", "no_style")},
        "rejected": res["rejected"]["count"], "pairs": res["pairs"], "threads": cfg.threads,
    }
    print(f"demo: import {import_s:.0f}s, profile {profile_s:.2f}s, one draft {draft_s:.1f}s, "
          f"pld learn {learn_s:.0f}s ({out['demo']['learn_over_draft']} drafts), rounds {res['rounds']}",
          file=sys.stderr)

    if args.eval:
        from trainer.evaluate.harness import evaluate

        t = time.perf_counter()
        rep = evaluate(store, pack, cfg, variants=("base", "pld"), n=1, limit=args.limit)
        base, pld = rep.row("base"), rep.row("pld")
        out["eval"] = {"seconds": round(time.perf_counter() - t, 1), "limit": args.limit,
                       "base": base.to_json() if base else None, "pld": pld.to_json() if pld else None,
                       "acc_gain": (round(pld.acc - base.acc, 4) if base and pld and base.acc is not None
                                    and pld.acc is not None else None),
                       "content_gain": (round(pld.content - base.content, 4) if base and pld and
                                        base.content is not None and pld.content is not None else None),
                       "unavailable": rep.unavailable}
        print(f"eval: base acc {base and base.acc}, pld acc {pld and pld.acc}", file=sys.stderr)

    if args.allen and (CORPORA / "enron" / "allen-p").is_dir():
        from tests.trainer.learn.pld.mboxstore import MboxStore

        st = MboxStore(CORPORA / "enron" / "allen-p", ("phillip.allen@enron.com", "k..allen@enron.com"),
                       own_boxes=("_sent_mail.mbox", "sent.mbox"))
        apack = VoicePack.open(tmp / "allen")
        actx = LearnContext(store=st, pack=apack, config=Config(threads=args.threads), data_dir=tmp / "allen",
                            options=opts)
        t = time.perf_counter()
        ares = learn(actx)
        out["allen"] = {"learn_s": round(time.perf_counter() - t, 1),
                        **{k: ares[k] for k in ("rules", "clusters", "noise_share", "prompt_tokens", "rounds",
                                                "scorer", "validation_content", "no_style")},
                        "rejected": ares["rejected"]["count"]}
    store.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
