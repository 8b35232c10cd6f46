"""The fast path for the common message: one text/plain part in ASCII or UTF-8, read
without building the email package's object tree (about ten times faster); anything
else falls back to the full parser.
"""

from __future__ import annotations

import binascii
import re

from ingest.sources.htmltext import html_to_text
from ingest.sources.mimeheaders import decode_bytes

MAX_TEXT_CHARS = 1_000_000  # body text kept per message
KNOWN_CTE = {"7bit", "8bit", "binary", "base64", "quoted-printable", ""}
_FIELD_LINE = re.compile(r"^([!-9;-~]{1,76}):[ \t]*(.*(?:\n[ \t].*)*)", re.M)
_WANTED = frozenset(
    "from sender to cc date subject message-id in-reply-to references content-type "
    "content-transfer-encoding content-disposition x-gmail-labels mime-version".split()
)
_CTYPE = re.compile(r"^\s*([\w.+-]+/[\w.+-]+)\s*(?:;|$)")
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.I)


class FastMessage:
    """The headers and single-part body of a simple message, read without the
    stdlib feed parser (several times faster); anything unusual falls back."""

    __slots__ = ("_h", "body", "ctype", "charset", "cte")

    def __init__(self, headers: dict[str, list[str]], body: bytes) -> None:
        self._h = headers
        self.body = body

    def get(self, name: str, default: object = None) -> object:
        v = self._h.get(name)
        return v[0] if v else default

    def get_all(self, name: str) -> list[str] | None:
        return self._h.get(name)

    def keys(self) -> list[str]:
        return list(self._h)  # the headers this module reads (not every header)


def fast_parse(raw: bytes) -> FastMessage | None:
    end = raw.find(b"\n\n")
    body_at = end + 2
    crlf = raw.find(b"\n\r\n", 0, end if end != -1 else len(raw))
    if crlf != -1:
        end, body_at = crlf, crlf + 3
    if end <= 0:
        return None
    head = raw[:end].decode("ascii", "surrogateescape")
    if head[:1] in (" ", "\t"):
        return None
    fields = _FIELD_LINE.findall(head)
    logical = head.count("\n") + 1 - head.count("\n ") - head.count("\n\t")
    if len(fields) != logical:  # a line that is neither a header nor a continuation
        return None
    headers: dict[str, list[str]] = {}
    for field, value in fields:
        name = field.lower()
        if name in _WANTED:
            headers.setdefault(name, []).append(value.rstrip("\r"))
    ct = headers.get("content-type", [""])[0]
    cte = headers.get("content-transfer-encoding", ["7bit"])[0].strip().lower()
    mt = _CTYPE.match(ct)
    ctype = mt.group(1).lower() if mt else ("text/plain" if not ct.strip() else "")
    if ctype not in ("text/plain", "text/html") or cte not in KNOWN_CTE or "content-disposition" in headers:
        return None
    if len(headers.get("content-type", ())) > 1:
        return None
    fm = FastMessage(headers, raw[body_at:])
    fm.ctype = ctype
    cs = _CHARSET.search(ct)
    fm.charset = cs.group(1) if cs else None
    fm.cte = cte
    return fm


def fast_body(fm: FastMessage, notes: list[str]) -> tuple[str, list[str]] | None:
    data = fm.body
    try:
        if fm.cte == "base64":
            data = binascii.a2b_base64(data)
        elif fm.cte == "quoted-printable":
            data = binascii.a2b_qp(data)
    except (binascii.Error, ValueError):
        return None
    text = decode_bytes(data, fm.charset, notes)
    if fm.ctype == "text/html":
        text = html_to_text(text)
    if len(text) > MAX_TEXT_CHARS:
        notes.append(f"body cut at {MAX_TEXT_CHARS} characters")
        text = text[:MAX_TEXT_CHARS]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, []
