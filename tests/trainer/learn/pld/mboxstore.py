"""A small stdlib mbox adapter with the Store read API subset PLD uses.

Reads real Enron mboxes fast (no embeddings, no chromadb) for profile tests; it cuts
Lotus Notes "Forwarded by" / "Original Message" blocks off the user's text the way
the importer does, deduplicates by normalized content, and pairs replies with the
quoted original. The real-store path is covered by test_learn.py on the demo archive.
"""

from __future__ import annotations

import email.utils
import mailbox
import re
from pathlib import Path

from ingest.kernel.records import Document, Message, ReplyPair

_CUT = re.compile(r"^\s*(?:-{3,}\s*Original Message\s*-{3,}|-{5,}\s*Forwarded by|-{5,} Forwarded|"
                  r"From:\s.*\bon \d|To:\s|>)", re.M | re.I)


def _text(m) -> str:
    try:
        p = m.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - best effort on test data
        return ""
    if not isinstance(p, bytes):
        return ""
    return p.decode("latin-1").replace("\r\n", "\n")


def _split(body: str) -> tuple[str, str]:
    m = _CUT.search(body)
    if not m:
        return body.strip(), ""
    return body[:m.start()].strip(), body[m.start():].strip()


class MboxStore:
    def __init__(self, folder: Path, me: tuple[str, ...], own_boxes=("_sent_mail.mbox",),
                 other_boxes=("inbox.mbox",), limit: int | None = None):
        self._own: list[Message] = []
        self._others: list[Message] = []
        self._pairs: list[ReplyPair] = []
        seen = set()
        for name, own in [(b, True) for b in own_boxes] + [(b, False) for b in other_boxes]:
            for i, raw in enumerate(mailbox.mbox(str(folder / name))):
                if limit and i >= limit:
                    break
                sender = (email.utils.parseaddr(str(raw.get("From", "")))[1] or "").lower()
                is_own = own and sender in me
                text, quoted = _split(_text(raw))
                try:
                    date = email.utils.parsedate_to_datetime(str(raw.get("Date")))
                except Exception:  # noqa: BLE001
                    date = None
                msg = Message(source=str(folder / name), item=f"{name}#{i}", sender=sender,
                              subject=str(raw.get("Subject", "")), body=text, text=text, quoted=quoted,
                              date=date, own=is_own)
                if not text or msg.id in seen:
                    continue
                seen.add(msg.id)
                (self._own if is_own else self._others).append(msg)
                if is_own and quoted and own:
                    orig = _quoted_body(quoted)
                    if len(orig.split()) >= 5:
                        self._pairs.append(ReplyPair(reply_id=msg.id, message_id=None, message_text=orig,
                                                     message_sender="", message_subject=msg.subject,
                                                     reply_text=text, date=date, how="quoted"))
        key = lambda x: (x.date is not None, x.date.timestamp() if x.date else 0)  # noqa: E731
        self._own.sort(key=key)
        self._others.sort(key=key)
        self._pairs.sort(key=key)

    def messages(self, own=None, source=None):
        if own is None:
            return iter(sorted(self._own + self._others,
                               key=lambda x: (x.date is not None, x.date.timestamp() if x.date else 0)))
        return iter(self._own if own else self._others)

    def count(self, own=None):
        return sum(1 for _ in self.messages(own))

    def documents(self):
        return iter(())

    def reply_pairs(self, source=None):
        return list(self._pairs)


def _quoted_body(quoted: str) -> str:
    """The text of the quoted original: after its header block, before the next block."""
    parts = re.split(r"\n\s*\n", quoted, maxsplit=1)
    body = parts[1] if len(parts) > 1 else ""
    nxt = _CUT.search(body)
    return (body[:nxt.start()] if nxt else body).strip()


__all__ = ["MboxStore", "Document"]
