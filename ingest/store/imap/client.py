"""Talking to the server: connect (TLS, the certificate check, login), list folders,
EXAMINE a folder, search and fetch with BODY.PEEK. Nothing here writes to the store.

What it leaves out: IDLE, CONDSTORE/QRESYNC (flag changes are not read at all), and
COMPRESS.
"""

from __future__ import annotations

import hashlib
import imaplib
import re
import socket
import ssl
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterator, Sequence

from ingest.kernel.errors import UserError
from ingest.store.imap.account import IMAPS_PORT, KEEP, MAX_FETCH, SENT_NAMES, TIMEOUT, ImapTarget, _quote, \
    is_loopback_host, utf7_decode

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


GREETING_TIMEOUT = 5.0  # how long the probe waits to connect and for the handshake


def _probe(t: ImapTarget) -> str:
    """Another port than 993, no scheme said which: "ssl" when the server speaks TLS at
    once (IMAPS), "starttls" when it speaks plain IMAP first.

    A TLS handshake is tried: an IMAPS server completes it; a plain server sends its
    "* OK" greeting, which the TLS client reads as a malformed record and fails on at
    once. Neither case waits for a timeout (waiting for a plain greeting that an IMAPS
    server never sends cost 5 seconds on every sync). The certificate is not checked
    here, only the protocol: the real connection checks it."""
    probe = ssl.create_default_context()
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    try:
        sock = socket.create_connection((t.host, t.port), timeout=GREETING_TIMEOUT)
    except OSError as e:
        raise UserError(f"Cannot reach the IMAP server {t.host}:{t.port}: {e}.",
                        hint="Check the host name and port, and that this machine is online.") from e
    try:
        with probe.wrap_socket(sock, server_hostname=t.host):
            return "ssl"
    except (TimeoutError, socket.timeout):
        return "ssl"  # silent: the real connection says what is wrong
    except (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError):
        return "starttls"  # a plain server hung up on the handshake
    except ssl.SSLError as e:
        # a plain greeting read as a TLS record; any other TLS failure (an alert from a
        # real IMAPS server) is for the real connection to report
        return "starttls" if (e.reason or "") in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
                                                  "HTTP_REQUEST", "UNKNOWN_PROTOCOL") else "ssl"
    finally:
        sock.close()


def _open(t: ImapTarget, ctx: ssl.SSLContext | None, tls: str) -> imaplib.IMAP4:
    try:
        if tls == "ssl":
            return imaplib.IMAP4_SSL(t.host, t.port, ssl_context=ctx, timeout=TIMEOUT)
        m = imaplib.IMAP4(t.host, t.port, timeout=TIMEOUT)
        if tls == "starttls":
            if "STARTTLS" not in m.capabilities:
                m.shutdown()
                raise _NoStartTLS()
            try:
                m.starttls(ssl_context=ctx)
            except BaseException:
                _shut(m)
                raise
        return m
    except (ssl.SSLCertVerificationError, _NoStartTLS):
        raise
    except ssl.SSLError as e:
        raise UserError(f"TLS with {t.host}:{t.port} failed: {e.reason or e}.",
                        hint="Check the port: 993 is IMAPS; 143 is IMAP with STARTTLS.") from e
    except (OSError, imaplib.IMAP4.error) as e:
        raise UserError(f"Cannot reach the IMAP server {t.host}:{t.port}: {e}.",
                        hint="Check the host name and port, and that this machine is online.") from e


def _shut(m: imaplib.IMAP4) -> None:
    try:
        m.shutdown()
    except OSError:
        pass


class _NoStartTLS(Exception):
    pass


