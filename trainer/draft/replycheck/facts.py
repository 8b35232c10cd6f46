"""Facts a draft states, and whether the thread or the user's archive holds them.

``fact_keys`` turns any text into comparable keys (numbers, prices, percentages,
digit strings of phone numbers, addresses, links, lower-case words); ``Archive`` counts
them over the whole store; ``invented_spans`` finds the facts of a draft whose keys are
known nowhere.

What it leaves out: single-digit numbers, bare weekdays and months, and capitalised
words at a sentence start (a name there cannot be told from grammar).
"""

from __future__ import annotations

import re
from ingest.kernel.protocols import MailStore
from collections import Counter
from typing import Callable, Iterable

from trainer.draft.flags import normalize_url, urls_in
from trainer.draft.replycheck.spans import Span
from trainer.draft.storecache import per_store

# -- the archive's known facts --------------------------------------------------------------------
_MONEY = r"(?:[$£€¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn|million|billion|thousand))?\b|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars|pounds|euros|usd|gbp|eur|p)\b)"
_PERCENT = r"\b\d+(?:\.\d+)?\s?(?:%|percent\b|per cent\b)"
_TIME = r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)(?![a-z])|\b\d{1,2}:\d{2}\b"
_DATE = (r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b|\b\d{1,2}(?:st|nd|rd|th)\b|"
         r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b")
_PHONE = r"(?<![\w.])(?:\+?\d{1,3}[ .-]?)?(?:\(\d{2,4}\) ?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}(?![\w])"
_EMAIL = r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"
_NUMBER = r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])"
FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(p, re.I)) for kind, p in (
        ("email", _EMAIL), ("phone", _PHONE), ("money", _MONEY), ("percent", _PERCENT), ("time", _TIME),
        ("date", _DATE), ("number", _NUMBER)))
_NUM_IN = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MONEY_RX = re.compile(_MONEY, re.I)
_PERCENT_RX = re.compile(_PERCENT, re.I)
_CAP_WORD = re.compile(r"(?<![\w'’-])[A-Z][a-zA-Z'’-]{1,}")
# capitalised for grammar, not names
_COMMON_CAPS = frozenset("""i i'm i'll i've i'd ok okay mon tue wed thu fri sat sun monday tuesday wednesday thursday
friday saturday sunday january february march april may june july august september october november december
mr mrs ms dr re fw fwd fyi asap pm am tbd eta cc bcc ps""".split())


def number_key(s: str) -> str:
    """A number as a comparable key: separators gone, trailing zero decimals gone.

    >>> number_key("$1,200.00"), number_key("4.50"), number_key("16th")
    ('1200', '4.5', '16')
    """
    m = _NUM_IN.search(s or "")
    if not m:
        return ""
    n = m.group(0).replace(",", "")
    if "." in n:
        n = n.rstrip("0").rstrip(".")
    return n.lstrip("0") or "0"


def fact_keys(text: str) -> set[str]:
    """Everything in ``text`` a fact can be matched against: numbers, digit strings
    (phones), addresses, URLs and lower-case words."""
    keys: set[str] = set()
    for m in _NUM_IN.finditer(text or ""):
        keys.add("n:" + number_key(m.group(0)))
    # a price or a percentage is known only as a price or a percentage ("75 cases" is not "75%")
    for m in _MONEY_RX.finditer(text or ""):
        keys.add("m:" + number_key(m.group(0)))
    for m in _PERCENT_RX.finditer(text or ""):
        keys.add("p:" + number_key(m.group(0)))
    for m in re.finditer(_PHONE, text or ""):
        keys.add("d:" + re.sub(r"\D", "", m.group(0))[-7:])
    for m in re.finditer(_EMAIL, text or "", re.I):
        keys.add("e:" + m.group(0).lower())
    for u in urls_in(text or ""):
        keys.add("u:" + normalize_url(u))
    keys.update("w:" + w for w in re.findall(r"[a-z][a-z'’-]*", (text or "").lower()))
    return keys


