"""The leak index: hashed word 8-grams of archived mail, for "did this draft copy
someone's private text?".

Words are lower-cased ``\\w`` runs (``words``); a draft's spans are word indices into
that same tokenization. Each message's ``text`` + ``quoted`` contributes the set of
its 8-gram hashes (``gram_hashes``: 64-bit, signed for SQLite) as (hash, message rowid)
postings; the number of postings of a hash is its doc count.

An import appends postings to ``ngrams_new`` (a plain table: appends are cheap) and
``merge`` moves them into the ``ngrams`` index sorted by hash when the import
finalizes. Inserting each message's postings straight into the index wrote to random
pages of a B-tree that grows with the archive, and every batch's commit rewrote most of
them: 28.9 s for 30,000 messages' 4.6 M postings, against 6.3 s staged and merged (and
the gap widens with the archive). Lookups read both tables, so a draft made while an
import was cut short before its merge still sees every message (the staging table has
no index: slower, still correct).
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

import numpy as np

N = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens.

    >>> words("Don't  PANIC, it's 8:30.")
    ['don', 't', 'panic', 'it', 's', '8', '30']
    """
    return _WORD.findall((text or "").lower())


_P = np.uint64(0x9E3779B97F4A7C15)  # odd: the rolling hash's base
_C1, _C2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)  # splitmix64's finaliser
_WORDS: dict[str, int] = {}  # word -> its 64-bit hash; cleared when it grows past _MAX_WORDS
_MAX_WORDS = 1 << 20


def _word_hash(w: str) -> int:
    h = _WORDS.get(w)
    if h is None:
        if len(_WORDS) >= _MAX_WORDS:
            _WORDS.clear()
        h = _WORDS[w] = int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "big")
    return h


def gram_hashes(tokens: list[str], n: int = N) -> list[int]:
    """The hash of every n-gram window, in order (len(tokens) - n + 1 of them): a
    polynomial over the words' blake2b hashes, mod 2**64, then splitmix64's finaliser,
    as signed 64-bit integers for SQLite. Vectorised: hashing each window's joined text
    was a third of an import's time."""
    m = len(tokens) - n + 1
    if m <= 0:
        return []
    w = np.fromiter((_word_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    acc = w[:m].copy()
    with np.errstate(over="ignore"):
        for k in range(1, n):
            acc *= _P
            acc += w[k:k + m]
        acc ^= acc >> np.uint64(30)
        acc *= _C1
        acc ^= acc >> np.uint64(27)
        acc *= _C2
        acc ^= acc >> np.uint64(31)
    return acc.view(np.int64).tolist()


def message_hashes(text: str, quoted: str = "", n: int = N) -> set[int]:
    """The distinct n-gram hashes a message contributes (its text and its quotes)."""
    out = set(gram_hashes(words(text), n))
    if quoted:
        out.update(gram_hashes(words(quoted), n))
    return out


def add(db: sqlite3.Connection, rid: int, text: str, quoted: str = "") -> int:
    """Stage a message's postings (``merge`` indexes them)."""
    hs = message_hashes(text, quoted)
    db.executemany("INSERT INTO ngrams_new(hash, rid) VALUES(?, ?)", ((h, rid) for h in hs))
    return len(hs)


def merge(db: sqlite3.Connection) -> int:
    """Move the staged postings into the index, in hash order; returns how many moved.
    Runs inside the caller's transaction."""
    n = db.execute("SELECT COUNT(*) FROM ngrams_new").fetchone()[0]
    if n:
        db.execute("INSERT OR IGNORE INTO ngrams(hash, rid) SELECT hash, rid FROM ngrams_new "
                   "ORDER BY hash, rid")
        db.execute("DELETE FROM ngrams_new")
    return n


def remove(db: sqlite3.Connection, rid: int, text: str, quoted: str = "") -> None:
    hs = [(h, rid) for h in message_hashes(text, quoted)]
    db.executemany("DELETE FROM ngrams WHERE hash = ? AND rid = ?", hs)
    if db.execute("SELECT 1 FROM ngrams_new LIMIT 1").fetchone():
        db.execute("DELETE FROM ngrams_new WHERE rid = ?", (rid,))


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
    tables = ["ngrams"]
    if db.execute("SELECT 1 FROM ngrams_new LIMIT 1").fetchone():
        tables.append("ngrams_new")  # an import cut short before its merge
    for table in tables:
        for i in range(0, len(uniq), 500):
            chunk = uniq[i:i + 500]
            marks = ",".join("?" * len(chunk))
            if exclude_thread:
                q = (f"SELECT g.hash, COUNT(*) FROM {table} g JOIN messages m ON m.rid = g.rid "
                     f"WHERE g.hash IN ({marks}) AND m.thread != ? GROUP BY g.hash")
                rows = db.execute(q, (*chunk, exclude_thread))
            else:
                rows = db.execute(f"SELECT hash, COUNT(*) FROM {table} WHERE hash IN ({marks}) "
                                  "GROUP BY hash", chunk)
            for h, c in rows:
                counts[h] = counts.get(h, 0) + c
    rare = [1 <= counts.get(h, 0) <= max_docs for h in hs]
    extra = n - N  # a window of n words = n-N+1 consecutive 8-grams
    starts = [i for i in range(len(hs) - extra) if all(rare[i:i + extra + 1])]
    return merge_spans(starts, n)