class UntrustedCertificate(UserError):
    """The server's certificate is not vouched for by this system and not trusted by
    its fingerprint (``fingerprint``): ask the user, then connect with ``trust=``.
    ``changed``: a fingerprint was pinned for this server and this is another one (it
    may be an attacker between you and the server: never accepted by a plain yes)."""

    def __init__(self, message: str, *, hint: str, fingerprint: str, changed: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.fingerprint = fingerprint
        self.changed = changed


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
        changed = bool(pinned) and not _same_fp(fp, pinned)
        ok = bool(pinned) and not changed
        if not ok and isinstance(trust, str):
            ok = _same_fp(fp, trust)  # named explicitly: the only way past a changed pin
        elif not ok and callable(trust) and not changed:
            ok = bool(trust(fp))
        if not ok:
            _shut(m)
            why = (" It is NOT the certificate you trusted before: someone may be between you and the "
                   "server." if changed else "")
            raise UntrustedCertificate(f"The certificate of {t.host}:{t.port} is not trusted by this system "
                                       f"({e.verify_message or 'self-signed?'}).{why} Its SHA-256 "
                                       f"fingerprint is {fp}.",
                                       hint="Compare it with the fingerprint your mail server shows; only if "
                                            f"they match, run again with --trust-fingerprint {fp}.",
                                       fingerprint=fp, changed=changed) from None
    try:
        if (t.user + password).isascii():
            m.login(t.user, password)
        else:  # LOGIN is ASCII only; SASL PLAIN carries UTF-8
            m.authenticate("PLAIN", lambda _chal: f"\0{t.user}\0{password}".encode("utf-8"))
        typ, data = m.capability()
        caps = frozenset(data[0].decode("ascii", "replace").upper().split()) if typ == "OK" and data else frozenset()
    except imaplib.IMAP4.error as e:
        _shut(m)
        msg = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise UserError(f"{t.host} refused the login for {t.user}: {msg.strip() or 'no reason given'}.",
                        hint="Check the user name and password (Gmail, Outlook and iCloud need an app "
                             "password).") from None
    except OSError as e:
        _shut(m)
        raise UserError(f"The connection to {t.host}:{t.port} broke during login: {e}.",
                        hint="Try again; check that this machine is online.") from e
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


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SEARCH_WINDOW = 20000  # UIDs per SEARCH: one answer line stays far below imaplib's 1 MB line limit


def imap_date(d: date) -> str:
    """RFC 3501 date, whatever the locale.

    >>> imap_date(date(2001, 3, 9))
    '9-Mar-2001'
    """
    return f"{d.day}-{_MONTHS[d.month - 1]}-{d.year}"


def uids_after(s: Session, last: int, since: date | None = None, uidnext: int = 0) -> list[int]:
    """UIDs above ``last`` (from ``since`` on), searched in windows of ``SEARCH_WINDOW``
    up to ``uidnext`` (one open-ended search when the server gave no UIDNEXT)."""
    windows = ([(a, min(a + SEARCH_WINDOW - 1, uidnext - 1)) for a in range(last + 1, uidnext, SEARCH_WINDOW)]
               if uidnext > last + 1 else [] if uidnext else [(last + 1, None)])
    got: set[int] = set()
    for a, b in windows:
        crit = [f"UID {a}:{'*' if b is None else b}"]
        if since is not None:
            crit.append(f"SENTSINCE {imap_date(since)}")  # the Date header, not when the server got it
        typ, data = s.imap.uid("SEARCH", *crit)
        if typ != "OK":
            raise UserError(f"{s.target.host} would not search the folder.", hint="Try again later.")
        got |= {int(x) for x in b" ".join(d for d in data if d).split() if x.isdigit()}
    return sorted(u for u in got if u > last)  # "n:*" always matches the last message


_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


FETCH_BYTES = 48 << 20  # bodies held at once: a FETCH asks for at most this much


def fetch(s: Session, uids: Sequence[int]) -> Iterator[tuple[int, bytes, int]]:
    """(uid, raw message, size on the server) for ``uids``, with BODY.PEEK (no \\Seen).
    Bodies are asked for in groups of at most ``FETCH_BYTES``; a message over
    ``MAX_FETCH`` is fetched up to ``KEEP`` bytes."""
    typ, data = s.imap.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
    sizes: dict[int, int] = {}
    for head, _body, tail in _responses(data):
        mu, ms = _UID.search(head + tail), _SIZE.search(head + tail)
        if mu:
            sizes[int(mu.group(1))] = int(ms.group(1)) if ms else 0
    groups: list[tuple[list[int], str]] = []
    cur: list[int] = []
    held = 0
    for u in uids:
        size = min(sizes.get(u, 0), KEEP) if sizes.get(u, 0) > MAX_FETCH else sizes.get(u, 0)
        if sizes.get(u, 0) > MAX_FETCH:
            groups.append(([u], f"BODY.PEEK[]<0.{KEEP}>"))
            continue
        if cur and held + size > FETCH_BYTES:
            groups.append((cur, "BODY.PEEK[]"))
            cur, held = [], 0
        cur.append(u)
        held += size
    if cur:
        groups.append((cur, "BODY.PEEK[]"))
    for group, what in groups:
        typ, data = s.imap.uid("FETCH", ",".join(map(str, group)), f"(UID {what})")
        if typ != "OK":
            raise UserError(f"{s.target.host} would not send messages {group[0]}-{group[-1]}.",
                            hint="Run the import again: it resumes after the last message stored.")
        for head, body, tail in _responses(data):
            mu = _UID.search(head) or _UID.search(tail)  # a server may put UID after the body
            if mu and body is not None:
                u = int(mu.group(1))
                yield u, body, sizes.get(u, len(body))


def _responses(data: Sequence) -> Iterator[tuple[bytes, bytes | None, bytes]]:
    """imaplib's FETCH answer as (text before the literal, the literal, the text after
    it up to the next response)."""
    items = list(data or ())
    i = 0
    while i < len(items):
        d = items[i]
        if isinstance(d, tuple) and len(d) == 2:
            tail = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], bytes) else b""
            yield d[0] or b"", d[1], tail
            i += 2 if tail else 1
        else:
            yield (d or b"") if isinstance(d, bytes) else b"", None, b""
            i += 1


