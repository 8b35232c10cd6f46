"""Raw RFC 822 bytes -> one normalized ``Message``, never a crash.

Simple single-part messages (most real mail) are read by a small header splitter
here; everything else by ``email.parser.BytesParser(policy=compat32)``, the fast,
forgiving stdlib parser. Headers are decoded with the guarded helpers of
``ingest.sources.mimeheaders``, never through the slow ``policy.default`` registry.
Whatever could only be decoded best-effort is recorded in ``Message.notes``.

Left out: S/MIME and PGP decryption (an encrypted part is noted, not read);
``message/rfc822`` attachments are listed by name, their text is not merged into
the body; attachment contents are never kept, only their names.
"""

from __future__ import annotations

import re
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.policy import compat32

from ingest.kernel.records import Message, Skip
from ingest.sources.fastparse import fast_body, fast_parse
from ingest.sources.fastparse import MAX_TEXT_CHARS, KNOWN_CTE
from ingest.sources.folders import labels_sent
from ingest.sources.htmltext import html_to_text
from ingest.sources.mimeheaders import (  # noqa: F401 - re-exported: mime is the public entry point
    decode_bytes,
    decode_header,
    lookup_codec,
    parse_addresses,
    parse_date,
    parse_msgid,
    parse_references,
    parse_sender,
)
from ingest.sources.normalize import split_body

MAX_PARTS = 500  # MIME leaves looked at per message
MAX_DEPTH = 30  # MIME nesting followed

_PARSER = BytesParser(policy=compat32)

# ---------------------------------------------------------------- bodies


def _leaves(msg: EmailMessage, notes: list[str]):
    """Yield non-multipart parts, depth-first, with limits on depth and count."""
    stack = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list) and _content_type(part) != "message/rfc822":
            if depth >= MAX_DEPTH:
                notes.append("MIME nesting too deep: inner parts skipped")
                continue
            for sub in reversed(payload):
                stack.append((sub, depth + 1))
            continue
        seen += 1
        if seen > MAX_PARTS:
            notes.append("too many MIME parts: the rest skipped")
            return
        yield part


def _content_type(part: EmailMessage) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "text/plain"


def _filename(part: EmailMessage, notes: list[str]) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # noqa: BLE001
        return "attachment"
    if isinstance(name, tuple):  # RFC 2231 (charset, lang, value)
        try:
            name = bytes(name[2], "latin-1").decode(lookup_codec(name[0]) or "utf-8", "replace")
        except Exception:  # noqa: BLE001
            name = str(name[2])
    return decode_header(name, notes)


def _payload_bytes(part: EmailMessage, notes: list[str]) -> bytes:
    try:
        cte = str(part.get("content-transfer-encoding", "") or "").strip().lower()
    except Exception:  # noqa: BLE001
        cte = ""
    if cte not in KNOWN_CTE:
        notes.append(f"unknown transfer encoding {cte[:40]!r}: read as is")
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        notes.append("undecodable part payload: read as is")
        data = None
    if data is None:
        raw = part.get_payload()
        if isinstance(raw, str):
            data = raw.encode("ascii", "surrogateescape")
        else:
            data = b""
    if part.defects:
        for d in part.defects:
            name = type(d).__name__
            if "Base64" in name or "Padding" in name:
                notes.append(f"{name}: decoded best-effort")
    return data


def _charset(part: EmailMessage) -> str | None:
    try:
        cs = part.get_param("charset")
    except Exception:  # noqa: BLE001
        return None
    if isinstance(cs, tuple):
        cs = cs[2]
    return str(cs) if cs else None


_BOUNDARY_LINE = re.compile(rb"^--([^\s]{4,200}?)(?:--)?[ \t]*\r?$", re.M)


