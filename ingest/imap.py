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
(``mime.message_from_bytes``, ``derive.add_records``), with the same counts and skips.

What it leaves out: OAuth2 (Gmail and Outlook need an app password), IDLE, and
messages deleted on the server (the store keeps them; ``forget`` removes a folder).
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import ipaddress
import re
import socket
import ssl
import urllib.parse
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterator, Sequence

from ingest import derive, state
from ingest.errors import UserError
from ingest.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.normalize import is_sent_folder
from ingest.records import Message, Skip

IMAPS_PORT = 993
TIMEOUT = 60.0
BATCH = 100  # messages per FETCH and per store transaction
MAX_FETCH = 25 << 20  # a larger message is fetched up to KEEP bytes (as for .eml files)
KEEP = 2 << 20
KEYRING_SERVICE = "ownvoice-imap"
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "[Google Mail]/Sent Mail",
              "INBOX.Sent", "INBOX/Sent", "Gesendet", "Gesendete Elemente", "Envoyés", "Enviados")


# -- the account --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImapTarget:
    user: str
    host: str
    port: int = IMAPS_PORT
    folders: tuple[str, ...] = ()  # () = INBOX and the Sent folder(s)
    tls: str = "auto"  # "ssl" (IMAPS), "starttls", or "auto": ssl on 993, else STARTTLS

    @property
    def account(self) -> str:
        """``user@host[:port]``: the keyring entry and the sources' prefix."""
        return f"{self.user}@{self.host}" + ("" if self.port == IMAPS_PORT else f":{self.port}")

    def key(self, folder: str) -> str:
        return f"imap://{self.account}/{folder}"


def is_imap_url(s: object) -> bool:
    return isinstance(s, str) and s.lower().startswith(("imap://", "imaps://"))


