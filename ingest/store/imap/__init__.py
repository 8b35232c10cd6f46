"""Read-only, incremental IMAP import: ``imap://user@host[:port]/[folder]``.

    result = import_imap("imap://wren@mail.example/", store, password="...")

- **TLS by default.** No port, or 993, is IMAPS (so is any port with ``imaps://``);
  another port with ``imap://`` must offer STARTTLS (a server that waits for TLS
  before greeting is spoken to in IMAPS). Plain IMAP only to a loopback host, or with
  ``insecure=True``.
- **Certificates are verified** against the system's CAs. One that fails (a
  self-signed server) is used only when its SHA-256 fingerprint is trusted: the
  ``trust`` callback is shown the fingerprint and says yes or no (or ``trust`` is the
  fingerprint itself). A trusted fingerprint is pinned in the store, and every later
  connection checks it before the password is sent.
- **Strictly read-only.** Folders are opened with EXAMINE, never SELECT, and messages
  are fetched with BODY.PEEK[], so no flag changes on the server (\\Seen included).
  The client sends nothing else that changes the server (no STORE, EXPUNGE, APPEND,
  COPY, CREATE or DELETE).
- **Incremental.** Each folder is a source keyed ``imap://user@host[:port]/FOLDER``.
  Its row keeps the folder's UIDVALIDITY, UIDNEXT and size (the fingerprint: the same
  means unchanged, nothing fetched) and the last stored message (``<uidvalidity>/<uid>``);
  the next run fetches only later UIDs. A UIDVALIDITY change fetches the folder again
  (dedup by content keeps one copy of each message). A killed sync resumes after the
  last stored batch.
- **Folders.** By default INBOX and the Sent folder(s): RFC 6154 SPECIAL-USE flags
  (``\\Sent``) from LIST, else well-known names ("Sent", "Sent Items", "[Gmail]/Sent
  Mail", ...). Names are modified UTF-7 on the wire (RFC 3501 5.1.3).
- **Credentials** are never written to config or logs: ``keyring_password`` /
  ``keyring_save`` keep them in the system keyring where one exists; the CLI asks
  otherwise.

Server messages go through the same parser, normaliser and store as files do
(``mime.message_from_bytes``, ``Store.add_records``), with the same counts and skips.

What it leaves out: OAuth2 (Gmail and Outlook need an app password), IDLE, and
messages deleted on the server (the store keeps them; ``forget`` removes a folder).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, Sequence

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.records import Message, Skip
from ingest.sources.folders import is_sent_folder
from ingest.store import state
from ingest.store.imap.account import (BATCH, IMAPS_PORT, KEEP, KEYRING_SERVICE, MAX_FETCH, SENT_NAMES, ImapTarget,
                                 _keyring, is_imap_url, is_loopback_host, keyring_forget, keyring_password,
                                 keyring_save, parse_url, utf7_decode, utf7_encode)
from ingest.store.imap.client import (FolderState, Session, Trust, UntrustedCertificate, _same_fp, connect,
                                default_folders, examine, fetch, fingerprint, list_folders, uids_after)

__all__ = ["BATCH", "IMAPS_PORT", "KEEP", "KEYRING_SERVICE", "MAX_FETCH", "SENT_NAMES", "FolderState", "ImapTarget",
           "Session", "Trust", "UntrustedCertificate", "connect", "default_folders", "examine", "fetch",
           "fingerprint", "import_imap", "is_imap_url", "is_loopback_host", "keyring_forget", "keyring_password",
           "keyring_save", "list_folders", "parse_url", "sync_folder", "uids_after", "utf7_decode", "utf7_encode",
           "_keyring"]


# -- the import ---------------------------------------------------------------------------------
def sync_folder(s: Session, store: Any, folder: str, *, sent: bool, since: date | None,
                progress: ProgressFn, cancel: CancelToken | None, batch: int = BATCH) -> tuple[int, bool]:
    """Import the new messages of one folder; returns (messages added, unchanged).

    The source's fingerprint is the folder's state and the ``--since`` date: another
    date (a wider one fetches older mail) reads the folder from its start again, as a
    UIDVALIDITY change does (content dedup keeps one copy of each message)."""
    key = s.target.key(folder)
    st = examine(s, folder)
    fp = st.fingerprint + (f" since={since.isoformat()}" if since else "")
    row = store.source_row(key)
    if row and row["status"] == "done" and row["fingerprint"] == fp:
        return 0, True
    last = 0
    old_since = (row["fingerprint"] or "").partition(" since=")[2] if row else ""
    if row and row["last_item"] and old_since == (since.isoformat() if since else ""):
        v, _, u = str(row["last_item"]).partition("/")
        if v == str(st.uidvalidity) and u.isdigit():
            last = int(u)  # else UIDVALIDITY changed: everything again, dedup by content
    store.begin_source(key, "imap", fp, keep_resume=True)
    uids = uids_after(s, last, since, st.uidnext)
    added = done = 0
    progress(Progress("fetch", 0, len(uids), folder))
    parts = [uids[i:i + batch] for i in range(0, len(uids), batch)]

    def fetch_part(part: list[int]) -> dict[int, tuple[bytes, int]]:
        got = {uid: (raw, size) for uid, raw, size in fetch(s, part)}
        missing = [u for u in part if u not in got]
        for u in missing:  # asked once more, one by one, before it counts as not sent
            got.update({uid: (raw, size) for uid, raw, size in fetch(s, [u])})
        return got

    # the next batch is fetched while this one is parsed and stored: the server (and TLS)
    # and this process use the two cores at once. Only the fetching thread talks to the
    # server, one batch after another, so the connection is never shared.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap-fetch")
    ahead = pool.submit(fetch_part, parts[0]) if parts else None
    try:
        for i, part in enumerate(parts):
            check(cancel)
            got = ahead.result()
            ahead = pool.submit(fetch_part, parts[i + 1]) if i + 1 < len(parts) else None
            added += _store_part(store, key, st.uidvalidity, part, got, folder, sent)
            done += len(part)
            progress(Progress("fetch", done, len(uids), folder, {"new": added}))
    finally:
        if ahead is not None:
            ahead.cancel()
        pool.shutdown(wait=True)  # a fetch under way finishes before the connection is closed
    store.finish_source(key)
    return added, False


def _store_part(store: Any, key: str, uidvalidity: int, part: list[int], got: dict[int, tuple[bytes, int]],
                folder: str, sent: bool) -> int:
    """Parse one fetched batch and store it in UID order (the last is the resume point)."""
    from ingest.sources.mime import message_from_bytes

    recs: list[Message | Skip] = []
    for uid in part:
        item = f"{uidvalidity}/{uid}"
        if uid not in got:
            recs.append(Skip(key, item, "the server listed it but did not send it (asked twice)"))
            continue
        raw, size = got[uid]
        notes: tuple[str, ...] = ()
        if size > MAX_FETCH:
            notes = (f"oversized message ({size >> 20} MB): imported without attachments, "
                     f"text from the first {KEEP >> 20} MB",)
        recs.append(message_from_bytes(raw, source=key, item=item, folder=folder, sent_folder=sent, notes=notes))
    return store.add_records(key, recs)


def import_imap(url: str | ImapTarget, store: Any, me: Sequence[str] = (), *, password: str,
                folders: Sequence[str] = (), since: date | None = None, trust: Trust = None,
                insecure: bool = False, progress: ProgressFn = no_progress,
                cancel: CancelToken | None = None, batch: int = BATCH) -> Any:
    """Import an account's folders into ``store``; returns an ``importer.ImportResult``
    whose sources are the folders (``imap://user@host/FOLDER``)."""
    from ingest.store.importer import ImportResult, disk_errors

    t = parse_url(url, folders) if isinstance(url, str) else url
    pin_key = f"imap_pin:{t.host}:{t.port}"
    pinned = state.get_meta(store.db, pin_key, "") or ""
    progress(Progress("connect", 0, None, t.account))
    s = connect(t, password, trust=trust, pinned=pinned, insecure=insecure)
    added: dict[str, int] = {}
    unchanged: list[str] = []
    keys: list[str] = []
    try:
        if s.fingerprint and not _same_fp(s.fingerprint, pinned):
            store.set_meta(pin_key, s.fingerprint)
        listed = list_folders(s)
        names = {n.lower(): n for n, _ in listed}
        flags = {n: f for n, f in listed}
        chosen = [names.get(f.lower(), f) for f in t.folders] or default_folders(listed)
        if not chosen:
            raise UserError(f"{t.host} lists no INBOX and no Sent folder.",
                            hint="Name the folders with --folders (the server lists: "
                                 f"{', '.join(n for n, _ in listed[:12]) or 'none'}).")
        with store.lock, state.locked_errors(store.data_dir), disk_errors(store.data_dir):
            if me:
                store.set_me(me)
            for n, folder in enumerate(chosen):
                check(cancel)
                key = t.key(folder)
                keys.append(key)
                sent = "\\sent" in flags.get(folder, frozenset()) or is_sent_folder(folder)
                got, same = sync_folder(s, store, folder, sent=sent, since=since, progress=progress,
                                        cancel=cancel, batch=batch)
                if same:
                    unchanged.append(key)
                else:
                    added[key] = got
                progress(Progress("import", n + 1, len(chosen), folder))
            if store.is_dirty():
                store.finalize(progress, cancel)
    finally:
        s.close()
    who, inferred = store.me()
    return ImportResult(tuple(store.report(k) for k in keys), added, tuple(unchanged), who, inferred)