def _recover_parts(data: bytes, notes: list[str], depth: int) -> tuple[str, list[str]] | None:
    """Parts of a multipart body whose declared boundary is wrong, split on the
    boundary-like line the body itself uses; None when there is none."""
    m = _BOUNDARY_LINE.search(data)
    if not m:
        return None
    sep = re.compile(rb"^--" + re.escape(m.group(1)) + rb"(?:--)?[ \t]*\r?$", re.M)
    texts: list[str] = []
    names: list[str] = []
    for chunk in sep.split(data)[1:]:
        chunk = chunk.lstrip(b"\r\n")
        if not chunk.strip():
            continue
        sub = parse_bytes(chunk)
        if not sub.keys():
            continue
        t, n = extract_body(sub, notes, depth + 1)
        if t.strip():
            texts.append(t)
        names.extend(n)
        if t.strip() and _content_type(sub) == "text/plain":
            break  # alternatives follow: the plain text is enough
    if not texts and not names:
        return None
    return "\n\n".join(texts), names


def _forwarded(part: EmailMessage, notes: list[str], depth: int) -> tuple[str, str]:
    """(attachment name, quoted text) of an attached message/rfc822 part."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if inner is None or not hasattr(inner, "get"):
        return _filename(part, notes) or "forwarded message", ""
    subject = decode_header(inner.get("subject"), notes)
    name = _filename(part, notes) or (f"{subject}.eml" if subject else "forwarded message.eml")
    if depth >= 3:
        return name, ""
    text, _ = extract_body(inner, notes, depth + 1)
    head = [f"{k}: {decode_header(inner.get(k), notes)}" for k in ("From", "Date", "Subject", "To") if inner.get(k)]
    return name, "-------- Forwarded message --------\n" + "\n".join(head) + "\n\n" + text


def _broken_multipart(part: EmailMessage, notes: list[str], depth: int, plain: list[str],
                      attachments: list[str]) -> None:
    """A multipart leaf whose boundary never appears: recover its parts into ``plain`` and
    ``attachments``, or read it as text."""
    data = _payload_bytes(part, notes)
    if not data.strip():
        return
    got = _recover_parts(data, notes, depth) if depth < 3 else None
    if got is not None:
        notes.append("MIME boundary does not match the parts: parts recovered")
        plain.append(got[0])
        attachments.extend(got[1])
    else:
        notes.append("broken multipart structure: body read as plain text")
        plain.append(decode_bytes(data, _charset(part), notes))


def extract_body(msg: EmailMessage, notes: list[str], depth: int = 0) -> tuple[str, list[str]]:
    """(body text, attachment names). HTML is converted only when no text/plain exists.
    An attached message (message/rfc822) is listed by name and its text appended after
    a "Forwarded message" line, so the splitter files it under ``quoted``."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    tnef: list[bytes] = []
    forwarded: list[str] = []
    for part in _leaves(msg, notes):
        ctype = _content_type(part)
        try:
            disp = str(part.get("content-disposition", "") or "").split(";", 1)[0].strip().lower()
        except Exception:  # noqa: BLE001
            disp = ""
        main = ctype.split("/", 1)[0]
        if ctype == "message/rfc822":
            name, text = _forwarded(part, notes, depth)
            attachments.append(name)
            if text:
                forwarded.append(text)
            continue
        if main == "multipart":  # its boundary never appears: recover the parts, or read as text
            _broken_multipart(part, notes, depth, plain, attachments)
            continue
        if ctype in ("application/ms-tnef", "application/vnd.ms-tnef"):
            tnef.append(_payload_bytes(part, notes))
            continue
        if ctype in ("application/pgp-encrypted", "application/pkcs7-mime", "application/x-pkcs7-mime"):
            notes.append("encrypted part: not readable here")
            continue
        if ctype.endswith("signature"):
            continue
        if main == "text" and disp != "attachment" and ctype in ("text/plain", "text/html", "text/enriched"):
            fname = _filename(part, notes)
            if fname and (plain or html):  # a named text file after the body: an attachment
                attachments.append(fname)
                continue
            text = decode_bytes(_payload_bytes(part, notes), _charset(part), notes)
            (html if ctype == "text/html" else plain).append(text)
            continue
        attachments.append(_filename(part, notes) or ctype)
    body = _assemble(plain, html, tnef, forwarded, attachments, notes)
    return body.replace("\r\n", "\n").replace("\r", "\n"), attachments


