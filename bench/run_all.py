"""Run every bench/bench_*.py and collect the JSON object each prints on its last line.

Usage: python bench/run_all.py [NAME ...] [--out FILE]
Prints one line per benchmark while running, then all figures as one JSON object on
the last line. Benchmarks measure a baseline in the same run and report ratios, so
figures from different machines compare. Exits 1 when a benchmark errors or reports a
missed target (``"targets": {"name": false}`` in its JSON), so a target can fail.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", help="bench names (e.g. parse import); default all")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
    results: dict[str, object] = {}
    for s in scripts:
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, str(s)], capture_output=True, text=True, cwd=HERE.parent)
        lines = [ln for ln in r.stdout.strip().splitlines() if ln.strip()]
        try:
            figures = json.loads(lines[-1]) if lines else None
        except json.JSONDecodeError:
            figures = None
        name = s.stem.removeprefix("bench_")
        results[name] = figures if figures is not None else {"error": (r.stderr or r.stdout)[-800:], "rc": r.returncode}
        print(f"{name}: {time.perf_counter() - t0:.0f}s rc={r.returncode}", file=sys.stderr)
    text = json.dumps(results, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    failed = [f"{name}: error" for name, r in results.items() if isinstance(r, dict) and "error" in r]
    failed += [f"{name}: missed {t}" for name, r in results.items() if isinstance(r, dict)
               for t, ok in (r.get("targets") or {}).items() if ok is False]
    for f in failed:
        print(f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
