"""Registers: does the user's greeting and sign-off *to this correspondent* predict
their real reply better than their global habits?

For each held-out pair of both Enron users (``heldout``: the eval's split, the newest
10%), and for every pair (``all``: each with what came before it), the register is
read from the replies dated before the message and outside its thread
(``trainer.draft.register``). Where there is one (correspondents, or their organisation,
with ``MIN_REPLIES`` or more earlier replies), three openings are compared with the
real reply's greeting (``greeting_of``'s form, names as ``{name}``):

- ``register``: the register's usual greeting (or the global one where the register
  has no usual one, as drafting does);
- ``global``: the user's global register as of the message (``global_register_for``:
  every earlier reply, to anyone): none when they greet less often than not, else
  their most used form;
- ``default``: "Hi {name}," (drafting's ``greet`` default).

The same for the sign-off (register vs global register). Differences are paired per
message, with 95% bootstrap intervals (``evaluate.paired_gains``).

Prints one line per person, then ONE JSON object on its last line, also written to
``bench/results/bench_register-<time>.json``.

    .venv/bin/python bench/bench_register.py [--people allen-p,germany-c]
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


def measure(store, held) -> dict:  # noqa: ANN001
    from trainer.draft.register import global_register_for, register_for
    from trainer.evaluate.harness import message_for
    from trainer.evaluate.stats import greeting_sign_off, paired_gains

    per: list[dict] = []
    scopes = {"correspondent": 0, "domain": 0}
    for p in held:
        m = message_for(p, store)
        reg = register_for(store, m, fallback=False)
        glob = global_register_for(store, m)
        if reg is None or glob is None:
            continue
        scopes[reg.scope] += 1
        real_g, real_s = greeting_sign_off(p.reply_text)  # what the eval compares
        g_global, s_global = glob.greeting, (glob.sign_off if glob.usual_sign_off else "")
        reg_g, reg_s = reg.greeting, (reg.sign_off if reg.usual_sign_off else s_global)
        glob_json = glob.to_json()
        for variant, g, s in (("global", g_global, s_global), ("register", reg_g, reg_s),
                              ("default", "Hi {name},", s_global)):
            per.append({"pair": p.id, "variant": variant, "greeting": float(g == real_g),
                        "sign_off": float(s.lower().rstrip(".,!") == real_s)})
    gains = paired_gains(per, base="global", metrics=("greeting", "sign_off"))

    def mean(v: str, k: str) -> float | None:
        xs = [r[k] for r in per if r["variant"] == v]
        return round(sum(xs) / len(xs), 4) if xs else None

    return {"pairs": len(held), "with_history": len(per) // 3, "scopes": scopes,
            "global_register": glob_json if per else None,
            "greeting": {v: mean(v, "greeting") for v in ("global", "register", "default")},
            "sign_off": {v: mean(v, "sign_off") for v in ("global", "register")},
            "register_minus_global": gains.get("register", {}),
            "default_minus_global": gains.get("default", {})}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="allen-p,germany-c")
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(json.dumps({"skipped": f"{CORPORA / 'enron'} is absent"}))
        return 0
    from ingest.store.importer import run_import
    from ingest.store.store import Store
    from trainer.evaluate.harness import heldout_pairs

    out: dict = {"rows": []}
    prov = _provenance()
    work = Path(tempfile.mkdtemp(prefix="bench-register-"))
    for person in [p.strip() for p in args.people.split(",") if p.strip()]:
        with Store.open(work / person) as store:
            run_import(sorted((CORPORA / "enron" / person).glob("*.mbox")), store, me=PEOPLE[person])
            held = heldout_pairs(store)
            every = [p for p in store.reply_pairs() if p.reply_text.strip() and p.message_text.strip()]
            for split, pairs in (("heldout", held), ("all", every)):
                t = time.perf_counter()
                row = {"person": person, "split": split, **measure(store, pairs),
                       "seconds": round(time.perf_counter() - t, 1)}
                out["rows"].append(row)
                g = row["register_minus_global"].get("greeting")
                out.setdefault("targets", {})[f"{person} {split} greeting: register beats global (interval "
                                              "above 0)"] = bool(g and g["lo"] > 0)
                print(json.dumps(row), flush=True)
    write_result("bench_register", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
