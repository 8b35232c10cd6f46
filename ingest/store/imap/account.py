"""The IMAP account: its address (``imap[s]://user@host[:port]/[folder]``), folder names
on the wire (modified UTF-7) and the password in the system keyring.

What it leaves out: OAuth2; a keyring that asks the user to unlock it blocks until they
do (the keyring package's behaviour).
"""

from __future__ import annotations

import base64
import urllib.parse
from dataclasses import dataclass
from typing import Any, Sequence

from ingest.kernel.errors import UserError
from ingest.kernel.netpolicy import is_loopback_host  # noqa: F401 - one loopback rule; ingest.store.imap re-exports it

IMAPS_PORT = 993
TIMEOUT = 60.0
BATCH = 256  # messages per store transaction (the file importer's batch: embedding runs per batch)
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


