"""The leak index: hashed word 8-grams of archived mail, for "did this draft copy
someone's private text?".

Words are lower-cased ``\\w`` runs (``words``); a draft's spans are word indices into
that same tokenization. Each message's ``text`` + ``quoted`` contributes the set of
its 8-gram hashes (64-bit blake2b, signed for SQLite) to the ``ngrams`` table as
(hash, message rowid) postings; the number of postings of a hash is its doc count.
``rare_runs`` flags windows of a draft whose run of ``n`` words occurs in 1..max_docs
archived messages outside the thread being answered: a run found in many messages
(a disclaimer, a greeting) is common, not a leak.

What it leaves out: documents are not indexed (they are the user's own writing, not
someone else's mail); runs shorter than ``N`` words are never flagged; hash
collisions (2^-64 per pair) are ignored.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from typing import Iterable

N = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens.

    >>> words("Don't  PANIC, it's 8:30.")
    ['don', 't', 'panic', 'it', 's', '8', '30']
    """
    return _WORD.findall((text or "").lower())


def _h(gram: tuple[str, ...]) -> int:
    d = hashlib.blake2b(" ".join(gram).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(d, "big", signed=True)


def gram_hashes(tokens: list[str], n: int = N) -> list[int]:
    """The hash of every n-gram window, in order (len(tokens) - n + 1 of them)."""
    return [_h(tuple(tokens[i:i + n])) for i in range(len(tokens) - n + 1)]


def message_hashes(text: str, quoted: str = "", n: int = N) -> set[int]:
    """The distinct n-gram hashes a message contributes (its text and its quotes)."""
    out = set(gram_hashes(words(text), n))
    if quoted:
        out.update(gram_hashes(words(quoted), n))
    return out


def add(db: sqlite3.Connection, rid: int, text: str, quoted: str = "") -> int:
    hs = message_hashes(text, quoted)
    db.executemany("INSERT OR IGNORE INTO ngrams(hash, rid) VALUES(?, ?)", ((h, rid) for h in hs))
    return len(hs)


def remove(db: sqlite3.Connection, rid: int, text: str, quoted: str = "") -> None:
    db.executemany("DELETE FROM ngrams WHERE hash = ? AND rid = ?",
                   ((h, rid) for h in message_hashes(text, quoted)))


def merge_spans(starts: Iterable[int], n: int) -> list[tuple[int, int]]:
    """Merge windows [s, s+n) into disjoint spans.

    >>> merge_spans([0, 1, 5, 20], 8)
    [(0, 13), (20, 28)]
    """
    spans: list[tuple[int, int]] = []
    for s in sorted(set(starts)):
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], s + n))
        else:
            spans.append((s, s + n))
    return spans


def rare_runs(db: sqlite3.Connection, text: str, exclude_thread: str | None = None,
              n: int = N, max_docs: int = 2) -> list[tuple[int, int]]:
    """Word spans of ``text`` that copy a run of ``n`` words found in 1..max_docs
    archived messages outside ``exclude_thread``.

    The index holds 8-grams; for ``n > 8`` a window counts when all its 8-grams are
    found; ``n < 8`` is not supported by the index and raises ValueError.
    """
    if n < N:
        raise ValueError(f"the leak index holds {N}-grams; n must be >= {N}")
    toks = words(text)
    hs = gram_hashes(toks, N)
    if not hs:
        return []
    uniq = list(set(hs))
    counts: dict[int, int] = {}
    for i in range(0, len(uniq), 500):
        chunk = uniq[i:i + 500]
        marks = ",".join("?" * len(chunk))
        if exclude_thread:
            q = (f"SELECT g.hash, COUNT(*) FROM ngrams g JOIN messages m ON m.rid = g.rid "
                 f"WHERE g.hash IN ({marks}) AND m.thread != ? GROUP BY g.hash")
            rows = db.execute(q, (*chunk, exclude_thread))
        else:
            rows = db.execute(f"SELECT hash, COUNT(*) FROM ngrams WHERE hash IN ({marks}) "
                              "GROUP BY hash", chunk)
        counts.update((h, c) for h, c in rows)
    rare = [1 <= counts.get(h, 0) <= max_docs for h in hs]
    extra = n - N  # a window of n words = n-N+1 consecutive 8-grams
    starts = [i for i in range(len(hs) - extra) if all(rare[i:i + extra + 1])]
    return merge_spans(starts, n)