def parse_url(url: str, folders: Sequence[str] = ()) -> ImapTarget:
    """``imap[s]://user@host[:port]/[folder]``; ``folders`` (``--folders``) add to the one
    in the URL.

    >>> parse_url("imap://wren%40x.example@mail.example:143/Sent%20Items")
    ImapTarget(user='wren@x.example', host='mail.example', port=143, folders=('Sent Items',), tls='auto')
    >>> parse_url("imaps://me@h/", ["INBOX", "Sent"]).folders
    ('INBOX', 'Sent')
    """
    u = urllib.parse.urlsplit(url)
    if u.scheme.lower() not in ("imap", "imaps") or not u.hostname:
        raise UserError(f"{url!r} is not an IMAP address.", hint="Write it as imap://USER@HOST[:PORT]/[FOLDER].")
    if not u.username:
        raise UserError(f"{url!r} names no user.", hint="Write it as imap://USER@HOST/ (a user with an @ is "
                                                       "written %40: imap://me%40example.com@imap.example.com/).")
    if u.password:
        raise UserError("Put no password in the IMAP address: it would stay in your shell history.",
                        hint="Leave it out; ownvoice asks for it, or reads it with --password-stdin.")
    try:
        port = u.port or IMAPS_PORT
    except ValueError as e:
        raise UserError(f"{url!r} has a bad port: {e}.", hint="Use a number, such as 993.") from e
    path = urllib.parse.unquote(u.path.lstrip("/")).strip()
    got = tuple(dict.fromkeys([*([path] if path else []), *(f.strip() for f in folders if f.strip())]))
    tls = "ssl" if u.scheme.lower() == "imaps" else "auto"
    return ImapTarget(urllib.parse.unquote(u.username), u.hostname.lower(), port, got, tls)


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- modified UTF-7 (RFC 3501 5.1.3) ---------------------------------------------------------------
def utf7_decode(s: str) -> str:
    """Decode a folder name from the wire.

    >>> utf7_decode("Entw&APw-rfe"), utf7_decode("A&-B")
    ('Entwürfe', 'A&B')
    """
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i] != "&":
            out.append(s[i])
            i += 1
            continue
        j = s.find("-", i)
        if j < 0:
            return s  # not valid modified UTF-7: keep the name as the server sent it
        if j == i + 1:
            out.append("&")
        else:
            b64 = s[i + 1:j].replace(",", "/")
            try:
                out.append(base64.b64decode(b64 + "=" * (-len(b64) % 4)).decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                return s
        i = j + 1
    return "".join(out)


def utf7_encode(s: str) -> str:
    """Encode a folder name for the wire.

    >>> utf7_encode("Entwürfe"), utf7_encode("A&B")
    ('Entw&APw-rfe', 'A&-B')
    """
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            b = base64.b64encode("".join(buf).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append(f"&{b}-")
            buf.clear()

    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def _quote(name: str) -> str:
    return '"' + utf7_encode(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- credentials --------------------------------------------------------------------------------
def _keyring() -> Any | None:
    """The system keyring, or None where there is no usable backend (a headless box)."""
    try:
        import keyring
        from keyring.backends import fail

        kr = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - no keyring package or a broken backend: ask instead
        return None
    if isinstance(kr, fail.Keyring) or getattr(kr, "priority", 1) <= 0:
        return None
    return kr


def keyring_password(account: str) -> str | None:
    kr = _keyring()
    if kr is None:
        return None
    try:
        return kr.get_password(KEYRING_SERVICE, account)
    except Exception:  # noqa: BLE001 - a locked or broken keyring: ask instead
        return None


def keyring_save(account: str, password: str) -> bool:
    """Keep the password in the system keyring; False when there is none."""
    kr = _keyring()
    if kr is None:
        return False
    try:
        kr.set_password(KEYRING_SERVICE, account, password)
        return True
    except Exception:  # noqa: BLE001
        return False


def keyring_forget(account: str) -> None:
    kr = _keyring()
    if kr is not None:
        try:
            kr.delete_password(KEYRING_SERVICE, account)
        except Exception:  # noqa: BLE001 - nothing saved
            pass


# -- connecting ---------------------------------------------------------------------------------
def fingerprint(der: bytes) -> str:
    """``AB:CD:...``: the SHA-256 of a certificate, as browsers and ``openssl x509
    -fingerprint -sha256`` print it."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def _same_fp(a: str, b: str) -> bool:
    return re.sub(r"[^0-9a-f]", "", a.lower()) == re.sub(r"[^0-9a-f]", "", b.lower())


Trust = Callable[[str], bool] | str | None


@dataclass
class Session:
    """A logged-in, read-only IMAP connection."""

    imap: imaplib.IMAP4
    target: ImapTarget
    secure: bool
    fingerprint: str = ""  # the pinned certificate's, when the system did not vouch for it
    caps: frozenset[str] = field(default_factory=frozenset)

    def close(self) -> None:
        try:
            self.imap.logout()
        except Exception:  # noqa: BLE001 - the server went away: nothing to tidy
            pass


GREETING_TIMEOUT = 5.0  # a server silent this long on a plain connection wants TLS first


def _probe(t: ImapTarget) -> str:
    """Another port than 993, no scheme said which: "starttls" when the server greets a
    plain connection, "ssl" when it waits for TLS first."""
    try:
        with socket.create_connection((t.host, t.port), timeout=GREETING_TIMEOUT) as sock:
            return "starttls" if sock.recv(4).startswith(b"*") else "ssl"
    except (TimeoutError, socket.timeout):
        return "ssl"
    except OSError as e:
        raise UserError(f"Cannot reach the IMAP server {t.host}:{t.port}: {e}.",
                        hint="Check the host name and port, and that this machine is online.") from e


def _open(t: ImapTarget, ctx: ssl.SSLContext | None, tls: str) -> imaplib.IMAP4:
    try:
        if tls == "ssl":
            return imaplib.IMAP4_SSL(t.host, t.port, ssl_context=ctx, timeout=TIMEOUT)
        m = imaplib.IMAP4(t.host, t.port, timeout=TIMEOUT)
        if tls == "starttls":
            if "STARTTLS" not in m.capabilities:
                m.shutdown()
                raise _NoStartTLS()
            m.starttls(ssl_context=ctx)
        return m
    except (ssl.SSLCertVerificationError, _NoStartTLS):
        raise
    except ssl.SSLError as e:
        raise UserError(f"TLS with {t.host}:{t.port} failed: {e.reason or e}.",
                        hint="Check the port: 993 is IMAPS; 143 is IMAP with STARTTLS.") from e
    except (OSError, imaplib.IMAP4.error) as e:
        raise UserError(f"Cannot reach the IMAP server {t.host}:{t.port}: {e}.",
                        hint="Check the host name and port, and that this machine is online.") from e


class _NoStartTLS(Exception):
    pass




class UntrustedCertificate(UserError):
    """The server's certificate is not vouched for by this system and not trusted by
    its fingerprint (``fingerprint``): ask the user, then connect with ``trust=``."""

    def __init__(self, message: str, *, hint: str, fingerprint: str) -> None:
        super().__init__(message, hint=hint)
        self.fingerprint = fingerprint


def connect(t: ImapTarget, password: str, *, trust: Trust = None, pinned: str = "",
            insecure: bool = False) -> Session:
    """Connect, secure the connection, check the certificate, then log in (see the module)."""
    tls = t.tls if t.tls != "auto" else ("ssl" if t.port == IMAPS_PORT else _probe(t))
    fp = ""
    try:
        m = _open(t, ssl.create_default_context(), tls)
    except _NoStartTLS:
        if not (insecure or is_loopback_host(t.host)):
            raise UserError(f"{t.host}:{t.port} offers no STARTTLS: the password would cross the network "
                            "in clear text.", hint="Use port 993 (IMAPS), or pass --insecure if you accept "
                                                   "that.") from None
        m, tls = _open(t, None, "plain"), "plain"
    except ssl.SSLCertVerificationError as e:
        # a certificate this system does not vouch for (self-signed): only a trusted fingerprint
        loose = ssl.create_default_context()
        loose.check_hostname = False
        loose.verify_mode = ssl.CERT_NONE
        m = _open(t, loose, tls)
        fp = fingerprint(m.sock.getpeercert(binary_form=True) or b"")
        ok = _same_fp(fp, pinned) if pinned else False
        if not ok and isinstance(trust, str):
            ok = _same_fp(fp, trust)
        elif not ok and callable(trust):
            ok = bool(trust(fp))
        if not ok:
            m.shutdown()
            changed = " It is not the one you trusted before." if pinned else ""
            raise UntrustedCertificate(f"The certificate of {t.host}:{t.port} is not trusted by this system "
                                       f"({e.verify_message or 'self-signed?'}).{changed} Its SHA-256 "
                                       f"fingerprint is {fp}.",
                                       hint="Compare it with the fingerprint your mail server shows; if they "
                                            f"match, run again with --trust-fingerprint {fp}.",
                                       fingerprint=fp) from None
    try:
        m.login(t.user, password)
    except imaplib.IMAP4.error as e:
        try:
            m.shutdown()
        except OSError:
            pass
        msg = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise UserError(f"{t.host} refused the login for {t.user}: {msg.strip() or 'no reason given'}.",
                        hint="Check the user name and password (Gmail, Outlook and iCloud need an app "
                             "password).") from None
    try:
        typ, data = m.capability()
        caps = frozenset(data[0].decode("ascii", "replace").upper().split()) if typ == "OK" and data else frozenset()
    except imaplib.IMAP4.error:
        caps = frozenset(m.capabilities)
    return Session(m, t, tls != "plain", fp, caps)


# -- folders ------------------------------------------------------------------------------------
_LIST = re.compile(rb'^\((?P<flags>[^)]*)\)\s+(?:"(?:[^"\\]|\\.)*"|NIL)\s+(?P<name>.+)$')


def list_folders(s: Session) -> list[tuple[str, frozenset[str]]]:
    """(decoded name, lower-case flags) of every folder the server lists."""
    typ, data = s.imap.list()
    if typ != "OK":
        raise UserError(f"{s.target.host} would not list its folders.", hint="Try again later.")
    out: list[tuple[str, frozenset[str]]] = []
    for item in data or ():
        if isinstance(item, tuple):  # the name came as a literal
            head, name_b = item[0], item[1]
            mt = _LIST.match(head.rstrip() + b" x")
            flags = mt.group("flags") if mt else b""
        else:
            if not item:
                continue
            mt = _LIST.match(item)
            if not mt:
                continue
            flags, name_b = mt.group("flags"), mt.group("name").strip()
            if name_b.startswith(b'"') and name_b.endswith(b'"'):
                name_b = re.sub(rb"\\(.)", rb"\1", name_b[1:-1])
        fl = frozenset(f.lower() for f in flags.decode("ascii", "replace").split())
        if "\\noselect" in fl or "\\nonexistent" in fl:
            continue
        out.append((utf7_decode(name_b.decode("utf-8", "replace")), fl))
    return out


def default_folders(listed: Sequence[tuple[str, frozenset[str]]]) -> list[str]:
    """INBOX and the Sent folder(s): ``\\Sent`` (RFC 6154), else a well-known name.

    >>> default_folders([("INBOX", frozenset()), ("[Gmail]/Sent Mail", frozenset({"\\\\sent"})), ("Sent", frozenset())])
    ['INBOX', '[Gmail]/Sent Mail']
    >>> default_folders([("INBOX", frozenset()), ("Sent Items", frozenset())])
    ['INBOX', 'Sent Items']
    """
    names = [n for n, _ in listed]
    inbox = next((n for n in names if n.upper() == "INBOX"), None)
    sent = [n for n, f in listed if "\\sent" in f]
    if not sent:
        lower = {n.lower(): n for n in names}
        sent = [lower[x.lower()] for x in SENT_NAMES if x.lower() in lower][:1]
    return [*([inbox] if inbox else []), *sent]


# -- fetching -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int
    exists: int

    @property
    def fingerprint(self) -> str:
        return f"uidvalidity={self.uidvalidity} uidnext={self.uidnext} exists={self.exists}"


def examine(s: Session, folder: str) -> FolderState:
    """Open ``folder`` read-only (EXAMINE) and read its UIDVALIDITY, UIDNEXT and size."""
    typ, data = s.imap.select(_quote(folder), readonly=True)  # readonly=True sends EXAMINE
    if typ != "OK":
        why = data[0].decode("utf-8", "replace") if data and isinstance(data[0], bytes) else ""
        raise UserError(f"{s.target.host} has no folder {folder!r} ({why}).",
                        hint="`ownvoice import imap://... --folders` takes the names the server lists.")
    exists = int(data[0]) if data and data[0] and data[0].isdigit() else 0

    def code(name: str) -> int:
        got = s.imap.response(name)[1]
        try:
            return int(got[0]) if got and got[0] else 0
        except (TypeError, ValueError):
            return 0

    return FolderState(code("UIDVALIDITY"), code("UIDNEXT"), exists)


def uids_after(s: Session, last: int, since: date | None = None) -> list[int]:
    crit = [f"UID {last + 1}:*"]
    if since is not None:
        crit.append(f"SINCE {since.day}-{since.strftime('%b')}-{since.year}")
    typ, data = s.imap.uid("SEARCH", *crit)
    if typ != "OK":
        raise UserError(f"{s.target.host} would not search the folder.", hint="Try again later.")
    got = sorted({int(x) for x in b" ".join(d for d in data if d).split() if x.isdigit()})
    return [u for u in got if u > last]  # "n:*" always matches the last message


_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


def fetch(s: Session, uids: Sequence[int]) -> Iterator[tuple[int, bytes, int]]:
    """(uid, raw message, size on the server) for ``uids``, with BODY.PEEK (no \\Seen)."""
    typ, data = s.imap.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
    sizes: dict[int, int] = {}
    for d in data or ():
        line = d[0] if isinstance(d, tuple) else d
        mu, ms = _UID.search(line or b""), _SIZE.search(line or b"")
        if mu:
            sizes[int(mu.group(1))] = int(ms.group(1)) if ms else 0
    small = [u for u in uids if sizes.get(u, 0) <= MAX_FETCH]
    big = [u for u in uids if sizes.get(u, 0) > MAX_FETCH]
    for group, what in ((small, "BODY.PEEK[]"), (big, f"BODY.PEEK[]<0.{KEEP}>")):
        if not group:
            continue
        typ, data = s.imap.uid("FETCH", ",".join(map(str, group)), f"(UID {what})")
        if typ != "OK":
            raise UserError(f"{s.target.host} would not send messages {group[0]}-{group[-1]}.",
                            hint="Run the import again: it resumes after the last message stored.")
        for d in data or ():
            if isinstance(d, tuple) and len(d) == 2:
                mu = _UID.search(d[0])
                if mu:
                    u = int(mu.group(1))
                    yield u, d[1], sizes.get(u, len(d[1]))


# -- the import ---------------------------------------------------------------------------------
def sync_folder(s: Session, store: Any, folder: str, *, sent: bool, since: date | None,
                progress: ProgressFn, cancel: CancelToken | None, batch: int = BATCH) -> tuple[int, bool]:
    """Import the new messages of one folder; returns (messages added, unchanged)."""
    key = s.target.key(folder)
    st = examine(s, folder)
    row = store.db.execute("SELECT fingerprint, status, last_item FROM sources WHERE path = ?", (key,)).fetchone()
    if row and row["status"] == "done" and row["fingerprint"] == st.fingerprint:
        return 0, True
    last = 0
    if row and row["last_item"]:
        v, _, u = str(row["last_item"]).partition("/")
        if v == str(st.uidvalidity) and u.isdigit():
            last = int(u)  # else UIDVALIDITY changed: everything again, dedup by content
    derive.begin_source(store, key, "imap", st.fingerprint, keep_resume=True)
    uids = uids_after(s, last, since)
    added = done = 0
    progress(Progress("fetch", 0, len(uids), folder))
    for i in range(0, len(uids), batch):
        check(cancel)
        part = uids[i:i + batch]
        recs: list[Message | Skip] = []
        for uid, raw, size in fetch(s, part):
            item = f"{st.uidvalidity}/{uid}"
            notes: tuple[str, ...] = ()
            if size > MAX_FETCH:
                notes = (f"oversized message ({size >> 20} MB): imported without attachments, "
                         f"text from the first {KEEP >> 20} MB",)
            from ingest.mime import message_from_bytes

            recs.append(message_from_bytes(raw, source=key, item=item, folder=folder, sent_folder=sent, notes=notes))
        got = {r.item for r in recs}
        recs += [Skip(key, f"{st.uidvalidity}/{u}", "the server listed it but did not send it")
                 for u in part if f"{st.uidvalidity}/{u}" not in got]
        recs.sort(key=lambda r: int(r.item.rpartition("/")[2]))  # the resume point is the last UID
        added += derive.add_records(store, key, recs)
        done += len(part)
        store.embed_pending(cancel=cancel)
        progress(Progress("fetch", done, len(uids), folder, {"new": added}))
    derive.finish_source(store, key)
    return added, False


def import_imap(url: str | ImapTarget, store: Any, me: Sequence[str] = (), *, password: str,
                folders: Sequence[str] = (), since: date | None = None, trust: Trust = None,
                insecure: bool = False, progress: ProgressFn = no_progress,
                cancel: CancelToken | None = None, batch: int = BATCH) -> Any:
    """Import an account's folders into ``store``; returns an ``importer.ImportResult``
    whose sources are the folders (``imap://user@host/FOLDER``)."""
    from ingest.importer import ImportResult, disk_errors

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
            with state.transaction(store.db):
                state.set_meta(store.db, pin_key, s.fingerprint)
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
                derive.set_me(store, me)
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
            if derive.is_dirty(store):
                derive.finalize(store, progress, cancel)
    finally:
        s.close()
    who, inferred = store.me()
    return ImportResult(tuple(store.report(k) for k in keys), added, tuple(unchanged), who, inferred)
