"""Time to a learned voice on a new store: import, then learn retrieval, the scorer and PLD.

As a new user would run it, through the CLI in fresh data directories, on germany-c's
four mboxes (5,000 messages):

- ``ownvoice import ... --voice-only``: returns once learning can start (reply pairs
  embedded; the search pass is left for later);
- ``ownvoice learn --routes rag,pld``: the voice scorer (always first), retrieval, then
  PLD with the embedded student as teacher;
- LoRA is reported apart (``--lora``: ``learn --routes lora --budget``), not in the total.

Target (issue #18): import + learn of retrieval, scorer and PLD in 5 minutes or less.
For the side-by-side baseline, the same run with the import as it was before embedding
was split (``import`` without ``--voice-only``: every message embedded before it
returns) is timed too.

Prints one JSON object on its last line, also written to bench/results/.

    .venv/bin/python bench/bench_time_to_voice.py [--person germany-c] [--lora 3m]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _cli, _provenance, write_result  # noqa: E402

TARGET_S = 300


def one(person: str, work: Path, log, *, voice_only: bool, lora: str | None) -> dict:  # noqa: ANN001
    data = work / ("voice-only" if voice_only else "whole")
    env = {**os.environ, "OWNVOICE_DATA_DIR": str(data / "data"), "OWNVOICE_CONFIG_DIR": str(data / "config"),
           "PYTHONUNBUFFERED": "1"}
    boxes = sorted(str(p) for p in (CORPORA / "enron" / person).glob("*.mbox"))
    me = [a for addr in PEOPLE[person] for a in ("--me", addr)]
    imp, t_import = _cli(["import", *boxes, *me, "--json", *(["--voice-only"] if voice_only else [])], env, log)
    learned, t_learn = _cli(["learn", "--routes", "rag,pld", "--json"], env, log)
    out = {"import_s": round(t_import, 1), "learn_s": round(t_learn, 1), "total_s": round(t_import + t_learn, 1),
           "messages": (imp.get("totals") or {}).get("seen"), "pairs": (imp.get("totals") or {}).get("pairs"),
           "search_coverage": (imp.get("search_coverage") or {}).get("share"),
           "voice_ready_s": imp.get("voice_ready_s"),
           "scorer_s": (learned.get("scorer") or {}).get("seconds"), "pld_s": (learned.get("pld") or {}).get("seconds")}
    if lora:
        got, t_lora = _cli(["learn", "--routes", "lora", "--budget", lora, "--json"], env, log)
        out["lora_s"] = round(t_lora, 1)
        out["lora_steps"] = (got.get("lora") or {}).get("steps")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--person", default="germany-c")
    ap.add_argument("--lora", default=None, help="also time learn --routes lora --budget BUDGET (apart)")
    args = ap.parse_args()
    if not (CORPORA / "enron" / args.person).is_dir():
        print(json.dumps({"skipped": f"{CORPORA / 'enron' / args.person} is absent"}))
        return 0
    prov = _provenance()
    work = Path(tempfile.mkdtemp(prefix="bench-ttv-"))
    with open(work / "bench.log", "a", encoding="utf-8") as log:
        new = one(args.person, work, log, voice_only=True, lora=args.lora)
        print(json.dumps({"voice_only": new}), flush=True)
        old = one(args.person, work, log, voice_only=False, lora=None)
        print(json.dumps({"whole_import_first": old}), flush=True)
    out = {"person": args.person, "voice_only": new, "whole_import_first": old,
           "ratio_total": round(old["total_s"] / new["total_s"], 2),
           "targets": {f"import + learn (rag, scorer, pld) <= {TARGET_S // 60} minutes": new["total_s"] <= TARGET_S},
           "log": str(work / "bench.log")}
    write_result("bench_time_to_voice", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
