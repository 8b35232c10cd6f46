"""The store's writes: a batch of parsed records, the derived data, and forget.
``Store`` inherits ``Writes``; every write to SQLite outside the vector side
(``ingest.store.vectors``) is a method here, and callers (the importer, IMAP, kept
edits) go through them.

- ``add_records``: one SQLite transaction per batch holding the new rows, their
  (source, item) mappings (new or duplicate), skips, n-gram postings and the
  source's resume point, so a kill leaves either all of a batch or none of it.
- ``finalize``: recompute what depends on the whole archive (``ingest.store.derive``:
  who is the user, thread keys, reply pairs, alias proposals), then reconcile chroma
  with SQLite and embed what is missing. Every step is idempotent; a ``dirty`` flag set
  by any write and cleared at the end makes an interrupted run finish the job next time.
- ``forget``: delete a source and everything derived from it (a record another source
  also holds is kept and handed to it), then VACUUM so the text is gone from the file
  bytes.

What it leaves out: an item deleted from a source that is later re-imported stays
in the store until that source is forgotten.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.records import Document, Message, Skip
from ingest.store import derive, ngrams, state
from ingest.store.identity import is_own, norm_addr
from ingest.store.pairing import Row


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Writes:
    """The write half of ``Store`` (which sets ``db``, ``data_dir`` and ``lock``)."""

    db: sqlite3.Connection
    data_dir: Path
    lock: state.WriteLock

    # -- small state ---------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with state.transaction(self.db):
            state.set_meta(self.db, key, value)

    def mark_dirty(self) -> None:
        if not self.is_dirty():
            self.set_meta("dirty", "1")

    def is_dirty(self) -> bool:
        return state.get_meta(self.db, "dirty") == "1"

    def set_me(self, me: Sequence[str]) -> None:
        """Record the user's addresses; a change makes the derived data stale."""
        new = json.dumps(sorted({norm_addr(m) for m in me if m}))
        if (state.get_meta(self.db, "me") or "[]") != new:
            with state.transaction(self.db):
                state.set_meta(self.db, "me", new)
                state.set_meta(self.db, "dirty", "1")

    def source_row(self, key: str) -> sqlite3.Row | None:
        """A source's fingerprint, status and resume point (None: never imported)."""
        return self.db.execute("SELECT fingerprint, status, last_item FROM sources WHERE path = ?",
                               (key,)).fetchone()

    # -- a source's import -----------------------------------------------------------
    def begin_source(self, key: str, kind: str, fp: str, *, keep_resume: bool = False) -> str | None:
        """Mark a source as being imported; return the resume point (None: from the start).

        ``keep_resume``: keep the last stored item whatever the fingerprint says (an IMAP
        folder grows at its end, so its last UID stays a resume point)."""
        row = self.source_row(key)
        resume = row["last_item"] if row and (keep_resume or (row["status"] == "running" and
                                                              row["fingerprint"] == fp)) else None
        with state.transaction(self.db):
            self.db.execute(
                "INSERT INTO sources(path, kind, fingerprint, status, last_item, started_at) "
                "VALUES(?, ?, ?, 'running', ?, ?) ON CONFLICT(path) DO UPDATE SET kind = excluded.kind,"
                " fingerprint = excluded.fingerprint, status = 'running', last_item = excluded.last_item,"
                " started_at = excluded.started_at", (key, kind, fp, resume, now()))
            state.set_meta(self.db, "dirty", "1")
        return resume

    def finish_source(self, key: str) -> None:
        with state.transaction(self.db):
            self.db.execute("UPDATE sources SET status = 'done', imported_at = ? WHERE path = ?",
                            (now(), key))

    def add_records(self, key: str, records: Sequence[Message | Document | Skip]) -> int:
        """Store one batch and the resume point after it; returns the number of new records."""
        db = self.db
        me = self.me()[0]  # type: ignore[attr-defined]  # Store's
        added = 0
        with state.transaction(db):
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM items WHERE source = ?",
                             (key,)).fetchone()[0]
            seq = max(seq, db.execute("SELECT COALESCE(MAX(seq), 0) FROM skips WHERE source = ?",
                                      (key,)).fetchone()[0])
            for rec in records:
                seq += 1
                if isinstance(rec, Skip):
                    db.execute("INSERT OR IGNORE INTO skips(source, item, reason, seq) VALUES(?,?,?,?)",
                               (key, rec.item, rec.reason, seq))
                    continue
                if db.execute("SELECT 1 FROM items WHERE source = ? AND item = ?",
                              (key, rec.item)).fetchone():
                    continue  # already imported (a re-read of a changed source)
                kind = "message" if isinstance(rec, Message) else "document"
                rid = rec.id
                table = "messages" if kind == "message" else "documents"
                new = db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (rid,)).fetchone() is None
                if new:
                    added += 1
                    if kind == "message":
                        cur = db.execute(f"INSERT INTO messages({state.MESSAGE_COLUMNS}) VALUES("
                                         f"{','.join('?' * 23)})",
                                         state.message_values(rec, is_own(rec.sender, me)))
                        ngrams.add(db, cur.lastrowid, rec.text, rec.quoted)
                    else:
                        db.execute(f"INSERT INTO documents({state.DOCUMENT_COLUMNS}) VALUES("
                                   f"{','.join('?' * 9)})", state.document_values(rec))
                        db.executemany("INSERT OR IGNORE INTO chunks(id, doc, n, text) VALUES(?,?,?,?)",
                                       [(f"{rid}-{n}", rid, n, t)
                                        for n, t in enumerate(state.chunk_text(rec.text))])
                db.execute("INSERT INTO items(source, item, rid, kind, status, seq) VALUES(?,?,?,?,?,?)",
                           (key, rec.item, rid, kind, "new" if new else "dup", seq))
            if records:
                db.execute("UPDATE sources SET last_item = ? WHERE path = ?", (records[-1].item, key))
        return added

    # -- what depends on the whole archive ---------------------------------------------
    def pairing_rows(self, who: Sequence[str]) -> list[Row]:
        """Every message as pairing reads it. Only the user's own keep their quoted text
        (pairing reads a quote only to recover what an own reply answered): on a 100,000-
        message archive the others' quotes were a few hundred MB held for nothing."""
        out = []
        for r in self.db.execute("SELECT id, message_id, in_reply_to, refs, subject, sender, "
                                 "sender_name, to_, cc, text, quoted, date, source, own FROM messages "
                                 "ORDER BY rid"):
            parts = (r["sender"] or "", *json.loads(r["to_"] or "[]"), *json.loads(r["cc"] or "[]"))
            out.append(Row(id=r["id"], message_id=r["message_id"] or "",
                           in_reply_to=r["in_reply_to"] or "",
                           references=tuple(json.loads(r["refs"] or "[]")), subject=r["subject"] or "",
                           sender=r["sender"] or "", sender_name=r["sender_name"] or "",
                           participants=tuple(sorted({norm_addr(p) for p in parts if p})),
                           text=r["text"] or "",
                           quoted=(r["quoted"] or "") if is_own(r["sender"] or "", who) else "",
                           date=state._date(r["date"]), source=r["source"], own=bool(r["own"])))
        return out

    def finalize(self, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> None:
        """Recompute ownership, threads, pairs and aliases (``derive``); bring chroma in step."""
        db = self.db
        progress(Progress("finalize", 0, 4, "identity"))
        me = self.saved_me()  # type: ignore[attr-defined]  # Store's
        sent_rows = db.execute("SELECT sender, sender_name, source FROM messages "
                               "WHERE sent_folder = 1 ORDER BY rid").fetchall()
        who, inferred = derive.identity(me, (r[0] or "" for r in sent_rows))
        o = derive.ownership(self.pairing_rows(who), who, inferred)
        check(cancel)
        embedded = {i for (i,) in db.execute("SELECT id FROM messages WHERE embedded = 1")}
        upd = [i for i in o.changed if i in embedded]
        if upd:  # chroma first: if killed here, SQLite still says "changed" next time
            self.update_vector_meta("messages", upd, [{"own": o.changed[i]} for i in upd])  # type: ignore[attr-defined]
        progress(Progress("finalize", 1, 4, "threads"))
        threads, pairs = derive.threads_and_pairs(o)
        old_threads = dict(db.execute("SELECT id, thread FROM messages"))
        old_pairs = {r["id"]: state.pair_values(state.pair_from_row(r))
                     for r in db.execute("SELECT * FROM pairs")}
        gone = sorted(old_pairs.keys() - pairs.keys())
        fresh = [p for pid, p in pairs.items() if old_pairs.get(pid) != state.pair_values(p)]
        check(cancel)
        changed_pairs = [p.id for p in fresh if p.id in old_pairs]
        if gone or changed_pairs:  # a changed pair's old vector carries its old thread and ts: re-embedded below or by the pass
            self.delete_vectors("pairs", gone + changed_pairs)  # type: ignore[attr-defined]
        by_source: dict[str, list[tuple[str, str]]] = {}
        for r in sent_rows:
            by_source.setdefault(r[2], []).append((r[0] or "", r[1] or ""))
        sources = [s for (s,) in db.execute("SELECT path FROM sources").fetchall()]
        with state.transaction(db):
            ngrams.merge(db)
            db.executemany("UPDATE messages SET own = ? WHERE id = ?",
                           [(int(own), i) for i, own in o.changed.items()])
            db.executemany("UPDATE messages SET thread = ? WHERE id = ?",
                           [(t, i) for i, t in threads.items() if old_threads.get(i) != t])
            db.executemany("DELETE FROM pairs WHERE id = ?", [(i,) for i in gone])
            db.executemany(f"INSERT OR REPLACE INTO pairs({state.PAIR_COLUMNS}, embedded) VALUES("
                           f"{','.join('?' * 12)}, 0)", [state.pair_values(p) for p in fresh])
            state.set_meta(db, "me_inferred", o.inferred)
            for src, found in derive.aliases(by_source, sources, o).items():
                state.set_meta(db, f"aliases:{src}", json.dumps(found))
        progress(Progress("finalize", 2, 4, "reconcile"))
        self.reconcile()  # type: ignore[attr-defined]
        progress(Progress("finalize", 3, 4, "embed"))
        self.embed_voice(progress, cancel)  # type: ignore[attr-defined]  # the rest is the background pass's (Store.embed_rest)
        self.set_meta("dirty", "0")
        private_files(self.data_dir)
        progress(Progress("finalize", 4, 4, "done"))

    # -- forget ------------------------------------------------------------------------
    def forget(self, source_path: str | os.PathLike[str]) -> int:
        """Delete a source and everything derived from it; returns records removed."""
        with state.locked_errors(self.data_dir):
            key = self._source_key(source_path)  # type: ignore[attr-defined]
            if not self.source_row(key):
                raise UserError(f"{key} is not an imported source.",
                                hint="Run `ownvoice sources` to list them.")
            with self.lock:
                return self._forget(key)

    def _forget(self, key: str) -> int:
        db = self.db
        self.mark_dirty()
        items = db.execute("SELECT item, rid, kind, status FROM items WHERE source = ?",
                           (key,)).fetchall()
        drop_msgs, drop_docs, handover = [], [], []
        for it in items:
            other = db.execute("SELECT source, item FROM items WHERE rid = ? AND source != ? "
                               "ORDER BY seq LIMIT 1", (it["rid"], key)).fetchone()
            if other is None:
                (drop_msgs if it["kind"] == "message" else drop_docs).append(it["rid"])
            elif it["status"] == "new":
                handover.append((it["rid"], it["kind"], other["source"], other["item"]))
        chunk_ids = [c for d in drop_docs for (c,) in db.execute(
            "SELECT id FROM chunks WHERE doc = ?", (d,))]
        pair_ids = [p for (p,) in db.execute(
            "SELECT id FROM pairs WHERE source = ? OR reply_id IN (SELECT rid FROM items "
            "WHERE source = ?) OR message_id IN (SELECT rid FROM items WHERE source = ?)",
            (key, key, key))]
        for kind, ids in (("messages", drop_msgs), ("chunks", chunk_ids), ("pairs", pair_ids)):
            self.delete_vectors(kind, ids)  # type: ignore[attr-defined]
        with state.transaction(db):
            ngrams.merge(db)  # an import cut short left postings staged: index them, so each removal is a lookup
            for mid in drop_msgs:
                r = db.execute("SELECT rid, text, quoted FROM messages WHERE id = ?",
                               (mid,)).fetchone()
                if r is not None:
                    ngrams.remove(db, r["rid"], r["text"] or "", r["quoted"] or "")
                db.execute("DELETE FROM messages WHERE id = ?", (mid,))
            for did in drop_docs:
                db.execute("DELETE FROM chunks WHERE doc = ?", (did,))
                db.execute("DELETE FROM documents WHERE id = ?", (did,))
            db.executemany("DELETE FROM pairs WHERE id = ?", [(p,) for p in pair_ids])
            for rid, kind, src, item in handover:
                table = "messages" if kind == "message" else "documents"
                db.execute(f"UPDATE {table} SET source = ?, item = ? WHERE id = ?", (src, item, rid))
                db.execute("UPDATE items SET status = 'new' WHERE source = ? AND item = ?",
                           (src, item))
            for table, col in (("items", "source"), ("skips", "source"), ("sources", "path")):
                db.execute(f"DELETE FROM {table} WHERE {col} = ?", (key,))
            db.execute("DELETE FROM meta WHERE key = ?", (f"aliases:{key}",))
        self.finalize()
        self.vacuum()
        if drop_msgs or chunk_ids or pair_ids:
            self.rebuild_vectors()  # type: ignore[attr-defined]  # chroma only marks deleted vectors: copy the kept ones out
        return len(drop_msgs) + len(drop_docs)

    def vacuum(self) -> None:
        """Rewrite the SQLite file so deleted text is gone from its bytes (and the WAL)."""
        for sql in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"):
            self.db.execute(sql)


def private_files(root: Path) -> None:
    """Tighten everything under the data dir to 0600 files / 0700 folders."""
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            _chmod(Path(dirpath) / d, 0o700)
        for f in files:
            _chmod(Path(dirpath) / f, 0o600)


def _chmod(p: Path, mode: int) -> None:
    try:
        if p.stat().st_mode & 0o777 != mode:
            p.chmod(mode)
    except OSError:
        pass