def _assemble(plain: list[str], html: list[str], tnef: list[bytes], forwarded: list[str], attachments: list[str],
              notes: list[str]) -> str:
    """The body from the parts found: the text/plain parts, else the HTML as text, else a
    TNEF body; forwarded messages after it; cut at ``MAX_TEXT_CHARS``."""
    if any(p.strip() for p in plain):  # an empty text/plain next to real HTML: use the HTML
        body = "\n\n".join(p.strip("\n") for p in plain if p.strip())
    elif html:
        body = "\n\n".join(html_to_text(h) for h in html)
    elif tnef:
        from ingest.sources.outlook import tnef_text  # lazy: only winmail.dat mail pays

        body = ""
        for blob in tnef:
            t, names, tnotes = tnef_text(blob)
            body = body or t
            attachments.extend(names)
            notes.extend(tnotes)
    else:
        body = ""
    if forwarded:
        body = "\n\n".join([body.strip("\n")] + forwarded) if body.strip() else "\n\n".join(forwarded)
    if len(body) > MAX_TEXT_CHARS:
        notes.append(f"body cut at {MAX_TEXT_CHARS} characters")
        body = body[:MAX_TEXT_CHARS]
    return body


def parse_bytes(raw: bytes) -> EmailMessage:
    return _PARSER.parsebytes(raw)


def message_from_email(
    msg: EmailMessage,
    *,
    source: str,
    item: str,
    folder: str = "",
    sent_folder: bool = False,
    notes: tuple[str, ...] = (),
    body_and_names: tuple[str, list[str]] | None = None,
) -> Message:
    """Build a normalized ``Message`` from a parsed compat32 message. May raise only
    on truly unexpected input; callers wrap it and turn failures into a ``Skip``."""
    n: list[str] = list(notes)
    name, sender = parse_sender(msg.get("from") or msg.get("sender"), n)
    to = parse_addresses(msg.get_all("to"), n)
    cc = parse_addresses(msg.get_all("cc"), n)
    labels = msg.get("x-gmail-labels")
    if labels:  # Gmail Takeout: the labels are the folders
        folder = decode_header(labels)
        sent_folder = sent_folder or labels_sent(folder)
    body, attachments = body_and_names if body_and_names is not None else extract_body(msg, n)  # type: ignore[arg-type]
    text, quoted, signature = split_body(body)
    return Message(
        source=source,
        item=item,
        message_id=parse_msgid(msg.get("message-id")),
        subject=decode_header(msg.get("subject"), n),
        sender=sender,
        sender_name=name,
        to=tuple(a for _, a in to if a),
        cc=tuple(a for _, a in cc if a),
        date=parse_date(msg.get("date"), n),
        in_reply_to=parse_msgid(msg.get("in-reply-to")),
        references=parse_references(msg.get("references")),
        body=body,
        text=text,
        quoted=quoted,
        signature=signature,
        folder=folder,
        sent_folder=sent_folder,
        attachments=tuple(attachments),
        notes=tuple(dict.fromkeys(n)),
    )


def message_from_bytes(
    raw: bytes,
    *,
    source: str,
    item: str,
    folder: str = "",
    sent_folder: bool = False,
    notes: tuple[str, ...] = (),
) -> Message | Skip:
    """Parse one message; any failure becomes a ``Skip`` with the reason."""
    try:
        fm = fast_parse(raw)
        if fm is not None:
            fast_notes: list[str] = list(notes)
            got = fast_body(fm, fast_notes)
            if got is not None:
                return message_from_email(
                    fm, source=source, item=item, folder=folder, sent_folder=sent_folder,  # type: ignore[arg-type]
                    notes=tuple(fast_notes), body_and_names=got,
                )
        msg = parse_bytes(raw)
        if not msg.keys() and not msg.get_payload():
            return Skip(source, item, "empty: no headers and no body")
        if not msg.keys():
            return Skip(source, item, "not a mail message: no header lines found")
        return message_from_email(
            msg, source=source, item=item, folder=folder, sent_folder=sent_folder, notes=notes
        )
    except RecursionError:
        return Skip(source, item, "MIME structure nested too deeply to parse")
    except Exception as e:  # noqa: BLE001 - one bad message must never stop an import
        return Skip(source, item, f"could not parse message: {type(e).__name__}: {str(e)[:120]}")
