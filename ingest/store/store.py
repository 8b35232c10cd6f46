"""The store: everything imported, under the user's data directory.

SQLite (``data_dir/state.sqlite``, see ``ingest.store.state``) is the source of truth and
holds all text. chromadb (``data_dir/chroma``, or a Chroma server when
``Config.chroma_url`` is set: the same code with an HttpClient) holds only ids,
MiniLM vectors computed here, and minimal metadata (``own``, ``thread`` key, ``ts``)
in three collections: messages (the author's ``text``), document chunks, and reply
pairs (the incoming side, for few-shot retrieval). chroma is kept in step with
SQLite by ``reconcile``; a kill at any point is repaired on the next write.

Embedding is split by who reads it. An import embeds the newest ``VOICE_PAIRS`` reply
pairs (what learning and drafting read: a lifetime archive's recent replies are its
owner's voice now) before it returns; older pairs, then the messages and document
chunks that only search reads, are embedded by ``embed_rest``: a background pass (the
GUI runs it after each import, giving way to every other job; the CLI's import runs it
after the import proper and ``ownvoice embed`` resumes it), the user's own messages
first. It resumes after a kill: a row counts as embedded only once its vector is in
chroma. ``coverage`` says how much of the archive search and retrieval cover meanwhile.

This is the only module that imports chromadb. Writes (import, forget) take the
data dir's write lock; reads take none.

What it leaves out: no full-text (keyword) search, no per-user encryption, and
concurrent writers are refused rather than queued.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence


from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import private_dir
from ingest.kernel.privacy import lock_down
from ingest.kernel.records import Document, Message, ReplyPair, Skip, SourceReport
from ingest.store import ngrams, state
from ingest.store.identity import is_own
from ingest.store.vectors import Vectors, check_store_url, chroma_client, drop_stale_vector_folders
from ingest.store.writes import Writes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity
    text: str
    kind: str  # "message" | "document"
    message: Message | None = None


@dataclass(frozen=True)
class SourceInfo:
    path: str
    kind: str
    imported_at: str | None
    report: SourceReport


def with_identity(cfg: Any, store: Any) -> Any:
    """``cfg`` with ``me`` set to the addresses saved in ``store`` (given to its imports,
    or inferred from its Sent folders). The user's identity belongs to the store, so a
    second person's store never counts the first person's mail as "own"; the config's
    ``me`` is only a fallback for a store that has none saved yet."""
    who = getattr(store, "me", None)
    me = who()[0] if callable(who) else ()
    if not me or {m.lower() for m in (getattr(cfg, "me", None) or ())} == {m.lower() for m in me}:
        return cfg  # the same addresses keep the config's order: its first is the user's primary one
    return cfg.with_(me=tuple(me))


def saved_identity(data_dir: str | os.PathLike[str]) -> tuple[str, ...]:
    """The addresses saved in the store at ``data_dir`` (``Store.saved_me``), read without
    opening the store (no chromadb, no lock): () when there is no store or it cannot be
    read. For a window that shows them before any job has opened the store."""
    path = Path(data_dir) / "state.sqlite"
    if not path.is_file():
        return ()
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return tuple(json.loads(state.get_meta(db, "me", "[]") or "[]"))  # as Store.saved_me reads it
        finally:
            db.close()
    except (sqlite3.Error, ValueError, TypeError):
        return ()


class Store(Vectors, Writes):
    """The user's store: SQLite plus chromadb (the vector side is ``Vectors``, the writes
    ``Writes``)."""

    def __init__(self, data_dir: Path, db: sqlite3.Connection, client, prefix: str) -> None:  # noqa: ANN001
        self.data_dir = data_dir
        self.db = db
        self.chroma_client = client
        self._prefix = prefix
        self._cols: dict[str, object] = {}
        self._remote = False
        self.lock = state.WriteLock(data_dir)

    # -- open / close ---------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], *, chroma_url: str | None = None,
             allow_remote: bool | None = None) -> "Store":
        """Open (creating) the store in ``data_dir``. ``chroma_url``: a Chroma server
        instead of the embedded store (None: the config's); one on another machine needs
        ``allow_remote`` (None: the config's ``allow_remote_store``). Sets the privacy
        switches first (``lock_down``): the store's files, SQLite's and chromadb's own
        included, are the user's alone, and chromadb sends no telemetry."""
        lock_down()
        d = private_dir(Path(data_dir), tighten=True)
        if chroma_url is None or allow_remote is None:
            from ingest.kernel.config import load_config

            cfg = load_config()
            chroma_url = cfg.chroma_url if chroma_url is None else chroma_url
            allow_remote = cfg.allow_remote_store if allow_remote is None else allow_remote
        if chroma_url:
            check_store_url(chroma_url, bool(allow_remote))
        db = state.connect(d / "state.sqlite")
        with state.locked_errors(d):
            sid = state.get_meta(db, "store_id")
            if sid is None:
                with state.transaction(db):
                    sid = state.get_meta(db, "store_id") or uuid.uuid4().hex[:12]
                    state.set_meta(db, "store_id", sid)
        folder = d / (state.get_meta(db, "chroma_dir") or "chroma")
        try:
            client = chroma_client(folder, chroma_url or "")
        except Exception as e:  # a server that does not answer, a damaged folder
            db.close()
            where = chroma_url or str(folder)
            raise UserError(f"Cannot open the vector store at {where} ({e}).",
                            hint="Check chroma_url in config.toml, or the data directory.") from e
        store = cls(d, db, client, f"ov{sid}")
        store._remote = bool(chroma_url)
        if not chroma_url:
            drop_stale_vector_folders(d, folder.name)
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads ----------------------------------------------------------------------
    def count(self, own: bool | None = None) -> int:
        if own is None:
            return self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM messages WHERE own = ?",
                               (int(own),)).fetchone()[0]

    def messages(self, own: bool | None = None, source: str | None = None) -> Iterator[Message]:
        q, args = "SELECT * FROM messages WHERE 1=1", []
        if own is not None:
            q += " AND own = ?"
            args.append(int(own))
        if source is not None:
            q += " AND id IN (SELECT rid FROM items WHERE source = ? AND kind = 'message')"
            args.append(self._source_key(source))
        q += " ORDER BY ts IS NOT NULL, ts, rid"
        for r in self.db.execute(q, args).fetchall():
            yield state.message_from_row(r)

    def get(self, id: str) -> Message | None:  # noqa: A002
        r = self.db.execute("SELECT * FROM messages WHERE id = ?", (id,)).fetchone()
        return state.message_from_row(r) if r else None

    def by_message_id(self, header_id: str) -> Message | None:
        hid = (header_id or "").strip().strip("<>")
        r = self.db.execute("SELECT * FROM messages WHERE message_id = ? ORDER BY rid LIMIT 1",
                            (hid,)).fetchone()
        return state.message_from_row(r) if r else None

    def thread(self, message: Message) -> list[Message]:
        me = self.db.execute("SELECT rid, thread, ts FROM messages WHERE id = ?",
                             (message.id,)).fetchone()
        thread = me["thread"] if me else message.thread
        if not thread:
            return []
        if me is not None and me["ts"] is None:
            q = "SELECT * FROM messages WHERE thread = ? AND rid < ? AND id != ? ORDER BY rid"
            args: tuple = (thread, me["rid"], message.id)
        else:
            ts = me["ts"] if me is not None else (message.date.timestamp() if message.date else None)
            if ts is None:
                return []
            q = ("SELECT * FROM messages WHERE thread = ? AND ts < ? AND id != ? "
                 "ORDER BY ts, rid")
            args = (thread, ts, message.id)
        return [state.message_from_row(r) for r in self.db.execute(q, args).fetchall()]

    def reply_pairs(self, source: str | None = None) -> list[ReplyPair]:
        q, args = "SELECT * FROM pairs", ()
        if source is not None:
            q, args = q + " WHERE source = ?", (self._source_key(source),)
        q += " ORDER BY ts IS NOT NULL, ts, id"
        return [state.pair_from_row(r) for r in self.db.execute(q, args).fetchall()]

    def documents(self) -> Iterator[Document]:
        for r in self.db.execute("SELECT * FROM documents ORDER BY ts IS NOT NULL, ts, rid").fetchall():
            yield state.document_from_row(r)

    def search(self, text: str, k: int = 5, mine: bool = False) -> list[Hit]:
        vec = self.embed([text])[0]
        hits: list[Hit] = []
        for mid, score in self._query("messages", vec, k, {"own": True} if mine else None):
            m = self.get(mid)
            if m is not None:
                hits.append(Hit(mid, float(score), m.text or m.body, "message", m))
        for cid, score in self._query("chunks", vec, k):
            r = self.db.execute("SELECT doc, text FROM chunks WHERE id = ?", (cid,)).fetchone()
            if r is not None:
                hits.append(Hit(r["doc"], float(score), r["text"] or "", "document", None))
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def similar_pairs(self, text: str, k: int = 3, exclude_ids: Sequence[str] = (),
                      exclude_thread: str | None = None,
                      before: datetime | None = None) -> list[tuple[ReplyPair, float]]:
        conds: list[dict] = []
        if exclude_thread:
            conds.append({"thread": {"$ne": exclude_thread}})
        if before is not None:
            conds.append({"ts": {"$lt": before.timestamp()}})
        where = None if not conds else conds[0] if len(conds) == 1 else {"$and": conds}
        excl = set(exclude_ids)
        vec = self.embed([text])[0]
        n = k + len(excl) + 4
        while True:
            res = self._query("pairs", vec, n, where)
            out: list[tuple[ReplyPair, float]] = []
            for pid, score in res:
                r = self.db.execute("SELECT * FROM pairs WHERE id = ?", (pid,)).fetchone()
                if r is None:
                    continue
                p = state.pair_from_row(r)
                if excl & {p.id, p.reply_id, p.message_id}:
                    continue
                out.append((p, float(score)))
            if len(out) >= k or len(res) < n:
                return out[:k]
            n *= 2

    def rare_runs(self, text: str, exclude_thread: str | None = None, n: int = 8,
                  max_docs: int = 2) -> list[tuple[int, int]]:
        return ngrams.rare_runs(self.db, text, exclude_thread, n=n, max_docs=max_docs)

    # -- sources ----------------------------------------------------------------------
    def _source_key(self, path: str | os.PathLike[str]) -> str:
        s = str(path)
        if self.db.execute("SELECT 1 FROM sources WHERE path = ?", (s,)).fetchone():
            return s
        return str(Path(s).expanduser().resolve())

    def report(self, path: str) -> SourceReport:
        key = self._source_key(path)
        row = self.db.execute("SELECT kind FROM sources WHERE path = ?", (key,)).fetchone()
        q = self.db.execute
        c = {(k, s, o): n for k, s, o, n in q(
            "SELECT i.kind, i.status, COALESCE(m.own, 0), COUNT(*) FROM items i "
            "LEFT JOIN messages m ON i.kind = 'message' AND m.id = i.rid "
            "WHERE i.source = ? GROUP BY 1, 2, 3", (key,))}
        docs = sum(n for (k, s, _), n in c.items() if k == "document" and s == "new")
        own = sum(n for (k, s, o), n in c.items() if k == "message" and s == "new" and o)
        others = sum(n for (k, s, o), n in c.items() if k == "message" and s == "new" and not o)
        dups = sum(n for (_, s, _), n in c.items() if s == "dup")
        skips = tuple(Skip(key, r[0], r[1]) for r in q(
            "SELECT item, reason FROM skips WHERE source = ? ORDER BY seq", (key,)))
        pairs = q("SELECT COUNT(*) FROM pairs WHERE source = ?", (key,)).fetchone()[0]
        aliases = json.loads(state.get_meta(self.db, f"aliases:{key}", "[]") or "[]")
        return SourceReport(path=key, kind=row["kind"] if row else "", seen=own + others + docs +
                            dups + len(skips), own=own + docs, others=others, duplicates=dups,
                            pairs=pairs, documents=docs, skipped=skips, aliases=tuple(aliases))

    def sources(self) -> list[SourceInfo]:
        rows = self.db.execute("SELECT path, kind, imported_at FROM sources ORDER BY path").fetchall()
        return [SourceInfo(r["path"], r["kind"], r["imported_at"], self.report(r["path"]))
                for r in rows]

    def saved_me(self) -> tuple[str, ...]:
        """The addresses given to this store's imports (``--me``), without inference."""
        return tuple(json.loads(state.get_meta(self.db, "me", "[]") or "[]"))

    def me(self) -> tuple[tuple[str, ...], bool]:
        """The user's addresses used for ``own``, and whether they were inferred."""
        me = self.saved_me()
        if me:
            return me, False
        inferred = state.get_meta(self.db, "me_inferred", "") or ""
        return ((inferred,), True) if inferred else ((), False)

    def is_own(self, sender: str) -> bool:
        return is_own(sender, self.me()[0])

    def my_names(self) -> tuple[str, ...]:
        """Display names on the user's own mail ("Chris Germany"), most used first."""
        rows = self.db.execute("SELECT sender_name, COUNT(*) AS n FROM messages WHERE own = 1 AND sender_name != '' "
                               "GROUP BY sender_name ORDER BY n DESC LIMIT 20").fetchall()
        return tuple(r["sender_name"] for r in rows)
