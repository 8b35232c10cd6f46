"""Quote and signature splitting: ownvoice's rules (``ingest.sources.normalize.split_body``)
against the ``mail-parser-reply`` library (``EmailReplyParser.parse_reply``) on the
same bodies: every message both Enron users sent (their three sent folders), where
about 40% carry a Lotus Notes "Forwarded by" block or an Outlook "-----Original
Message-----" block that is someone else's text.

No one labelled these messages, so the yardstick is what each splitter leaves that is
unambiguously not the user's own new text, and what it throws away:
- ``header_left``: the kept text still holds a quote or forward header (an Outlook
  "-----Original Message-----" line, a Lotus "Forwarded by" or "Name@ENRON 12/13/2000
  10:14 AM" line, an "On ... wrote:" line, or a "From:" line followed by
  "Sent:"/"To:"/"Date:"): everything below it is someone else's mail;
- ``quote_marks_left``: a kept line starts with ">";
- ``others_8grams``: the kept text repeats a run of 8 words found in a message
  someone else wrote to this user (their inbox, raw body). An inbox message may quote
  the user in turn, so this over-counts alike for both splitters;
- ``emptied``: the body has words but the kept text has none (``emptied_forwards``:
  how many of those have no words before the first quote or forward header, i.e.
  forwards with nothing added);
- ``words``: mean words kept; and messages per second.

Prints a table, a few messages where the two disagree (for reading), and ONE JSON
object on its last line, also written to bench/results/.

    .venv/bin/python bench/bench_quotes.py [--people allen-p,germany-c] [--examples 4]

It needs the library: ``pip install -e '.[bench]'`` (ownvoice itself does not use it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import CORPORA, PEOPLE, _provenance, write_result  # noqa: E402

_HEADER = re.compile(
    r"(?im)^\s*(-{3,}\s*original message\s*-{3,}"
    r"|-{5,}\s*forwarded by"
    r"|.{1,80}@\s?\w+\s+\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}\s*[ap]m"
    r"|on .{4,120} wrote:\s*$"
    r"|from:.*\n\s*(sent|to|date):)")


def _bodies(person: str) -> tuple[list[str], list[str]]:
    from ingest.kernel.records import Message
    from ingest.sources import iter_source

    own, others = [], []
    folder = CORPORA / "enron" / person
    mine = set(PEOPLE[person])
    for box in sorted(folder.glob("*.mbox")):
        for rec in iter_source(box, "mbox", source_key=str(box)):
            if not isinstance(rec, Message) or not rec.body.strip():
                continue
            if "inbox" in box.name:
                if rec.sender.lower() not in mine:
                    others.append(rec.body)
            elif rec.sender.lower() in mine:
                own.append(rec.body)
    return own, others


def _score(kept: list[str], bodies: list[str], others: set[int]) -> dict:
    from ingest.store import ngrams

    n = len(kept)
    header = sum(1 for t in kept if _HEADER.search(t))
    marks = sum(1 for t in kept if any(line.lstrip().startswith(">") for line in t.splitlines()))
    leak = sum(1 for t in kept if set(ngrams.gram_hashes(ngrams.words(t))) & others)
    emptied = [b for t, b in zip(kept, bodies) if ngrams.words(b) and not ngrams.words(t)]
    forwards = sum(1 for b in emptied if not ngrams.words(b[:m.start()] if (m := _HEADER.search(b)) else b))
    return {"header_left": round(header / n, 4), "quote_marks_left": round(marks / n, 4),
            "others_8grams": round(leak / n, 4), "emptied": round(len(emptied) / n, 4),
            "emptied_count": len(emptied), "emptied_forwards": forwards,
            "words": round(sum(len(ngrams.words(t)) for t in kept) / n, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="allen-p,germany-c")
    ap.add_argument("--examples", type=int, default=4)
    args = ap.parse_args()
    if not (CORPORA / "enron").is_dir():
        print(json.dumps({"skipped": f"{CORPORA / 'enron'} is absent"}))
        return 0
    try:
        from mailparser_reply import EmailReplyParser
    except ImportError:
        print(json.dumps({"skipped": "mail-parser-reply is not installed: pip install -e '.[bench]'"}))
        return 0

    from ingest.sources.normalize import split_body
    from ingest.store import ngrams

    prov = _provenance()
    lib = EmailReplyParser(languages=["en"])
    out: dict = {"people": {}}
    for person in args.people.split(","):
        bodies, inbox = _bodies(person)
        others = {h for b in inbox for h in ngrams.gram_hashes(ngrams.words(b))}
        row: dict = {"messages": len(bodies), "inbox_messages": len(inbox)}
        for name, fn in (("ownvoice", lambda b: split_body(b)[0]),
                         ("mail-parser-reply", lambda b: lib.parse_reply(b) or "")):
            t = time.perf_counter()
            kept = [fn(b) for b in bodies]
            secs = time.perf_counter() - t
            row[name] = {**_score(kept, bodies, others), "per_second": round(len(bodies) / secs, 1)}
            row.setdefault("_kept", {})[name] = kept
        ours, theirs = row.pop("_kept").values()
        differ = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a.split() != b.split()]
        row["differ"] = round(len(differ) / max(1, len(bodies)), 4)
        out["people"][person] = row
        print(f"\n{person}: {len(bodies)} sent messages, the two differ on {len(differ)}")
        print(f"{'':20} {'header left':>12} {'> left':>8} {'others 8g':>10} {'emptied':>8} {'words':>7} {'msg/s':>8}")
        for name in ("ownvoice", "mail-parser-reply"):
            r = row[name]
            print(f"{name:20} {r['header_left']:>12.3f} {r['quote_marks_left']:>8.3f} {r['others_8grams']:>10.3f} "
                  f"{r['emptied']:>8.3f} {r['words']:>7.1f} {r['per_second']:>8.0f}")
        step = max(1, len(differ) // max(1, args.examples))
        for i in differ[::step][:args.examples]:
            print("-" * 60, "\nownvoice:         ", ours[i][:300].replace("\n", " / "),
                  "\nmail-parser-reply:", theirs[i][:300].replace("\n", " / "), file=sys.stderr)
    write_result("bench_quotes", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
