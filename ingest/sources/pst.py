"""Outlook .pst/.ost stores (pypff from libpff-python): the registry's "pst" kind.

A password-protected .pst raises ``UserError`` (the store as a whole is unusable
until the user removes the password); each unreadable item inside a store becomes
a ``Skip``. Items in a store are ``<file>#<n>`` (n counts messages in folder order),
so a resume skips the first n+1 messages without decoding them.

Left out: calendar items, contacts and distribution lists (skipped with a reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ingest.kernel.errors import UserError
from ingest.kernel.records import Message, Skip
from ingest.sources.folders import is_sent_folder
from ingest.sources.htmltext import html_to_text
from ingest.sources.mime import message_from_email, parse_bytes
from ingest.sources.normalize import split_body
from ingest.sources.outlook import _MAIL_CLASSES, _as_text, _utc, rtf_to_text

_PR_PST_PASSWORD = 0x67FF


def _pst_password(f: object) -> bool:
    try:
        store = f.get_message_store()  # type: ignore[attr-defined]
        for rs in store.record_sets:
            for e in rs.entries:
                if e.entry_type == _PR_PST_PASSWORD:
                    return bool(e.get_data_as_integer())
    except Exception:  # noqa: BLE001 - no store record: no password
        return False
    return False


def open_pst(path: Path):
    try:
        import pypff
    except ImportError as e:  # a core dependency; say what to do if it is missing
        raise UserError("Reading .pst files needs libpff-python.", hint="pip install libpff-python") from e
    f = pypff.file()
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        f.open(str(path))
    except OSError as e:
        raise UserError(f"{path.name} is not a readable Outlook .pst/.ost file ({str(e)[:80]}).",
                        hint="Check that the file is complete; export it again from Outlook if needed.") from e
    if _pst_password(f):
        f.close()
        raise UserError(
            f"{path.name} is a password-protected Outlook store.",
            hint="Remove the password in Outlook (Account Settings > Data Files > Settings > Change Password), "
            "or export the mail to a new .pst without a password, then import again.",
        )
    return f


def _walk_pst(folder: object, path: str) -> Iterator[tuple[str, object]]:
    stack = [(folder, path)]
    while stack:
        fo, p = stack.pop(0)
        try:
            for i in range(fo.number_of_sub_messages):  # type: ignore[attr-defined]
                yield p, (fo, i)
            subs = [(fo.get_sub_folder(i), f"{p}/{fo.get_sub_folder(i).name or ''}".strip("/"))  # type: ignore[attr-defined]
                    for i in range(fo.number_of_sub_folders)]  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001
            continue
        stack[0:0] = subs


def iter_pst_file(path: Path, *, source: str, rel: str, start_after: int | None = None) -> Iterator[Message | Skip]:
    """Messages of a .pst; raises UserError for a protected or unreadable store."""
    f = open_pst(path)
    try:
        try:
            root = f.get_root_folder()
        except (OSError, MemoryError, ValueError) as e:  # libpff says MemoryError for a damaged folder table
            raise UserError(f"{path.name} is a damaged Outlook store: its folders cannot be read ({str(e)[:80]}).",
                            hint="Run Outlook's Inbox Repair Tool (scanpst.exe) on it, or export the mail "
                                 "again, then import it.") from e
        n = -1
        for fpath, (fo, i) in _walk_pst(root, ""):
            n += 1
            if start_after is not None and n <= start_after:
                continue
            item = f"{rel}#{n}"
            try:
                m = fo.get_sub_message(i)
                yield _pst_record(m, source=source, item=item, folder=fpath)
            except Exception as e:  # noqa: BLE001
                yield Skip(source, item, f"unreadable item in {fpath or 'the store'}: {type(e).__name__}")
    finally:
        f.close()


_PR_MESSAGE_CLASS = 0x001A


def _pst_class(m: object) -> str:
    try:
        for rs in m.record_sets:  # type: ignore[attr-defined]
            for e in rs.entries:
                if e.entry_type == _PR_MESSAGE_CLASS:
                    return str(e.get_data_as_string() or "").lower()
    except Exception:  # noqa: BLE001
        return ""
    return ""


def _pst_record(m: object, *, source: str, item: str, folder: str) -> Message | Skip:
    notes: list[str] = []
    cls = _pst_class(m)
    if cls and not cls.startswith(_MAIL_CLASSES):
        return Skip(source, item, f"Outlook item of class {cls!r} is not a mail message")
    headers = _as_text(getattr(m, "transport_headers", None), notes)
    body = _as_text(getattr(m, "plain_text_body", None), notes)
    if not body.strip():
        html = _as_text(getattr(m, "html_body", None), notes)
        body = html_to_text(html) if html.strip() else ""
    if not body.strip():
        try:
            rtf = getattr(m, "rtf_body", None)
            body = rtf_to_text(_as_text(rtf, notes)) if rtf else ""
        except Exception:  # noqa: BLE001
            notes.append("RTF body unreadable")
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if headers.strip():
        parsed = parse_bytes(headers.encode("utf-8", "surrogateescape").rstrip(b"\r\n") + b"\n\n")
        rec = message_from_email(parsed, source=source, item=item, folder=folder,
                                 sent_folder=is_sent_folder(folder), notes=tuple(notes))
        text, quoted, sig = split_body(body)
        from dataclasses import replace

        return replace(rec, body=body, text=text, quoted=quoted, signature=sig,
                       subject=rec.subject or str(getattr(m, "subject", "") or ""))
    date = None
    for attr in ("client_submit_time", "delivery_time", "creation_time"):
        try:
            date = _utc(getattr(m, attr, None))
        except Exception:  # noqa: BLE001
            date = None
        if date:
            break
    text, quoted, sig = split_body(body)
    return Message(
        source=source, item=item, subject=str(getattr(m, "subject", "") or ""),
        sender_name=str(getattr(m, "sender_name", "") or ""), date=date, body=body, text=text,
        quoted=quoted, signature=sig, folder=folder, sent_folder=is_sent_folder(folder),
        notes=tuple(notes) + ("no transport headers: addresses unknown",),
    )


# ---------------------------------------------------------------- the registry's "pst" kind
def sniff(head: bytes, ext: str) -> bool:
    return head.startswith(b"!BDN")


def check(path: Path) -> None:
    """Refuse a protected or unreadable store before its first item."""
    open_pst(path).close()


def read(path: Path, *, source: str, rel: str, folder: str | None, start_loc: str = "") -> Iterator[Message | Skip]:
    yield from iter_pst_file(path, source=source, rel=rel, start_after=int(start_loc) if start_loc else None)
