"""Helpers for the store/import tests: a parser handle and a fast fake embedder.

- ``parser()``: the real ``ingest.sources`` once it provides ``iter_source``; until
  then a tiny stdlib stand-in (``StandIn``) with the same interface.
- ``HashEmbedder``: subclasses the real ``Embedder``; deterministic bag-of-words
  vectors (hashed words, L2-normalised, 384-d), so texts sharing words are close.
  Used only where the test is about counts and state, not about MiniLM; the search
  tests use the real model.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
import types
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.records import Message, Skip
from ingest.store.embed import DIM, Embedder

_Q = re.compile(r"^\s*(-{2,}\s*(Original Message|Forwarded by)|>)", re.I)


class HashEmbedder(Embedder):
    def encode(self, texts, batch_size=64):  # noqa: ANN001, ANN201
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "big")
                out[i, h % DIM] += 1.0
            out[i, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def use_hash_embedder(monkeypatch) -> None:  # noqa: ANN001
    import ingest.store.embed

    monkeypatch.setattr(ingest.store.embed, "_EMBEDDER", HashEmbedder())


def _split(body: str) -> tuple[str, str]:
    lines = body.splitlines()
    for i, ln in enumerate(lines):
        if _Q.match(ln):
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i:]).strip()
    return body.strip(), ""


def _detect_kind(path) -> str:  # noqa: ANN001
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p} does not exist.", hint="Check the path.")
    if p.is_file() and p.read_bytes()[:5] == b"From ":
        return "mbox"
    raise UserError(f"{p} is not a mail archive ownvoice can read.", hint="Pass an mbox file.")


def _iter_source(path, kind=None, *, source_key=None, start_after=None):  # noqa: ANN001, ANN202
    p = Path(path)
    key = source_key or str(p)
    mb = mailbox.mbox(str(p), create=False)
    skipping = start_after is not None
    for k in mb.iterkeys():
        item = f"{p.name}#{k}"
        if skipping:
            skipping = item != start_after
            continue
        try:
            m = mb.get_message(k)
            raw = m.get_payload(decode=True)
            body = raw.decode("latin-1") if isinstance(raw, bytes) else str(m.get_payload())
            name, addr = parseaddr(m.get("From", ""))
            try:
                date = parsedate_to_datetime(m.get("Date"))
            except (TypeError, ValueError):
                date = None
            text, quoted = _split(body)
            yield Message(source=key, item=item,
                          message_id=(m.get("Message-ID") or "").strip().strip("<>"),
                          subject=str(m.get("Subject") or ""), sender=addr.lower(),
                          sender_name=str(m.get("X-From") or name or ""),
                          to=tuple(a.lower() for _, a in getaddresses([str(m.get("To") or "")]) if a),
                          date=date, in_reply_to=(m.get("In-Reply-To") or "").strip().strip("<>"),
                          references=tuple(r.strip("<>") for r in str(m.get("References") or "").split()),
                          body=body, text=text, quoted=quoted, folder=p.stem,
                          sent_folder="sent" in p.stem.lower())
        except Exception as e:  # noqa: BLE001
            yield Skip(key, item, f"unreadable: {e}")


StandIn = types.SimpleNamespace(detect_kind=_detect_kind, iter_source=_iter_source)


def parser():  # noqa: ANN201
    import ingest.sources as real

    if hasattr(real, "iter_source") and hasattr(real, "detect_kind"):
        return real
    return StandIn


def use_parser(monkeypatch) -> None:  # noqa: ANN001
    import ingest.store.importer

    monkeypatch.setattr(ingest.store.importer, "PARSER", parser())


def test_standin_reads_every_message_of_an_mbox(tmp_path):
    mb = tmp_path / "x.mbox"
    mb.write_text("From a@b Mon Jan  1 00:00:00 2001\nFrom: a@b\nSubject: one\n\nhello\n\n"
                  "From a@b Mon Jan  1 00:00:00 2001\nFrom: c@d\nSubject: two\n\nhi\n"
                  "-----Original Message-----\nFrom: a@b\n\nhello\n")
    recs = list(_iter_source(mb))
    assert [r.subject for r in recs] == ["one", "two"]
    assert recs[1].text == "hi" and "Original Message" in recs[1].quoted
    assert [r.subject for r in _iter_source(mb, start_after=recs[0].item)] == ["two"]
