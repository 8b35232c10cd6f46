"""The records that flow between layers. All are frozen dataclasses.

- ``Message``: one mail message, normalized. ``text`` is the author's own new text
  (quotes and signature split off into ``quoted`` and ``signature``).
- ``Document``: a piece of the user's own writing (txt, md, html, docx, pdf).
- ``Skip``: an item a parser could not import, with the reason. Parsers yield these
  instead of raising, so nothing is lost silently.
- ``ReplyPair``: a message and the user's reply to it: what the voice is learned from.

Parsers yield ``Message | Document | Skip``; the importer decides ownership
(``own``), deduplicates and pairs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Message:
    source: str  # the path given to import (the source's key)
    item: str  # where in the source: "file", "file#offset", "folder/key"
    message_id: str = ""  # the Message-ID header, without <>; may be empty
    subject: str = ""
    sender: str = ""  # lower-cased address
    sender_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    date: datetime | None = None  # timezone-aware UTC where known
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    body: str = ""  # full text body (HTML converted), before splitting
    text: str = ""  # the author's own new text: no quotes, no signature
    quoted: str = ""  # quoted / forwarded text found in the body (context, not voice)
    signature: str = ""
    folder: str = ""  # mailbox folder or Gmail labels, e.g. "Sent"
    sent_folder: bool = False  # found in a Sent folder / labelled Sent
    attachments: tuple[str, ...] = ()
    own: bool | None = None  # written by the user (decided by the importer)
    thread: str = ""  # thread key (set by the importer: root Message-ID or subject key)
    notes: tuple[str, ...] = ()  # best-effort decodes etc. ("charset x-unknown -> latin-1")

    @property
    def content_hash(self) -> str:
        return content_hash(self.sender, self.subject, self.text or self.body)

    @property
    def id(self) -> str:
        """Stable id: the normalized content hash (Message-ID alone is unreliable)."""
        return self.content_hash[:24]


@dataclass(frozen=True)
class Document:
    source: str
    item: str
    title: str
    text: str
    date: datetime | None = None
    kind: str = "txt"  # txt | md | html | docx | pdf
    notes: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        return content_hash("", self.title, self.text)

    @property
    def id(self) -> str:
        return "doc-" + self.content_hash[:20]


@dataclass(frozen=True)
class Skip:
    source: str
    item: str
    reason: str


@dataclass(frozen=True)
class ReplyPair:
    """``message`` answered by the user's ``reply``.

    ``message_text`` is the text being answered: the original's ``text`` when the
    original is in the archive, or the quoted original recovered from inside the
    reply (``how == "quoted"``).
    """

    reply_id: str
    message_id: str | None  # store id of the original, None when recovered from a quote
    message_text: str
    message_sender: str
    message_subject: str
    reply_text: str
    date: datetime | None
    thread: str = ""
    how: str = "headers"  # "headers" | "quoted"
    source: str = ""

    @property
    def id(self) -> str:
        return "pair-" + self.reply_id


@dataclass(frozen=True)
class SourceReport:
    path: str
    kind: str
    seen: int = 0
    own: int = 0
    others: int = 0
    duplicates: int = 0
    pairs: int = 0
    documents: int = 0
    skipped: tuple[Skip, ...] = field(default_factory=tuple)
    aliases: tuple[str, ...] = ()  # proposed addresses of the user seen in Sent folders

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "seen": self.seen,
            "own": self.own,
            "others": self.others,
            "duplicates": self.duplicates,
            "pairs": self.pairs,
            "documents": self.documents,
            "skipped": [{"item": s.item, "reason": s.reason} for s in self.skipped],
            "aliases": list(self.aliases),
        }


_WS = re.compile(r"\s+")


def normalize_for_hash(text: str) -> str:
    """Case-fold, NFKC, collapse whitespace: two copies of one mail hash alike.

    >>> normalize_for_hash("Hello,\\r\\n  World ") == normalize_for_hash("hello, world")
    True
    """
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(normalize_for_hash(p or "").encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()
