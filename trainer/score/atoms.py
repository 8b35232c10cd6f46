"""Split a draft into atoms: the units the fidelity metrics score.

An atom is a sentence, except that a greeting line ("Hi Sam,") and a sign-off line
("Thanks,", "Best, Wren") are atoms of their own. Quoted text is not part of the
draft: lines starting with ">", and everything from an "On ... wrote:" line or an
"-----Original Message-----" / "Forwarded by" marker on, are dropped.

Sentences come from pysbd (rule-based, no download). Offsets (``start``/``end``)
point into the text given to ``split_atoms``.

What it leaves out: it does not detect signatures beyond a sign-off line and the
name lines right after it (a long signature block reads as sentences), and it
splits English rules only.

>>> [a.kind for a in split_atoms("Hi Sam,\\n\\nThe tank is full. Pick it up Friday?\\n\\nThanks,\\nWren")]
['greeting', 'sentence', 'sentence', 'signoff']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

KINDS = ("greeting", "sentence", "signoff")


@dataclass(frozen=True)
class Atom:
    text: str
    start: int = 0
    end: int = 0
    kind: str = "sentence"  # greeting | sentence | signoff


@dataclass(frozen=True)
class AtomScore:
    """One atom's score s in [1, 5]; ``p`` is the scorer's probability (None for a judge)."""

    atom: Atom
    score: float | None  # None: no valid score (a judge answer outside 1-5)
    p: float | None = None
    reason: str = ""


_QUOTE_START = re.compile(
    r"^\s*(-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Forwarded by|Begin forwarded message:|"
    r"From:\s.+\s(Sent|Date):|_{10,}\s*$)", re.I)
_ON_WROTE = re.compile(r"^\s*On\s.{3,200}?\bwrote:\s*$", re.I | re.S)
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|hiya|howdy|greetings|good (morning|afternoon|evening)|morning|afternoon|"
    r"evening|yo|all|folks|team|everyone)\b", re.I)
_SIGNOFF = re.compile(
    r"^(thanks|thank you|thx|many thanks|cheers|best|all the best|best regards|best wishes|regards|"
    r"kind regards|warm regards|warmly|sincerely|yours|love|take care|talk soon|later|ciao|"
    r"see you|speak soon|with thanks|rgds|br)\b", re.I)
_NAME_GREETING = re.compile(r"^[A-Z][\w'.-]*( [A-Z][\w'.-]*)?\s*(,|[—–]|--)$")  # "Sam," / "Sam —"
_DASH_SIGNOFF = re.compile(r"^([—–]|--?)\s*[A-Z][\w.]{0,12}$")  # "— W" / "-Phillip"
_NAMEISH = re.compile(r"^[A-Z][\w.'-]*( [A-Z][\w.'-]*){0,2}$|^-+\s*\w+$|^\w{1,3}$")


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def draft_region(text: str) -> list[tuple[int, int]]:
    """The (start, end) line spans of ``text`` that belong to the draft (quotes removed)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if _QUOTE_START.match(body):
            break
        if body.lstrip().lower().startswith("on ") and (
                _ON_WROTE.match(body) or (i + 1 < len(lines) and _ON_WROTE.match(body + " " + lines[i + 1].strip()))):
            break
        if not body.lstrip().startswith(">"):
            spans.append((pos, pos + len(body)))
        pos += len(line)
    return spans


def strip_quoted(text: str) -> str:
    """The draft without its quoted part.

    >>> strip_quoted("Sure.\\n\\nOn Mon, Sam wrote:\\n> can you?")
    'Sure.'
    """
    return "\n".join(text[s:e] for s, e in draft_region(text)).strip()


def _is_greeting(line: str) -> bool:
    words = line.split()
    if _NAME_GREETING.match(line) and not _SIGNOFF.match(line):
        return True
    return 0 < len(words) <= 6 and bool(_GREETING.match(line)) and not line.rstrip().endswith(("?", "."))


def _is_signoff(line: str) -> bool:
    words = line.split()
    if _DASH_SIGNOFF.match(line):
        return True
    return 0 < len(words) <= 5 and bool(_SIGNOFF.match(line)) and not line.rstrip().endswith("?")


def split_atoms(text: str) -> list[Atom]:
    """Atoms of ``text`` in order, with offsets into ``text``."""
    lines = [(s, e) for s, e in draft_region(text) if text[s:e].strip()]
    if not lines:
        return []
    head: list[Atom] = []
    tail: list[Atom] = []
    first, last = 0, len(lines)
    s, e = lines[0]
    if _is_greeting(text[s:e].strip()):
        head.append(_atom(text, s, e, "greeting"))
        first = 1
    # sign-off: a sign-off line, optionally followed by up to two short name lines
    for k in range(last - 1, max(first - 1, last - 4), -1):
        s, e = lines[k]
        line = text[s:e].strip()
        if _is_signoff(line):
            tail.append(_atom(text, s, lines[last - 1][1], "signoff"))
            last = k
            break
        if not _NAMEISH.match(line):
            break
    body: list[Atom] = []
    for ps, pe in _paragraphs(lines[first:last]):
        para = text[ps:pe].replace("\r", " ").replace("\n", " ")  # hard-wrapped lines: same offsets
        for span in _segmenter().segment(para):
            seg = span.sent
            lead = len(seg) - len(seg.lstrip())
            a = ps + span.start + lead
            b = ps + span.start + len(seg.rstrip())
            if b > a:
                body.append(Atom(text[a:b], a, b, "sentence"))
    return head + body + tail


def _atom(text: str, s: int, e: int, kind: str) -> Atom:
    seg = text[s:e]
    a = s + len(seg) - len(seg.lstrip())
    b = s + len(seg.rstrip())
    return Atom(text[a:b], a, b, kind)


def _paragraphs(lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Group consecutive kept lines (no blank or dropped line between) into paragraphs."""
    paras: list[tuple[int, int]] = []
    for s, e in lines:
        if paras and s - paras[-1][1] <= 2:  # only a line break between them
            paras[-1] = (paras[-1][0], e)
        else:
            paras.append((s, e))
    return paras


def sentences(text: str) -> list[str]:
    """Atom texts of a message's own text (a convenience for fitting the scorer)."""
    return [a.text for a in split_atoms(text) if _has_letters(a.text)]


_HEADER = re.compile(r"^\s*(from|to|cc|bcc|sent|date|subject)\s*:", re.I)


def quoted_sentences(quoted: str) -> list[str]:
    r"""Sentences of a quoted/forwarded block: ">" markers, header lines and the
    "Original Message" / "Forwarded by" markers removed (other people's text).

    >>> quoted_sentences("> From: Sam\n> Is it ready? It was due.\n")
    ['Is it ready?', 'It was due.']
    """
    kept = []
    for line in quoted.splitlines():
        line = re.sub(r"^(\s*>)+ ?", "", line)
        if _HEADER.match(line) or _QUOTE_START.match(line) or _ON_WROTE.match(line):
            kept.append("")
            continue
        kept.append(line)
    text = "\n".join(kept)
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = block.replace("\n", " ").strip()
        if block:
            out.extend(s.sent.strip() for s in _segmenter().segment(block) if _has_letters(s.sent))
    return out


def _has_letters(s: str) -> bool:
    return sum(c.isalpha() for c in s) >= 2
