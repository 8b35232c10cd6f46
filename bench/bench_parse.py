"""Parse speed: ownvoice's ``iter_source`` (parse + normalize) against a bare stdlib
read of the same mbox files in the same run.

Baseline: ``mailbox.mbox`` + ``email.message_from_bytes`` + ``get_payload(decode=True)``
of every leaf part. Targets: ratio >= 0.67 of the bare rate and >= 1,500 msg/s on a
2-core machine. Prints a table, then ONE JSON object on its last line.

    .venv/bin/python bench/bench_parse.py [folder of .mbox files] [--repeat N] [--big-mb 200]

``--big-mb N`` also writes an N MB synthetic mbox (with one 30 MB message in it) to a
temp dir and parses it in a child process, reporting that child's peak RSS: memory
must stay flat however large the file.
"""

from __future__ import annotations

import argparse
import email
import json
import mailbox
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT = Path(os.environ.get("OWNVOICE_CORPORA", ROOT.parent / "shared" / "corpora")) / "enron" / "germany-c"


def peak_rss_mb() -> float:
    if _hwm_mb():
        return _hwm_mb()
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except Exception:  # noqa: BLE001
        return float("nan")


def bare(files: list[Path]) -> int:
    n = 0
    for f in files:
        box = mailbox.mbox(str(f), create=False)
        for key in box.iterkeys():
            msg = email.message_from_bytes(box.get_bytes(key))
            for part in msg.walk():
                if not part.is_multipart():
                    part.get_payload(decode=True)
            n += 1
        box.close()
    return n


def ours(folder: Path) -> tuple[int, int]:
    from ingest.kernel.records import Message, Skip
    from ingest.sources import iter_source

    n = skips = 0
    for rec in iter_source(folder):
        if isinstance(rec, Message):
            n += 1
        elif isinstance(rec, Skip):
            skips += 1
    return n, skips


def _big_child(path: str, q) -> None:  # noqa: ANN001
    import resource
    import time as _t

    from ingest.kernel.records import Message
    from ingest.sources import iter_source

    t = _t.perf_counter()
    n = sum(1 for r in iter_source(path) if isinstance(r, Message))
    q.put((n, _t.perf_counter() - t, _hwm_mb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))


def _hwm_mb() -> float:
    """This process's peak RSS from /proc (ru_maxrss is inherited across fork+exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def big_file(mb: int) -> dict:
    import base64
    import multiprocessing as mp
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.mbox"
        msg = ("From a@example.com Mon Apr 18 14:23:23 2022\nFrom: a@example.com\nTo: b@example.com\n"
               "Subject: s\n\n" + "Some words of mine. " * 100 + "\n\n").encode()
        blob = base64.encodebytes(b"\x00" * (30 << 20))
        huge = (b"From a@example.com Mon Apr 18 14:23:23 2022\nFrom: a@example.com\nSubject: huge\n"
                b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\n'
                b"Text before the attachment.\n--B\nContent-Type: application/octet-stream\n"
                b"Content-Transfer-Encoding: base64\n\n" + blob + b"--B--\n\n")
        with open(path, "wb") as f:
            written = 0
            while written < (mb << 20):
                block = msg * 1000
                f.write(block)
                written += len(block)
                if written >= (mb << 19) and huge:
                    f.write(huge)
                    written += len(huge)
                    huge = b""
        q = mp.get_context("spawn").Queue()
        p = mp.get_context("spawn").Process(target=_big_child, args=(str(path), q))
        p.start()
        n, secs, rss = q.get()
        p.join()
        return {"big_mb": round(path.stat().st_size / (1 << 20)), "big_messages": n,
                "big_msg_per_s": round(n / secs, 1), "big_peak_rss_mb": round(rss, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs each (at least 2: each side goes "
                                                          "first once)")
    ap.add_argument("--big-mb", type=int, default=0, help="also parse a synthetic mbox this large")
    args = ap.parse_args()
    folder = Path(args.folder)
    files = sorted(folder.glob("*.mbox"))
    if not files:
        print(f"skipped: no .mbox files at {folder} (the real-mail corpora are absent; set OWNVOICE_CORPORA)")
        print(json.dumps({"skipped": True, "reason": f"no corpora at {folder}"}))
        return 0
    best_bare = best_ours = float("inf")
    n_bare = n_ours = skips = 0
    for k in range(max(2, args.repeat)):  # alternate which side runs first (warm caches favour the second)
        for side in (("bare", "ours") if k % 2 == 0 else ("ours", "bare")):
            t = time.perf_counter()
            if side == "bare":
                n_bare = bare(files)
                best_bare = min(best_bare, time.perf_counter() - t)
            else:
                n_ours, skips = ours(folder)
                best_ours = min(best_ours, time.perf_counter() - t)
    rate_bare, rate_ours = n_bare / best_bare, n_ours / best_ours
    ratio = rate_ours / rate_bare
    res = {
        "folder": str(folder),
        "files": len(files),
        "messages_bare": n_bare,
        "messages_ours": n_ours,
        "skips_ours": skips,
        "bare_msg_per_s": round(rate_bare, 1),
        "ours_msg_per_s": round(rate_ours, 1),
        "ratio_vs_bare": round(ratio, 3),
        "target_ratio": 0.67,
        "target_msg_per_s": 1500,
        "meets_ratio": ratio >= 0.67,
        "meets_rate": rate_ours >= 1500,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cpu_count": os.cpu_count(),
        "order": "alternating, best of each",
        "targets": {"ratio_vs_bare >= 0.67": ratio >= 0.67, "msg_per_s >= 1500": rate_ours >= 1500},
    }
    if args.big_mb:
        res.update(big_file(args.big_mb))
        print(f"synthetic {res['big_mb']} MB mbox: {res['big_messages']} msgs at {res['big_msg_per_s']:,.0f} msg/s, "
              f"peak RSS {res['big_peak_rss_mb']} MB")
    print(f"bare stdlib : {n_bare} msgs in {best_bare:.2f}s = {rate_bare:,.0f} msg/s")
    print(f"iter_source : {n_ours} msgs (+{skips} skips) in {best_ours:.2f}s = {rate_ours:,.0f} msg/s")
    print(f"ratio {ratio:.2f} (target >= 0.67), peak RSS {res['peak_rss_mb']} MB")
    from bench.bench_eval import _provenance, write_result

    write_result("bench_parse", res, _provenance())
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
