"""IMAP sync speed against importing the same messages from an mbox file.

Starts a real Dovecot on loopback (``tests/ingest/store/imap_server.py``; Debian's
dovecot-imapd must be installed), APPENDs ``--messages`` messages from germany-c's
mailboxes to its INBOX (not timed), writes the same messages to an mbox file, and
imports each side into a fresh store, alternating which goes first over ``--rounds``
rounds. Each side is the import proper: what an import embeds (the reply pairs)
included, the search pass (``Store.embed_rest``, the same on both sides) not. The
target: IMAP at 0.8x the mbox rate or better.

Prints one line per round, then ONE JSON object on its last line, also written to
``bench/results/bench_imap-<time>.json``.

    .venv/bin/python bench/bench_imap.py [--messages 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import mailbox
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _provenance, write_result  # noqa: E402

TARGET = 0.8


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from tests.ingest.store.imap_server import PASSWORD, USER, DovecotServer

    why = DovecotServer.available() or ("" if (CORPORA / "enron").is_dir() else f"{CORPORA / 'enron'} is absent")
    if why:
        print(json.dumps({"skipped": why}))
        return 0
    from ingest.store.imap import import_imap
    from ingest.store.importer import run_import
    from ingest.store.store import Store

    prov = _provenance()
    work = Path(tempfile.mkdtemp(prefix="bench-imap-"))
    raws: list[bytes] = []
    for name in ("inbox.mbox", "_sent_mail.mbox", "sent.mbox"):
        box = mailbox.mbox(str(CORPORA / "enron" / "germany-c" / name), create=False)
        for k in box.keys():
            raws.append(box.get_bytes(k))
            if len(raws) >= args.messages:
                break
        if len(raws) >= args.messages:
            break
    mbox_path = work / "same.mbox"
    out_box = mailbox.mbox(str(mbox_path))
    for raw in raws:
        out_box.add(raw)
    out_box.flush()
    out_box.close()
    srv = DovecotServer.start(work / "dovecot")
    rows = []
    try:
        t = time.perf_counter()
        srv.append("INBOX", raws)
        append_s = time.perf_counter() - t
        me = PEOPLE["germany-c"]
        url = f"imap://{USER}@127.0.0.1:{srv.imaps_port}/INBOX"
        for r in range(args.rounds):
            order = ("mbox", "imap") if r % 2 == 0 else ("imap", "mbox")
            got = {}
            for side in order:
                dest = work / f"{side}-{r}"
                with Store.open(dest) as st:
                    t = time.perf_counter()
                    if side == "mbox":
                        res = run_import([mbox_path], st, me)
                    else:
                        res = import_imap(url, st, me, password=PASSWORD, trust=srv.fingerprint)
                    secs = time.perf_counter() - t
                    got[side] = {"seconds": round(secs, 2), "messages": st.count(),
                                 "seen": sum(x.seen for x in res.reports), "per_second": round(st.count() / secs, 1)}
            row = {"round": r, "order": list(order), **got,
                   "ratio": round(got["imap"]["per_second"] / got["mbox"]["per_second"], 3)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        srv.stop()
    ratio = statistics.median(r["ratio"] for r in rows)
    out = {"messages": len(raws), "rounds": rows, "append_seconds": round(append_s, 1),
           "imap_vs_mbox": round(ratio, 3), "targets": {f"IMAP sync >= {TARGET}x the mbox import": ratio >= TARGET},
           "same_count": all(r["imap"]["messages"] == r["mbox"]["messages"] for r in rows)}
    write_result("bench_imap", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