def _span_keys(kind: str, text: str) -> list[str]:
    """The keys a fact span must all find to be known."""
    if kind == "email":
        return ["e:" + text.lower()]
    if kind == "url":
        return ["u:" + normalize_url(text)]
    if kind == "phone":
        return ["d:" + re.sub(r"\D", "", text)[-7:]]
    if kind == "name":
        return ["w:" + re.sub(r"['’](?:s)?$", "", text.lower())]
    if kind in ("money", "percent"):
        return [kind[0] + ":" + number_key(text)]
    return ["n:" + number_key(m.group(0)) for m in _NUM_IN.finditer(text)]


class Archive:
    """Document frequencies of fact keys over the whole store (messages, their
    signatures and quotes, and documents), so a held-out reply can be left out of it
    (``without``). Built once per store and size (cached)."""

    def __init__(self, df: Counter[str]) -> None:
        self.df = df

    @classmethod
    def of(cls, store: MailStore) -> "Archive":
        if store is None:
            return cls(Counter())
        return per_store("archive facts", store, cls._build)

    @classmethod
    def _build(cls, store: MailStore) -> "Archive":
        df: Counter[str] = Counter()
        for m in store.messages():
            df.update(fact_keys("\n".join((m.subject or "", m.sender_name or "", m.sender or "", m.body or m.text or "",
                                           m.signature or ""))))
        docs = getattr(store, "documents", None)
        for d in (docs() if callable(docs) else ()):
            df.update(fact_keys(d.title + "\n" + d.text))
        return cls(df)

    def knows(self, key: str, minus: frozenset[str] = frozenset()) -> bool:
        return self.df.get(key, 0) - (1 if key in minus else 0) > 0

    def number_prefixes(self) -> frozenset[str]:
        """Every prefix of every number the archive holds (for the decoding constraint)."""
        got = getattr(self, "_prefixes", None)
        if got is None:
            got = self._prefixes = number_prefixes(k for k in self.df if k.startswith("n:"))
        return got


def number_prefixes(keys: Iterable[str]) -> frozenset[str]:
    """Prefixes of the numbers behind ``n:`` keys.

    >>> sorted(number_prefixes(["n:4.5", "n:12"]))
    ['1', '12', '4', '4.', '4.5']
    """
    out: set[str] = set()
    for k in keys:
        n = k[2:] if k.startswith("n:") else ""
        out.update(n[:i] for i in range(1, len(n) + 1))
    return frozenset(out)


def _sentence_starts(text: str) -> set[int]:
    starts = {0}
    for m in re.finditer(r"(?:[.!?:;]\s+|\n\s*|^\s*|[-—–•*]\s+|\(\s*|\"\s*)", text):
        starts.add(m.end())
    return starts


def invented_spans(draft: str, known: Callable[[str], bool]) -> list[Span]:
    """Fact spans in ``draft`` whose keys are not all ``known``."""
    taken: list[tuple[int, int]] = []
    out: list[Span] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    cands: list[tuple[int, int, str]] = []
    for u in urls_in(draft):
        i = draft.find(u)
        if i >= 0:
            cands.append((i, i + len(u), "url"))
    for kind, rx in FACT_PATTERNS:
        for m in rx.finditer(draft):
            cands.append((m.start(), m.end(), kind))
    starts = _sentence_starts(draft)
    for m in _CAP_WORD.finditer(draft):
        w = m.group(0)
        if m.start() in starts or re.sub(r"['’](?:s)?$", "", w.lower()) in _COMMON_CAPS or w.isupper():
            continue
        cands.append((m.start(), m.end(), "name"))
    for s, e, kind in cands:
        text = draft[s:e].strip()
        if not text or not free(s, e):
            continue
        if kind == "number" and len(re.sub(r"\D", "", text)) < 2:
            continue  # single digits: "2 minutes", "1 of them"
        taken.append((s, e))
        keys = [k for k in _span_keys(kind, text) if k.split(":", 1)[1]]
        if keys and not all(known(k) for k in keys):
            what = {"name": "a name", "url": "a link", "email": "an address", "phone": "a phone number"}.get(kind, kind)
            out.append(Span(text, s, s + len(draft[s:e].rstrip()), f"{what} found neither in this thread "
                                                                     "nor anywhere in your mail"))
    return sorted(out, key=lambda x: x.start)
