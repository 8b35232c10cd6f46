"""Outlook .msg files (extract-msg) and TNEF ``winmail.dat`` (tnefparse), standalone
or inside a MIME message; the helpers .pst stores share (``ingest.sources.pst``).

The "msg" kind of ``ingest.sources.registry``: ``sniff`` claims an OLE compound file
(not a .doc/.xls/.ppt) or a TNEF stream, ``read`` gives its one record.

Left out: calendar items, contacts and distribution lists are skipped with a reason
(they are not writing); RTF bodies are reduced to plain text by a small stripper
(no tables, no embedded objects); encrypted .msg (S/MIME) is skipped.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ingest.kernel.records import Message, Skip
from ingest.sources.folders import folder_name, is_sent_folder
from ingest.sources.htmltext import html_to_text
from ingest.sources.mime import decode_bytes, parse_addresses
from ingest.sources.normalize import split_body

_MAIL_CLASSES = ("ipm.note", "ipm.post", "report.ipm.note", "ipm.schedule.meeting")


def _quiet() -> None:
    for name in ("extract_msg", "tnefparse", "RTFDE", "olefile"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _bound_tnef() -> None:
    """tnefparse reads MAPI counts from the file and loops that many times even when the
    data has run out: a damaged winmail.dat claiming 4 billion properties hangs the
    import for hours, and one claiming billions of values for one property fills memory
    with empty values. Each property takes at least 4 bytes, so a property count the
    data cannot hold is refused before the loop, and reading a value past the end of the
    data stops it. Installed once, around tnefparse's own ``decode_mapi`` (both names
    it is called by) and ``parse_property``."""
    import struct

    import tnefparse.mapi
    import tnefparse.tnef

    original = tnefparse.mapi.decode_mapi
    if getattr(original, "_ownvoice_bounded", False):
        return

    def decode_mapi(data, codepage="cp1252", starting_offset=None):  # noqa: ANN001, ANN202
        offset = starting_offset or 0
        if len(data) < offset + 4:
            raise ValueError("MAPI block too short")
        (count,) = struct.unpack_from("<I", data, offset)
        if count * 4 > len(data) - offset - 4:
            raise ValueError(f"MAPI block claims {count} properties in {len(data) - offset} bytes")
        return original(data, codepage, starting_offset)

    parse = tnefparse.mapi.parse_property

    def parse_property(data, offset, *args):  # noqa: ANN001, ANN202
        if offset >= len(data):  # a multi-value count past the data: it would append empty values forever
            raise ValueError("MAPI data ran out")
        return parse(data, offset, *args)

    decode_mapi._ownvoice_bounded = True  # type: ignore[attr-defined]
    tnefparse.mapi.decode_mapi = decode_mapi
    tnefparse.tnef.decode_mapi = decode_mapi
    tnefparse.mapi.parse_property = parse_property


# ---------------------------------------------------------------- RTF / TNEF

_RTF_SKIP_GROUPS = re.compile(
    r"\\\*|\\(?:fonttbl|colortbl|stylesheet|info|pict|object|header|footer|themedata|datastore|"
    r"latentstyles|listtable|listoverridetable|rsidtbl|generator|xmlnstbl|mmathPr)\b"
)
_RTF_TOKEN = re.compile(r"\\([a-z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-f]{2})|\\(.)|([{}])|([^\\{}]+)", re.I | re.S)


def rtf_to_text(rtf: str) -> str:
    """Plain text of an RTF body: control words dropped, paragraphs kept.

    >>> rtf_to_text(r"{\\rtf1{\\fonttbl{\\f0 Arial;}}Hello \\b world\\b0\\par Bye}")
    'Hello world\\nBye'
    """
    out: list[str] = []
    stack: list[bool] = []
    skipping = False
    pending_skip = False
    for m in _RTF_TOKEN.finditer(rtf):
        word, _num, hexch, sym, brace, text = m.groups()
        if brace == "{":
            stack.append(skipping)
            pending_skip = True
            continue
        if brace == "}":
            skipping = stack.pop() if stack else False
            pending_skip = False
            continue
        if pending_skip and (sym == "*" or (word and _RTF_SKIP_GROUPS.match("\\" + word))):
            skipping = True
        pending_skip = False
        if skipping:
            continue
        if word:
            if word in ("par", "line", "row"):
                out.append("\n")
            elif word == "tab":
                out.append("\t")
        elif hexch:
            out.append(bytes([int(hexch, 16)]).decode("cp1252", "replace"))
        elif sym:
            if sym in "\\{}":
                out.append(sym)
            elif sym == "~":
                out.append(" ")
        elif text:
            out.append(text.replace("\r", "").replace("\n", ""))
    txt = "".join(out)
    return re.sub(r"[ \t]+\n", "\n", re.sub(r"\n{3,}", "\n\n", txt)).strip()


def _as_text(value: object, notes: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return decode_bytes(value.rstrip(b"\x00"), None, notes)
    return str(value).rstrip("\x00")


def tnef_text(data: bytes) -> tuple[str, list[str], list[str]]:
    """(body text, attachment names, notes) of a TNEF blob; never raises."""
    _quiet()
    notes: list[str] = []
    try:
        import tnefparse

        _bound_tnef()
        t = tnefparse.TNEF(data)
    except Exception as e:  # noqa: BLE001 - a corrupt winmail.dat must not stop anything
        return "", [], [f"unreadable TNEF (winmail.dat): {type(e).__name__}"]
    names = []
    for a in getattr(t, "attachments", []) or []:
        try:
            names.append(a.long_filename() or a.name or "attachment")
        except Exception:  # noqa: BLE001
            names.append("attachment")
    body = _as_text(getattr(t, "body", None), notes).strip()
    if not body:
        html = _as_text(getattr(t, "htmlbody", None), notes)
        body = html_to_text(html) if html.strip() else ""
    if not body:
        try:
            rtf = getattr(t, "rtfbody", None)
        except Exception:  # noqa: BLE001
            rtf = None
            notes.append("TNEF RTF body unreadable")
        if rtf:
            body = rtf_to_text(_as_text(rtf, notes))
            notes.append("body from TNEF RTF")
    return body, [n for n in names if n], notes


def iter_tnef_file(path: Path, *, source: str, rel: str) -> Iterator[Message | Skip]:
    with open(path, "rb") as f:
        data = f.read()
    body, names, notes = tnef_text(data)
    if not body and not names:
        reason = notes[0] if notes else "TNEF file with no text body and no attachments"
        yield Skip(source, rel, reason)
        return
    text, quoted, sig = split_body(body)
    yield Message(source=source, item=rel, body=body, text=text, quoted=quoted, signature=sig,
                  attachments=tuple(names), folder=folder_name(path.parent.name),
                  notes=tuple(notes) + ("TNEF has no mail headers: sender and date unknown",))


# ---------------------------------------------------------------- .msg

def _utc(dt: object) -> datetime | None:
    if not isinstance(dt, datetime):
        return None
    try:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def iter_msg_file(path: Path, *, source: str, rel: str, folder: str = "") -> Iterator[Message | Skip]:
    """One Outlook .msg file (or a standalone TNEF file) -> one record."""
    _quiet()
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"\x78\x9f\x3e\x22":
        yield from iter_tnef_file(path, source=source, rel=rel)
        return
    try:
        import extract_msg

        msg = extract_msg.openMsg(str(path), strict=False)
    except Exception as e:  # noqa: BLE001
        yield Skip(source, rel, f"not a readable Outlook .msg: {type(e).__name__}: {str(e)[:100]}")
        return
    try:
        yield _msg_record(msg, source=source, rel=rel, folder=folder or folder_name(path.parent.name))
    except Exception as e:  # noqa: BLE001
        yield Skip(source, rel, f"could not read Outlook .msg: {type(e).__name__}: {str(e)[:100]}")
    finally:
        try:
            msg.close()
        except Exception:  # noqa: BLE001
            pass


def _msg_record(msg: object, *, source: str, rel: str, folder: str) -> Message | Skip:
    notes: list[str] = []
    cls = str(getattr(msg, "classType", "") or "").lower()
    if cls and not cls.startswith(_MAIL_CLASSES):
        return Skip(source, rel, f"Outlook item of class {cls!r} is not a mail message")
    body = _as_text(getattr(msg, "body", None), notes).replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        try:
            html = getattr(msg, "htmlBody", None)
        except Exception:  # noqa: BLE001
            html = None
        if html:
            body = html_to_text(_as_text(html, notes))
    sender = parse_addresses([getattr(msg, "sender", "") or ""], notes)
    to = parse_addresses([getattr(msg, "to", "") or ""], notes)
    cc = parse_addresses([getattr(msg, "cc", "") or ""], notes)
    try:
        date = _utc(getattr(msg, "date", None))
    except Exception:  # noqa: BLE001
        date, _ = None, notes.append("unreadable date")
    names = []
    for a in getattr(msg, "attachments", []) or []:
        names.append(str(getattr(a, "longFilename", None) or getattr(a, "shortFilename", None) or "attachment"))
    text, quoted, sig = split_body(body.strip())
    return Message(
        source=source,
        item=rel,
        message_id=str(getattr(msg, "messageId", "") or "").strip().strip("<>"),
        subject=str(getattr(msg, "subject", "") or ""),
        sender=sender[0][1] if sender else "",
        sender_name=sender[0][0] if sender else "",
        to=tuple(a for _, a in to if a),
        cc=tuple(a for _, a in cc if a),
        date=date,
        in_reply_to=str(getattr(msg, "inReplyTo", "") or "").strip().strip("<>"),
        body=body.strip(),
        text=text,
        quoted=quoted,
        signature=sig,
        folder=folder,
        sent_folder=is_sent_folder(folder),
        attachments=tuple(names),
        notes=tuple(dict.fromkeys(notes)),
    )


# ---------------------------------------------------------------- the registry's "msg" kind
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"


def sniff(head: bytes, ext: str) -> bool:
    """An OLE compound file that is not an Office document, or a TNEF stream."""
    return (head.startswith(CFB_MAGIC) and ext not in (".doc", ".xls", ".ppt")) or head.startswith(TNEF_MAGIC)


def read(path: Path, *, source: str, rel: str, folder: str | None, start_loc: str = "") -> Iterator[Message | Skip]:
    """One .msg or TNEF file: one record (its folder from its parent when on its own)."""
    yield from iter_msg_file(path, source=source, rel=rel, folder=folder or "")
