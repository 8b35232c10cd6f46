"""Threads, and pairing each of the user's replies with the message it answers.

Thread key (``thread_keys``): the root of the References / In-Reply-To chain, followed
through the archive; a message nobody answers and that answers nothing falls back to
its normalized subject (Re:/Fwd:/AW:/SV: ... stripped) plus its participants. Keys
are opaque hashes ("t:..."), so no subject text ends up in the vector store.

Pairs (``find_pairs``): a reply by the user is paired with the message it answers,
by In-Reply-To/References when that original is in the archive and was written by
someone else (how="headers"); otherwise from the first quoted block inside the reply
(``Message.quoted``: the "-----Original Message-----" / "Forwarded by" marker, the
From/Sent/To/Subject header lines and quote markers are stripped; how="quoted").
Both sides need at least ``MIN_WORDS`` words.

What it leaves out: no thread merging across different roots that share a subject,
no attribution-line parsing beyond "... wrote:", and only the *first* quoted block of
a reply (later ones answer older messages in the thread).
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from ingest.kernel.records import ReplyPair
from ingest.store.identity import first_address, norm_addr, norm_name
from ingest.store.ngrams import words

MIN_WORDS = 3

_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|vs|wg|tr|antw|rif|r|enc|res|odp|ynt|ref)"
                     r"\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.I)
_MARKER = re.compile(
    r"^\s*(-{2,}\s*(original message|forwarded by|forwarded message|weitergeleitete|"
    r"urspr\S+ngliche nachricht|message d'origine)"
    r"|_{5,}\s*$|begin forwarded message:|.*\b(wrote|schrieb|a écrit|skrev)\s*:\s*$)", re.I)
_HEADER = re.compile(r"^\s*(from|sent|to|cc|bcc|subject|date|reply-to|importance|von|an|"
                     r"betreff|gesendet)\s*:", re.I)
_QUOTE = re.compile(r"^[ \t]*(>[ \t]?)+")
_DASHES = re.compile(r"^.*-{3,}\s*$")


def one_line(value: str) -> str:
    """A stored header value made safe to write: control characters (CR, LF) become
    spaces, runs of whitespace one space.

    >>> one_line("Re: a\\r\\nBcc: x@y")
    'Re: a Bcc: x@y'
    """
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", value or "").split())


def reply_subject(subject: str) -> str:
    """The subject of a reply: on one line, ``"Re: "`` once (the .eml export, the mail
    client link and a kept edit all use this).

    >>> reply_subject("RE: re: Order"), reply_subject("Order"), reply_subject(""), reply_subject("Aw:x\\nBcc: y")
    ('RE: re: Order', 'Re: Order', 'Re: (no subject)', 'Aw:x Bcc: y')
    """
    s = one_line(subject)
    if re.match(r"(?i)^(re|aw|sv)\s*:", s):
        return s
    return f"Re: {s}" if s else "Re: (no subject)"


def normalize_subject(subject: str) -> str:
    """Strip reply/forward prefixes, case-fold, collapse whitespace.

    >>> normalize_subject("RE: Fwd: AW:  Chelsea   Villas")
    'chelsea villas'
    """
    s = (subject or "").strip()
    prev = None
    while prev != s:
        prev = s
        s = _PREFIX.sub("", s)
    return " ".join(s.casefold().split())


def _key(*parts: str) -> str:
    return "t:" + hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=10).hexdigest()


@dataclass(frozen=True)
class Row:
    """What threading and pairing need of a stored message."""

    id: str
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    subject: str
    sender: str
    sender_name: str
    participants: tuple[str, ...]
    text: str
    quoted: str
    date: datetime | None
    source: str
    own: bool


def _parent(r: Row) -> str:
    if r.in_reply_to:
        return r.in_reply_to
    return r.references[-1] if r.references else ""


def thread_keys(rows: Sequence[Row], me: Sequence[str] = ()) -> dict[str, str]:
    """Thread key for every row id.

    A message joins the thread of the nearest message it answers that is in the store
    (its In-Reply-To, else the last stored entry of its References) only when it is the
    user's own, or the two share a correspondent other than the user (``me``). The headers are the sender's
    word: a stranger whose References name a private thread's Message-ID gets a thread
    of its own, so the private thread is neither pulled into a prompt as "this thread"
    nor exempt from the leak check. A message with no stored parent is keyed by the
    root its headers name (the first References entry), by its own Message-ID when
    others reference it, else by normalised subject and participants.
    """
    by_mid = {r.message_id: r for r in rows if r.message_id}
    referenced = {m for r in rows for m in (*r.references, r.in_reply_to) if m}
    mine = {m.strip().lower() for m in me if m}
    memo: dict[str, str] = {}

    def others(r: Row) -> set[str]:
        return set(r.participants) - mine

    def parent_of(r: Row) -> Row | None:
        for cand in (r.in_reply_to, *reversed(r.references)):
            up = by_mid.get(cand) if cand else None
            if up is not None and up.id != r.id:
                return up
        return None

    def key(r: Row, depth: int = 0) -> str:
        if r.id in memo:
            return memo[r.id]
        up = parent_of(r) if depth < 500 else None  # a cycle of headers ends at the depth bound
        if up is not None:
            # the user's own mail, or one with no correspondent but the user, can be trusted to join
            joins = not mine or r.own or not others(r) or bool(others(r) & others(up))
            k = key(up, depth + 1) if joins else _key("mid", r.message_id or r.id)
        else:
            root = r.references[0] if r.references else r.in_reply_to
            if not root and r.message_id and r.message_id in referenced:
                root = r.message_id
            subj = normalize_subject(r.subject)
            k = (_key("mid", root) if root else _key("subj", subj, *sorted(set(r.participants))) if subj
                 else _key("one", r.id))
        memo[r.id] = k
        return k

    return {r.id: key(r) for r in rows}


@dataclass(frozen=True)
class Quoted:
    sender: str
    subject: str
    text: str


def first_quoted(quoted: str) -> Quoted | None:
    """The first quoted block inside a reply: header lines and quote markers stripped.
    A block with no text of its own (a forward of a forward) gives way to the next.

    >>> q = first_quoted("-----Original Message-----\\nFrom: Bob <bob@x.com>\\n"
    ...                  "Subject: Re: deed\\n\\n> Have you found\\n> the title policy?\\n")
    >>> (q.sender, q.subject, q.text)
    ('bob@x.com', 'Re: deed', 'Have you found\\nthe title policy?')
    """
    lines = [_QUOTE.sub("", ln).rstrip() for ln in (quoted or "").splitlines()]
    i = 0
    while i < len(lines):
        q, nxt = _block(lines, i)
        if q is not None:
            return q
        if nxt <= i:
            break
        i = nxt
    return None


def _who(value: str) -> str:
    """A sender from a From value or a Lotus attribution line ("Name <a@b> on 10/18/2000")."""
    return first_address(value) or _TRAILER.sub("", value).strip().strip('"')


_TRAILER = re.compile(r"(\s{2,}|\s+on\s+\d).*$")


def _block(lines: list[str], i: int) -> tuple[Quoted | None, int]:
    n = len(lines)
    while i < n and not lines[i].strip():
        i += 1
    if i < n and _MARKER.match(lines[i]):
        marker_ends = _DASHES.match(lines[i]) or lines[i].rstrip().endswith(":")
        i += 1
        if not marker_ends and i < n and _DASHES.match(lines[i]) and not _HEADER.match(lines[i]):
            i += 1  # a Lotus "Forwarded by ... on <date>" line wrapped before its dashes
    while i < n and not lines[i].strip():
        i += 1
    sender = subject = ""
    # Lotus Notes: "Jeff Smith <js@x.com> on 10/18/2000\n03:14 PM\nPlease respond to..\nTo:"
    if i < n and not _HEADER.match(lines[i]):
        for j in range(i + 1, min(n, i + 5)):
            if not lines[j].strip():
                break
            if _HEADER.match(lines[j]):
                sender = _who(lines[i])
                i = j
                break
    in_headers = False
    while i < n:
        ln = lines[i]
        if _HEADER.match(ln):
            in_headers = True
            field, value = ln.split(":", 1)
            field = field.strip().lower()
            if field in ("from", "von") and not sender:
                sender = _who(value)
            elif field in ("subject", "betreff") and not subject:
                subject = value.strip()
            i += 1
        elif in_headers and not ln.strip():
            j = i
            while j < n and not lines[j].strip():
                j += 1
            if j < n and _HEADER.match(lines[j]):
                i = j
                continue
            i = j
            break
        elif in_headers:
            i += 1  # a wrapped header value
        else:
            break
    body: list[str] = []
    while i < n:
        ln = lines[i]
        if _MARKER.match(ln) or (_HEADER.match(ln) and ln.strip().lower().startswith("from")
                                 and any(_HEADER.match(x) for x in lines[i + 1:i + 4])):
            break
        body.append(ln)
        i += 1
    text = textwrap.dedent("\n".join(body)).strip()
    if not text:
        return None, i
    return Quoted(sender=sender, subject=subject, text=text), i


def _nontrivial(text: str) -> bool:
    return len(words(text)) >= MIN_WORDS


def _is_me(sender: str, me: set[str], my_names: set[str]) -> bool:
    if not sender:
        return False
    if "@" in sender and norm_addr(sender) in me:
        return True
    n = norm_name(sender.split("/")[0])  # Lotus "Phillip K Allen/HOU/ECT"
    return bool(n) and n in my_names


def find_pairs(rows: Iterable[Row], threads: dict[str, str], me: Iterable[str],
               my_names: Iterable[str] = ()) -> list[ReplyPair]:
    """Pair each of the user's replies with what it answers (see module doc)."""
    rows = list(rows)
    me_set = {norm_addr(m) for m in me}
    names = {norm_name(x) for x in my_names if x}
    by_mid = {r.message_id: r for r in rows if r.message_id}
    out: list[ReplyPair] = []
    for r in rows:
        if not r.own or not _nontrivial(r.text):
            continue
        orig = None
        for mid in (r.in_reply_to, *reversed(r.references)):
            cand = by_mid.get(mid) if mid else None
            if cand is not None and not cand.own and _nontrivial(cand.text):
                orig = cand
                break
        thread = threads.get(r.id, "")
        if orig is not None:
            out.append(ReplyPair(reply_id=r.id, message_id=orig.id, message_text=orig.text,
                                 message_sender=orig.sender, message_subject=orig.subject,
                                 reply_text=r.text, date=r.date, thread=thread, how="headers",
                                 source=r.source))
            continue
        q = first_quoted(r.quoted)
        if q is None or not _nontrivial(q.text) or _is_me(q.sender, me_set, names):
            continue
        out.append(ReplyPair(reply_id=r.id, message_id=None, message_text=q.text,
                             message_sender=q.sender, message_subject=q.subject or r.subject,
                             reply_text=r.text, date=r.date, thread=thread, how="quoted",
                             source=r.source))
    return out
