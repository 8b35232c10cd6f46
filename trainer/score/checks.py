"""Checks reported beside fidelity: leak and length.

- Leak: the share of a draft's sentences that copy a run of 8+ consecutive words from
  archived mail outside the thread being answered, where that run is rare in the
  archive (found in at most two messages: boilerplate such as a disclaimer is not a
  leak). The store's hashed n-gram index answers this (``store.rare_runs``). A
  voice model must not carry one correspondent's private text into a reply to
  another; quoting the thread being answered is fine.
- Length: the draft's words against the user's typical (median) reply length.

The whole draft goes to the store in one query; the word spans it returns (indices
into the store's tokenization: ``\\w+`` runs, as ``ingest.store.ngrams.words``) are mapped
back to character offsets, and every atom a flagged run touches counts as leaked.

What it leaves out: it cannot tell a leak the user would approve (forwarding on
purpose) from one they would not; the draft view shows the flag, the user decides.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from ingest.kernel.protocols import MailStore
from trainer.score.atoms import Atom, split_atoms

LEAK_WORDS = 8
LEAK_MAX_DOCS = 2
_WORD = re.compile(r"\S+")
_TOKEN = re.compile(r"\w+", re.UNICODE)  # the store's leak-index tokenization (ingest.store.ngrams.words)


def word_count(text: str) -> int:
    """Words (whitespace-separated tokens).

    >>> word_count("Sounds good -- see you at 5.")
    7
    """
    return len(_WORD.findall(text or ""))


@dataclass(frozen=True)
class LeakReport:
    rate: float | None  # share of the draft's atoms that leak; None for an empty draft
    leaked: tuple[Atom, ...]
    atoms: int


def leak(text: str, store: MailStore, *, exclude_thread: str | None = None, atoms: list[Atom] | None = None,
         n: int = LEAK_WORDS, max_docs: int = LEAK_MAX_DOCS) -> LeakReport:
    """Which atoms of ``text`` copy a rare run of ``n``+ words from outside ``exclude_thread``."""
    atoms = split_atoms(text) if atoms is None else atoms
    if not atoms:
        return LeakReport(None, (), 0)
    spans = store.rare_runs(text, exclude_thread=exclude_thread or None, n=n, max_docs=max_docs)
    if not spans:
        return LeakReport(0.0, (), len(atoms))
    offs = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    flagged = []
    for a, b in spans:
        for w in range(max(0, a), min(b, len(offs))):
            flagged.append(offs[w])
    leaked = tuple(at for at in atoms if any(s < at.end and e > at.start for s, e in flagged))
    return LeakReport(len(leaked) / len(atoms), leaked, len(atoms))


def typical_reply_words(store: MailStore) -> int | None:
    """Median words of the user's replies (reply pairs; own messages when there are none)."""
    counts = [word_count(p.reply_text) for p in store.reply_pairs() if p.reply_text.strip()]
    if not counts:
        counts = [word_count(m.text) for m in store.messages(own=True) if m.text.strip()]
    return int(statistics.median(counts)) if counts else None


def length_ratio(text: str, typical_words: int | None) -> float | None:
    """Draft words / typical words (1.0: the user's usual length).

    >>> length_ratio("one two three four", 8)
    0.5
    """
    if not typical_words:
        return None
    return word_count(text) / typical_words
