"""The store's vectors: chromadb (embedded, or a Chroma server on this machine), the
embedding passes (the newest reply pairs at import, the rest in the background, alongside
a large import's parse) and keeping chroma in step with SQLite. ``Store`` inherits
``Vectors``; this and ``ingest.store.store`` are the only modules that touch chromadb.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Callable, ContextManager, Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import private_dir
from ingest.kernel.jobs import CancelToken, Gate, Progress, ProgressFn, check, no_progress
from ingest.kernel.privacy import lock_down
from ingest.store import state
from ingest.store.embed import get_embedder

log = logging.getLogger(__name__)


KINDS = ("messages", "chunks", "pairs")


VOICE_KINDS = ("pairs",)  # what learning reads (retrieval): the newest embedded by every import, before it returns


SEARCH_KINDS = ("messages", "chunks")  # what only search reads: the background pass (``embed_rest``)


# Reply pairs an import embeds before it returns, newest first (about 50 s on a 2-core
# CPU); the older ones are the background pass's first work. A 100,000-message archive
# that is half replies (bench_import_100k) would otherwise wait four minutes more.
VOICE_PAIRS = 10_000


_NEWEST = "(ts > ? OR (ts = ? AND id >= ?))"  # a pair at or above a (ts, id) cut: embed_voice's window


UPSERT_BATCH = 1000


def check_store_url(url: str, allowed: bool) -> None:
    """A Chroma server on another machine only when allowed; a loopback one never
    through a proxy from the environment (ingest.kernel.netpolicy)."""
    from ingest.kernel import netpolicy as net

    net.check_remote(url, allowed=allowed, what="vector store", setting="allow_remote_store",
                     flag="--allow-remote-store",
                     fallback="your messages' ids and embedding vectors would be sent there.")
    proxy = net.proxy_for(url) if net.is_loopback(url) else None
    if proxy:
        raise UserError(f"The proxy {proxy} set in your environment would carry the connection to the "
                        f"vector store on this machine ({url}).",
                        hint="Add its host to NO_PROXY (for example NO_PROXY=localhost,127.0.0.1), or unset "
                             "http_proxy.")


_VECTOR_FOLDER = re.compile(r"^chroma(?:-[0-9a-f]{8})?$")


def drop_stale_vector_folders(data_dir: Path, current: str) -> None:
    """Delete the chroma folders ownvoice made in ``data_dir`` other than ``current``
    (left by a rebuild: the old one, or an unfinished new one). Only folders named as
    ownvoice names them are touched."""
    for p in data_dir.iterdir():
        if p.name != current and p.is_dir() and not p.is_symlink() and _VECTOR_FOLDER.match(p.name):
            shutil.rmtree(p, ignore_errors=True)


def chroma_client(chroma_dir: Path, url: str):  # noqa: ANN202
    lock_down()  # telemetry off before chromadb loads (Store.open did it too; a caller may not have)
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if url:
        u = urlparse(url if "://" in url else f"http://{url}")
        return chromadb.HttpClient(host=u.hostname or "localhost",
                                   port=u.port or (443 if u.scheme == "https" else 8000),
                                   ssl=u.scheme == "https", settings=settings)
    path = private_dir(chroma_dir, tighten=True)
    # chroma creates its schema on first open without a cross-process guard: two
    # processes opening a fresh store at once race ("table collections already
    # exists"). Opening is short, so processes take turns on a blocking flock.
    fd = os.open(path.parent / ".chroma-open.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    finally:
        os.close(fd)  # closing drops the lock


class Vectors:
    """The vector side of ``Store`` (a mixin: it uses the store's ``db``, ``lock``,
    ``chroma_client``, ``_prefix`` and ``_cols``)."""

    def _col(self, kind: str):  # noqa: ANN202
        col = self._cols.get(kind)
        if col is None:
            col = self.chroma_client.get_or_create_collection(
                f"{self._prefix}-{kind}", metadata={"hnsw:space": "cosine"},
                embedding_function=None)
            self._cols[kind] = col
        return col

    def embed(self, texts: list[str]) -> np.ndarray:
        return get_embedder().encode(list(texts))

    def upsert_vectors(self, kind: str, ids: Sequence[str], vectors: np.ndarray,
                       metadatas: Sequence[dict | None] | None = None) -> None:
        col = self._col(kind)
        for i in range(0, len(ids), UPSERT_BATCH):
            sl = slice(i, i + UPSERT_BATCH)
            md = list(metadatas[sl]) if metadatas is not None else None
            col.upsert(ids=list(ids[sl]), embeddings=vectors[sl], metadatas=md)

    def rebuild_vectors(self, progress: ProgressFn = no_progress) -> bool:
        """Copy every kept vector into a new chroma folder, switch to it and delete the old
        one, so that deleted vectors and ids are gone from the files, not just marked
        deleted (chroma keeps them in its HNSW files, its log and free SQLite pages).
        Called by ``forget``; its time grows with the store. A remote Chroma server is left as it is (False): its files
        are not ours. Killed part-way, the next open deletes the unfinished folder."""
        if self._remote:
            return False
        with state.locked_errors(self.data_dir):
            kept: dict[str, tuple[list, list, list]] = {}
            for kind in KINDS:
                col, ids, vecs, metas = self._col(kind), [], [], []
                n = col.count()
                for off in range(0, n, 5000):
                    got = col.get(include=["embeddings", "metadatas"], limit=5000, offset=off)
                    ids += got["ids"]
                    vecs += list(got["embeddings"])
                    metas += list(got["metadatas"])
                    progress(Progress("forget: rebuild vectors", len(ids), n, kind))
                kept[kind] = (ids, vecs, metas)
            old = self.data_dir / (state.get_meta(self.db, "chroma_dir") or "chroma")
            new = self.data_dir / f"chroma-{uuid.uuid4().hex[:8]}"
            client, cols = chroma_client(new, ""), {}
            for kind, (ids, vecs, metas) in kept.items():
                cols[kind] = client.get_or_create_collection(f"{self._prefix}-{kind}",
                                                             metadata={"hnsw:space": "cosine"},
                                                             embedding_function=None)
                for i in range(0, len(ids), UPSERT_BATCH):
                    cols[kind].add(ids=ids[i:i + UPSERT_BATCH], embeddings=vecs[i:i + UPSERT_BATCH],
                                   metadatas=metas[i:i + UPSERT_BATCH])
            with state.transaction(self.db):
                state.set_meta(self.db, "chroma_dir", new.name)
            self.chroma_client, self._cols = client, cols
            drop_stale_vector_folders(self.data_dir, new.name)
        return True

    def delete_vectors(self, kind: str, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), UPSERT_BATCH):
            self._col(kind).delete(ids=ids[i:i + UPSERT_BATCH])

    def vector_ids(self, kind: str) -> set[str]:
        col = self._col(kind)
        out: set[str] = set()
        n, step = col.count(), 5000
        for off in range(0, n, step):
            out.update(col.get(include=[], limit=step, offset=off)["ids"])
        return out

    def update_vector_meta(self, kind: str, ids: Sequence[str], metadatas: Sequence[dict]) -> None:
        col = self._col(kind)
        for i in range(0, len(ids), UPSERT_BATCH):
            col.update(ids=list(ids[i:i + UPSERT_BATCH]),
                       metadatas=list(metadatas[i:i + UPSERT_BATCH]))

    def _query(self, kind: str, vec: np.ndarray, n: int, where: dict | None = None):  # noqa: ANN202
        col = self._col(kind)
        if n <= 0 or col.count() == 0:
            return []
        res = col.query(query_embeddings=vec.reshape(1, -1), n_results=min(n, col.count()),
                        where=where, include=["distances"])
        return list(zip(res["ids"][0], (1.0 - d for d in res["distances"][0])))

    def pending_vectors(self, kind: str, limit: int = 512,
                        newest: tuple[float, str] | None = None) -> list[tuple[str, str, dict | None]]:
        """Rows of ``kind`` not yet in chroma: (id, text to embed, metadata). Pairs come
        newest first (undated last); ``newest``: only pairs at or above this (ts, id)."""
        if kind == "messages":  # the user's own first: `search --mine` is the first search worth having
            rows = self.db.execute("SELECT id, text, body, subject, own FROM messages "
                                   "WHERE embedded = 0 ORDER BY own DESC, rid LIMIT ?", (limit,))
            return [(r["id"], r["text"] or (r["body"] or "")[:4000] or r["subject"] or "",
                     {"own": bool(r["own"])}) for r in rows]
        if kind == "chunks":
            rows = self.db.execute("SELECT id, text FROM chunks WHERE embedded = 0 "
                                   "ORDER BY id LIMIT ?", (limit,))
            return [(r["id"], r["text"] or "", None) for r in rows]
        if newest is not None:
            rows = self.db.execute("SELECT id, message_text, thread, ts FROM pairs WHERE embedded = 0 "
                                   f"AND {_NEWEST} ORDER BY ts DESC, id DESC LIMIT ?",
                                   (newest[0], newest[0], newest[1], limit))
        else:  # the newest first: the voice now
            rows = self.db.execute("SELECT id, message_text, thread, ts FROM pairs WHERE embedded = 0 "
                                   "ORDER BY ts DESC, id DESC LIMIT ?", (limit,))
        return [(r["id"], r["message_text"] or "", pair_meta(r["thread"], r["ts"])) for r in rows]

    def embed_pending(self, progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
                      batch: int = 256, kinds: Sequence[str] = KINDS,
                      each: Callable[[], ContextManager[object]] | None = None, stage: str = "embed",
                      newest: tuple[float, str] | None = None) -> int:
        """Embed and upsert every row of ``kinds`` that chroma lacks (pairs: only those at
        or above ``newest``, see ``pending_vectors``); idempotent, resumable. ``each``: a
        context each batch runs in (the background pass: the GUI's gate and the write lock)."""
        def pending(k: str) -> int:
            if k == "pairs" and newest is not None:
                return self.db.execute(f"SELECT COUNT(*) FROM pairs WHERE embedded = 0 AND {_NEWEST}",
                                       (newest[0], newest[0], newest[1])).fetchone()[0]
            return self.db.execute(f"SELECT COUNT(*) FROM {k} WHERE embedded = 0").fetchone()[0]

        total = sum(pending(k) for k in kinds)
        done = 0
        for kind in kinds:
            while True:
                check(cancel)
                with each() if each is not None else contextlib.nullcontext():
                    rows = self.pending_vectors(kind, batch, newest)
                    if not rows:
                        break
                    vecs = self.embed([t for _, t, _ in rows])
                    metas = [m for _, _, m in rows]
                    self.upsert_vectors(kind, [i for i, _, _ in rows], vecs,
                                        None if all(m is None for m in metas) else metas)
                    with state.transaction(self.db):
                        self.db.executemany(f"UPDATE {kind} SET embedded = 1 WHERE id = ?",
                                            [(i,) for i, _, _ in rows])
                done += len(rows)
                progress(Progress(stage, done, total))
        return done

    voice_pairs = VOICE_PAIRS  # a test sets it lower

    def alongside(self) -> "Alongside":
        """The background pass's first work, on a second thread while an import parses
        (see ``Alongside``)."""
        return Alongside(self)

    def embed_voice(self, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> int:
        """Embed what learning and drafting read: those of the newest ``voice_pairs``
        reply pairs (of all, dated) not embedded yet. Every import and finalize does, so a
        later import's new replies are embedded at once, while older pairs left to
        ``embed_rest`` never hold up an edit or a small import. With fewer pairs than
        that, every pair, undated ones included."""
        cut = self.db.execute("SELECT ts, id FROM pairs WHERE ts IS NOT NULL ORDER BY ts DESC, id DESC "
                              "LIMIT 1 OFFSET ?", (max(0, self.voice_pairs - 1),)).fetchone()
        return self.embed_pending(progress, cancel, kinds=VOICE_KINDS,
                                  newest=(cut[0], cut[1]) if cut is not None else None)

    def embed_rest(self, progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
                   gate: Gate | None = None, batch: int = 128) -> int:
        """The background pass: embed the reply pairs an import left (the older ones), then
        the messages (the user's own first) and document chunks that only search reads,
        each batch under the write lock, so the pass can stop after any batch and leave a
        consistent store. Resumable.
        ``gate``: each batch waits while foreground work runs (``ingest.kernel.jobs.Gate``)."""

        @contextlib.contextmanager
        def each() -> Iterator[None]:
            with gate.background(cancel) if gate is not None else contextlib.nullcontext():
                with self.lock, state.locked_errors(self.data_dir):
                    yield

        return self.embed_pending(progress, cancel, batch=batch, kinds=VOICE_KINDS + SEARCH_KINDS, each=each,
                                  stage="embed older replies, then for search")

    def coverage(self) -> dict:
        """How much of the archive search covers: embedded and total messages and chunks,
        their share (1.0 when the background pass is done or nothing is stored) and
        ``pending`` (not embedded yet); ``pairs``: the same for the reply pairs retrieval
        reads; ``remaining``: what the background pass has left of all three."""
        out: dict = {}
        for kind in KINDS:
            done, total = self.db.execute(f"SELECT COALESCE(SUM(embedded), 0), COUNT(*) FROM {kind}").fetchone()
            out[kind] = {"embedded": int(done), "total": int(total)}
        done = sum(out[k]["embedded"] for k in SEARCH_KINDS)
        total = sum(out[k]["total"] for k in SEARCH_KINDS)
        out["share"] = round(done / total, 4) if total else 1.0
        out["pending"] = total - done
        out["remaining"] = out["pending"] + out["pairs"]["total"] - out["pairs"]["embedded"]
        return out

    def reconcile(self) -> None:
        """Make chroma hold exactly SQLite's embedded rows (after a kill or a forget)."""
        for kind in KINDS:
            have = self.vector_ids(kind)
            rows = {r[0]: r[1] for r in self.db.execute(f"SELECT id, embedded FROM {kind}")}
            extra = have - rows.keys()
            if extra:
                self.delete_vectors(kind, sorted(extra))
            missing = [i for i, e in rows.items() if e and i not in have]
            if missing:
                with state.transaction(self.db):
                    self.db.executemany(f"UPDATE {kind} SET embedded = 0 WHERE id = ?",
                                        [(i,) for i in missing])


class Alongside:
    """Embed the background pass's first rows (the user's own messages, then the rest)
    on one worker thread while the caller parses on the main one: parsing is Python on
    one core, and the embedder's one-thread session (``side_embedder``, dropped at
    ``close``) takes the other. The main thread calls ``step()`` between its batches,
    outside any transaction: a finished batch is written (chroma, then ``embedded = 1``,
    as ``embed_pending`` does, so a kill leaves nothing half-done) and the next is
    handed over. ``close()`` writes a finished batch and drops one still running. A
    worker that fails is logged and let go. Rows only move from the background pass
    into the import; nothing is embedded twice.

    Leaves out: reply pairs (they are found only when the import finalizes)."""

    BATCH = 64
    # records parsed before the worker starts: its model load and the GIL it shares cost
    # a small import more than it gains (1,000 messages: 2.2 -> 2.7 s with no threshold)
    START_AFTER = 2000

    def __init__(self, store: "Vectors") -> None:
        from concurrent.futures import ThreadPoolExecutor

        from ingest.store.embed import side_embedder

        self.store = store
        side = side_embedder()
        self.encode = side.encode if side is not None else None  # None: idle (see side_embedder)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="ownvoice-alongside")
        self.rows: list[tuple[str, str, dict | None]] = []
        self.future = None
        self.done = 0
        self.parsed = 0

    def step(self, parsed: int = 0) -> int:
        """Count ``parsed`` more records; write a finished batch and hand over the next
        (once ``START_AFTER`` records are parsed); returns rows embedded so far."""
        self.parsed += parsed
        if self.parsed < self.START_AFTER or self.encode is None:
            return self.done
        if self.future is not None:
            if not self.future.done():
                return self.done
            self._write()
            if self.encode is None:  # the worker failed: the rest is the background pass's
                return self.done
        rows = self.store.pending_vectors("messages", self.BATCH)
        if rows:
            self.rows = rows
            self.future = self.pool.submit(self.encode, [t for _, t, _ in rows])
        return self.done

    def _write(self) -> None:
        future, rows = self.future, self.rows
        self.future, self.rows = None, []
        try:
            vecs = future.result()  # type: ignore[union-attr]
        except Exception as e:  # noqa: BLE001 - optional work: its rows stay the background pass's
            log.warning("Embedding alongside the import stopped (%s: %s); the background pass does it.",
                        type(e).__name__, e)
            self.encode = None  # type: ignore[assignment]
            return
        self.store.upsert_vectors("messages", [i for i, _, _ in rows], vecs, [m for _, _, m in rows])
        with state.transaction(self.store.db):
            self.store.db.executemany("UPDATE messages SET embedded = 1 WHERE id = ?", [(i,) for i, _, _ in rows])
        self.done += len(rows)

    def close(self, wait: bool = False, drop: bool = False) -> int:
        """Stop; returns rows embedded. A batch in flight is written when it is done, or
        when ``wait``, unless ``drop`` (the import failed: write nothing more); otherwise
        it is dropped (at most ``BATCH`` rows go back to the
        background pass) so the import's end never waits on it: waiting cost a
        1,000-message import 0.7 s of its 2.2."""
        try:
            if self.future is not None:
                if not drop and (wait or self.future.done()):
                    self._write()
                else:
                    self.future.cancel()
                    self.future = None
        finally:
            self.pool.shutdown(wait=False)  # a run under way ends by itself, its vectors unused
            self.encode = None  # type: ignore[assignment]  # the session and its memory go with it
        return self.done


def pair_meta(thread: str | None, ts: float | None) -> dict:
    meta: dict = {"thread": thread or ""}
    if ts is not None:
        meta["ts"] = float(ts)
    return meta
