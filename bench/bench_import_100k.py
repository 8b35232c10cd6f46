"""A lifetime of mail: the first import of a 100,000-message mbox, and when the voice is ready.

The mbox is built here from ../shared/corpora (both Enron users, every folder),
repeated with varied headers and bodies until it holds ``--messages`` messages: each
copy gets its own Message-IDs (threads and replies stay linked within it), a subject
tag and a line of its own, so that content dedup keeps every one. Then, each in a
process of its own (for a clean peak RSS):

- ``import``: ``run_import`` of the whole file into a fresh store, as ``ownvoice
  import`` runs it before its second bar: parse, dedup, SQLite, n-grams (own messages
  embedded alongside on the second core), pairing, and the newest ``VOICE_PAIRS``
  reply pairs embedded. When it returns, ``learn`` can start: that is the voice-ready
  time.
- ``search pass``: the background pass (``Store.embed_rest``: the older reply pairs,
  then the messages) on the same store for ``--pass-seconds``, for its rate (the
  whole pass is about that rate times what remains).
- ``before``: the same import of the first ``--baseline`` messages the way the import
  ran before the split (every message embedded during the import), against the new
  import of the same messages, side by side: the ratio is what the split buys.

Targets (issue #18): import of 100,000 messages in 10 minutes or less, voice-ready in 3
minutes or less, peak RSS under 1 GB.

Prints one JSON object on its last line, also written to bench/results/.

    .venv/bin/python bench/bench_import_100k.py [--messages 100000] [--baseline 5000]
"""

from __future__ import annotations

import argparse
import json
import mailbox
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _provenance, write_result  # noqa: E402

_MID = re.compile(rb"(<[^<>@\s]+@[^<>\s]+>)")


def build_mbox(dest: Path, n: int) -> dict:
    """Write ``n`` messages to ``dest`` from the Enron folders, repeated with variations."""
    raws: list[bytes] = []
    for person in ("allen-p", "germany-c"):
        for box_path in sorted((CORPORA / "enron" / person).glob("*.mbox")):
            box = mailbox.mbox(str(box_path), create=False)
            raws.extend(box.get_bytes(k) for k in box.keys())
    out = mailbox.mbox(str(dest))
    copies = 0
    written = 0
    while written < n:
        for raw in raws:
            if written >= n:
                break
            head, sep, body = raw.partition(b"\n\n")
            if copies:
                head = _MID.sub(lambda m: m.group(1)[:-1] + f".c{copies}>".encode(), head)
                head = re.sub(rb"(?mi)^Subject: ?", f"Subject: [{copies}] ".encode(), head, count=1)
                body = f"(copy {copies}, item {written})\n".encode() + body
            out.add(head + (sep or b"\n\n") + body)
            written += 1
        copies += 1
    out.flush()
    out.close()
    return {"messages": written, "distinct_sources": len(raws), "copies": copies}


WORKER = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
mode, mbox, data, me = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(",")
seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
from ingest.kernel.privacy import lock_down
lock_down()   # the offline switches and the umask, as the CLI's entry point sets them
from ingest.store.embed import get_embedder
get_embedder().encode(["warm up"])   # the model load is not the import's
from ingest.kernel.errors import Cancelled
from ingest.kernel.jobs import CancelToken
from ingest.store.importer import run_import
from ingest.store.store import Store

def vmhwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None

out = {"mode": mode}
with Store.open(data, chroma_url="") as st:
    t = time.perf_counter()
    if mode in ("import", "new"):
        res = run_import([mbox], st, me)
        out["seconds"] = round(time.perf_counter() - t, 1)
        out["messages"] = st.count()
        out["pairs"] = len(st.reply_pairs())
        out["coverage"] = st.coverage()
    elif mode == "before":
        res = run_import([mbox], st, me)
        st.embed_rest()   # what the import did before the split: every message embedded before it returned
        out["seconds"] = round(time.perf_counter() - t, 1)
        out["messages"] = st.count()
    elif mode == "pass":
        cancel = CancelToken()
        done = [0]
        def stop(p):
            done[0] = p.done
            if time.perf_counter() - t > seconds:
                cancel.cancel()
        try:
            st.embed_rest(stop, cancel)
        except Cancelled:
            pass
        secs = time.perf_counter() - t
        out.update(seconds=round(secs, 1), embedded=done[0], per_second=round(done[0] / secs, 1),
                   coverage=st.coverage())
out["peak_rss_mb"] = round(vmhwm() or 0, 1)
print(json.dumps(out))
"""


def run(mode: str, mbox: Path, data: Path, me: tuple[str, ...], seconds: float = 0.0) -> dict:
    r = subprocess.run([sys.executable, "-c", WORKER, str(ROOT), mode, str(mbox), str(data), ",".join(me),
                        str(seconds)], capture_output=True, text=True, timeout=3600,
                       env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
    if r.returncode != 0:
        raise SystemExit(f"{mode} failed: {r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--baseline", type=int, default=5000, help="messages for the before/after comparison")
    ap.add_argument("--pass-seconds", type=float, default=60.0)
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(json.dumps({"skipped": f"{CORPORA / 'enron'} is absent"}))
        return 0
    prov = _provenance()
    work = Path(tempfile.mkdtemp(prefix="bench-100k-"))
    me = tuple(a for p in ("allen-p", "germany-c") for a in PEOPLE[p])
    t = time.perf_counter()
    built = build_mbox(work / "big.mbox", args.messages)
    built["build_seconds"] = round(time.perf_counter() - t, 1)
    built["mbox_mb"] = round((work / "big.mbox").stat().st_size / 2**20, 1)
    print(json.dumps({"built": built}), flush=True)
    big = run("import", work / "big.mbox", work / "data-big", me)
    print(json.dumps({"import": big}), flush=True)
    search = run("pass", work / "big.mbox", work / "data-big", me, args.pass_seconds)
    print(json.dumps({"search_pass": search}), flush=True)
    build_mbox(work / "small.mbox", args.baseline)
    rounds = []
    for r in range(2):  # alternated, so the machine's drift hits both alike
        order = ("before", "new") if r == 0 else ("new", "before")
        got = {m: run(m, work / "small.mbox", work / f"data-{m}-{r}", me) for m in order}
        rounds.append({"order": list(order), **got, "ratio": round(got["before"]["seconds"] / got["new"]["seconds"], 2)})
        print(json.dumps(rounds[-1]), flush=True)
    pending = big["coverage"]["remaining"]  # older reply pairs, then messages for search
    out = {
        "messages": built, "import": big, "search_pass": search,
        "background_pass_minutes_estimate": round(pending / max(1e-9, search["per_second"]) / 60, 1),
        "before_vs_new": rounds,
        "voice_ready_speedup": round(sum(r["ratio"] for r in rounds) / len(rounds), 2),
        "targets": {
            "import of the whole mbox <= 10 minutes": big["seconds"] <= 600,
            "voice ready <= 3 minutes": big["seconds"] <= 180,
            "peak RSS < 1 GB": big["peak_rss_mb"] < 1024,
        },
    }
    write_result("bench_import_100k", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
