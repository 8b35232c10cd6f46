"""Import state in SQLite (``data_dir/state.sqlite``): the store's source of truth.

Tables: ``meta`` (key/value), ``sources`` (one row per imported path: kind,
fingerprint, status, resume point), ``items`` (every (source, item) seen, mapped to
the record it became and whether it was new or a duplicate), ``skips``,
``messages``, ``documents``, ``chunks`` (document pieces that are embedded),
``pairs``, ``ngrams`` (hashed word 8-gram postings) and ``ngrams_new`` (postings an
import has not merged yet; see ``ingest.store.ngrams``).
chromadb only mirrors ids + embeddings of rows kept here, so a kill at any point
is repaired by reconciling chroma against this file.

Schema changes are a list of migrations, each applied once and recorded in
``PRAGMA user_version``. The database runs in WAL mode with a short busy timeout;
"database is locked" becomes the same clear ``AlreadyRunning`` error the write lock
gives. What it leaves out: no encryption at rest (the data dir is 0700, files 0600).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from ingest.kernel.errors import AlreadyRunning, UserError
from ingest.kernel.records import Document, Message, ReplyPair

BUSY_TIMEOUT_MS = 2000

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append(fn)
    return fn


@migration
def _m1_initial(db: sqlite3.Connection) -> None:
    _script(db, """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE sources (
            path TEXT PRIMARY KEY, kind TEXT NOT NULL, fingerprint TEXT,
            status TEXT NOT NULL DEFAULT 'running', last_item TEXT,
            started_at TEXT, imported_at TEXT);
        CREATE TABLE items (
            source TEXT NOT NULL, item TEXT NOT NULL, rid TEXT NOT NULL,
            kind TEXT NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY (source, item));
        CREATE INDEX items_rid ON items(rid);
        CREATE TABLE skips (source TEXT NOT NULL, item TEXT NOT NULL, reason TEXT NOT NULL,
            seq INTEGER NOT NULL, PRIMARY KEY (source, item));
        CREATE TABLE messages (
            rid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL,
            item TEXT NOT NULL, message_id TEXT, thread TEXT NOT NULL DEFAULT '',
            own INTEGER NOT NULL DEFAULT 0, date TEXT, ts REAL, sender TEXT, sender_name TEXT,
            to_ TEXT, cc TEXT, subject TEXT, body TEXT, text TEXT, quoted TEXT,
            signature TEXT, in_reply_to TEXT, refs TEXT, folder TEXT,
            sent_folder INTEGER, attachments TEXT, notes TEXT,
            embedded INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX messages_mid ON messages(message_id);
        CREATE INDEX messages_thread ON messages(thread);
        CREATE INDEX messages_ts ON messages(ts);
        CREATE TABLE documents (
            rid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL,
            item TEXT NOT NULL, title TEXT, text TEXT, date TEXT, ts REAL, kind TEXT,
            notes TEXT);
        CREATE TABLE chunks (
            id TEXT PRIMARY KEY, doc TEXT NOT NULL, n INTEGER NOT NULL, text TEXT,
            embedded INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX chunks_doc ON chunks(doc);
        CREATE TABLE pairs (
            id TEXT PRIMARY KEY, reply_id TEXT NOT NULL, message_id TEXT,
            message_text TEXT, message_sender TEXT, message_subject TEXT, reply_text TEXT,
            date TEXT, ts REAL, thread TEXT, how TEXT, source TEXT,
            embedded INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX pairs_ts ON pairs(ts);
        CREATE TABLE ngrams (hash INTEGER NOT NULL, rid INTEGER NOT NULL,
            PRIMARY KEY (hash, rid)) WITHOUT ROWID;
        """)


@migration
def _m2_pending_vectors(db: sqlite3.Connection) -> None:
    """The rows chroma still lacks, found without a scan of the table (the search pass
    asks for the next batch thousands of times on a large archive)."""
    _script(db, """
        CREATE INDEX messages_pending ON messages(embedded, own DESC, rid);
        CREATE INDEX chunks_pending ON chunks(embedded, id);
        CREATE INDEX pairs_pending ON pairs(embedded, id);
        """)


@migration
def _m3_ngram_staging(db: sqlite3.Connection) -> None:
    """Postings an import has not merged into the leak index yet, and the index rebuilt
    with the vectorised 8-gram hash (``ingest.store.ngrams``): once, a few seconds per 10,000
    messages."""
    from ingest.store import ngrams  # ngrams imports nothing of state: no cycle at run time

    _script(db, "CREATE TABLE ngrams_new (hash INTEGER NOT NULL, rid INTEGER NOT NULL)")
    db.execute("DELETE FROM ngrams")
    last = -1
    while True:  # a thousand messages at a time: a lifetime archive's text is never all in memory
        rows = db.execute("SELECT rid, text, quoted FROM messages WHERE rid > ? ORDER BY rid LIMIT 1000",
                          (last,)).fetchall()
        if not rows:
            break
        for r in rows:
            ngrams.add(db, r[0], r[1] or "", r[2] or "")
        last = rows[-1][0]
    ngrams.merge(db)


@migration
def _m4_newest_pairs(db: sqlite3.Connection) -> None:
    """The newest reply pairs not embedded yet, found without a sort (``Store.embed_voice``)."""
    _script(db, "CREATE INDEX IF NOT EXISTS pairs_newest ON pairs(embedded, ts)")


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the caller's transaction (executescript would commit)."""
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating 0600) and migrate the state database."""
    new = not path.exists()
    if new:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
    db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                         check_same_thread=False)
    db.row_factory = sqlite3.Row
    try:
        _prepare(db, path)
    except sqlite3.DatabaseError as e:  # "file is not a database", "database disk image is malformed"
        db.close()
        raise UserError(f"The store's database {path} is damaged ({e}).",
                        hint="Restore it from a backup, or move the data directory aside and run "
                             "`ownvoice import` on your archives again.") from e
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.chmod(str(path) + suffix, 0o600)
    return db


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    """Pragmas and migrations of a freshly opened connection."""
    with locked_errors(path.parent):
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten, not left in free pages
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for i, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with transaction(db):
                # another process may have migrated since we read the version: re-read it
                # under the write lock that BEGIN IMMEDIATE holds
                if db.execute("PRAGMA user_version").fetchone()[0] >= i:
                    continue
                step(db)
                db.execute(f"PRAGMA user_version = {i}")


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def locked_errors(data_dir: Path) -> Iterator[None]:
    """Turn SQLite's "database is locked" into the clear ``AlreadyRunning`` error."""
    try:
        yield
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            raise already_running(data_dir) from e
        raise


def already_running(data_dir: Path) -> AlreadyRunning:
    return AlreadyRunning(f"Another ownvoice process is already running on {data_dir} "
                          "(importing, learning, forgetting or embedding for search).",
                          hint="Wait for it to finish, or stop it, then run this again.")


class WriteLock:
    """A non-blocking exclusive ``fcntl.flock`` on ``data_dir/.write.lock``.

    Held by imports and forgets; a second writer gets ``AlreadyRunning`` at once.
    The kernel drops the lock when the process dies, so a SIGKILL leaves no stale lock.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> "WriteLock":
        if self._depth == 0:
            fd = os.open(self.data_dir / ".write.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                os.close(fd)
                raise already_running(self.data_dir) from e
            self._fd = fd
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def get_meta(db: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT INTO meta(key, value) VALUES(?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


def fingerprint(path: Path, *, edge: int = 1 << 16) -> str:
    """A fast fingerprint of a source: size, mtime_ns and a hash of head + tail.

    Folders hash every file's relative path, size and mtime_ns (no content reads), so
    a Maildir of 100,000 files costs a directory walk.
    """
    h = hashlib.blake2b(digest_size=16)
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                p = Path(root) / name
                try:
                    st = p.stat()
                except OSError:
                    continue
                h.update(f"{p.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode(
                    "utf-8", "surrogateescape"))
        return "dir:" + h.hexdigest()
    st = path.stat()
    h.update(f"{st.st_size}\0{st.st_mtime_ns}\n".encode())
    with open(path, "rb") as f:
        h.update(f.read(edge))
        if st.st_size > edge:
            f.seek(max(edge, st.st_size - edge))
            h.update(f.read(edge))
    return f"file:{st.st_size}:{h.hexdigest()}"


# -- records <-> rows -------------------------------------------------------------------
def _iso(d: datetime | None) -> tuple[str | None, float | None]:
    if d is None:
        return None, None
    try:
        return d.isoformat(), d.timestamp()
    except (OverflowError, ValueError, OSError):
        return None, None


def _date(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


def message_values(m: Message, own: bool) -> tuple:
    """The ``messages`` columns (after rid) for a new row."""
    date, ts = _iso(m.date)
    return (m.id, m.source, m.item, m.message_id, m.thread, int(own), date, ts, m.sender,
            m.sender_name, json.dumps(list(m.to)), json.dumps(list(m.cc)), m.subject, m.body,
            m.text, m.quoted, m.signature, m.in_reply_to, json.dumps(list(m.references)),
            m.folder, int(m.sent_folder), json.dumps(list(m.attachments)),
            json.dumps(list(m.notes)))


MESSAGE_COLUMNS = ("id, source, item, message_id, thread, own, date, ts, sender, sender_name, "
                   "to_, cc, subject, body, text, quoted, signature, in_reply_to, refs, folder, "
                   "sent_folder, attachments, notes")


def message_from_row(r: sqlite3.Row) -> Message:
    return Message(source=r["source"], item=r["item"], message_id=r["message_id"] or "",
                   subject=r["subject"] or "", sender=r["sender"] or "",
                   sender_name=r["sender_name"] or "", to=tuple(json.loads(r["to_"] or "[]")),
                   cc=tuple(json.loads(r["cc"] or "[]")), date=_date(r["date"]),
                   in_reply_to=r["in_reply_to"] or "",
                   references=tuple(json.loads(r["refs"] or "[]")), body=r["body"] or "",
                   text=r["text"] or "", quoted=r["quoted"] or "", signature=r["signature"] or "",
                   folder=r["folder"] or "", sent_folder=bool(r["sent_folder"]),
                   attachments=tuple(json.loads(r["attachments"] or "[]")), own=bool(r["own"]),
                   thread=r["thread"] or "", notes=tuple(json.loads(r["notes"] or "[]")))


def document_values(d: Document) -> tuple:
    date, ts = _iso(d.date)
    return (d.id, d.source, d.item, d.title, d.text, date, ts, d.kind, json.dumps(list(d.notes)))


DOCUMENT_COLUMNS = "id, source, item, title, text, date, ts, kind, notes"


def document_from_row(r: sqlite3.Row) -> Document:
    return Document(source=r["source"], item=r["item"], title=r["title"] or "",
                    text=r["text"] or "", date=_date(r["date"]), kind=r["kind"] or "txt",
                    notes=tuple(json.loads(r["notes"] or "[]")))


def pair_values(p: ReplyPair) -> tuple:
    date, ts = _iso(p.date)
    return (p.id, p.reply_id, p.message_id, p.message_text, p.message_sender, p.message_subject,
            p.reply_text, date, ts, p.thread, p.how, p.source)


PAIR_COLUMNS = ("id, reply_id, message_id, message_text, message_sender, message_subject, "
                "reply_text, date, ts, thread, how, source")


def pair_from_row(r: sqlite3.Row) -> ReplyPair:
    return ReplyPair(reply_id=r["reply_id"], message_id=r["message_id"],
                     message_text=r["message_text"] or "", message_sender=r["message_sender"] or "",
                     message_subject=r["message_subject"] or "", reply_text=r["reply_text"] or "",
                     date=_date(r["date"]), thread=r["thread"] or "", how=r["how"] or "headers",
                     source=r["source"] or "")


def chunk_text(text: str, size: int = 1200) -> list[str]:
    """Split a document into pieces of about ``size`` characters on paragraph breaks.

    >>> chunk_text("a\\n\\nb", size=1)
    ['a', 'b']
    """
    paras = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    out: list[str] = []
    cur = ""
    for p in paras:
        while len(p) > size * 2:  # one huge paragraph: cut it
            out.append(p[:size])
            p = p[size:]
        if cur and len(cur) + len(p) + 2 > size:
            out.append(cur)
            cur = p
        else:
            cur = f"{cur}\n\n{p}" if cur else p
    if cur:
        out.append(cur)
    return out
