"""mbox files (mboxo/mboxrd, mboxcl2 with Content-Length, Gmail Takeout), streamed.

The file is read in chunks and scanned for separator lines, so memory stays flat on
multi-GB files. A line counts as a separator only when it
- looks like ``From <addr-ish> <asctime date>`` (extra words after the date allowed),
- follows a blank line (or starts the file), and
- is followed by a header line.
When a message declares ``Content-Length`` and the byte count lands exactly on the next
separator (or the end of the file), that length wins (mboxcl2 bodies are unescaped).
A message over ``MAX_MESSAGE`` bytes is never held whole: its first ``KEEP_OVERSIZED``
bytes (headers and leading text parts) are imported without attachments, with a note.
A file cut off mid-message (it ends mid-line inside the headers, or inside a
multipart with no closing boundary) yields everything before it plus a ``Skip`` for
that tail; a wrong ``Content-Length`` is noted on the message, not trusted.
Messages not separated by a blank line are read as one (the rule that keeps an
unescaped "From " line in a body from splitting it).

Items are ``<file>#<byte offset of the From line>``; ``start_after`` seeks there.

Left out: the "MMDF" format (^A^A^A^A separators) and locking (files are only read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Iterator

from ingest.kernel.records import Message, Skip
from ingest.sources.common import FROM_HEADER, HEADER_LINE, open_ro
from ingest.sources.folders import folder_name, is_sent_folder
from ingest.sources.mime import message_from_bytes

CHUNK = 4 << 20
MAX_MESSAGE = 25 << 20
KEEP_OVERSIZED = 2 << 20
LOOKAHEAD = 4096  # bytes needed after a candidate From line to judge it

_MONTH = rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_SEP = re.compile(
    rb"From [^\s]*[ \t]+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?[ \t]+)?"
    rb"(?:" + _MONTH + rb"[a-z]*[ \t]+\d{1,2}|\d{1,2}[ \t]+" + _MONTH + rb"[a-z]*)[ \t]+"
    rb"(?:\d{4}[ \t]+)?\d{1,2}:\d{2}(?::\d{2})?",
    re.I,
)
_HEADER = re.compile(rb"[!-9;-~]{1,76}:")
_FROM_HEADER = re.compile(rb"From[ \t]*:")
_CLEN = re.compile(rb"^Content-Length:[ \t]*(\d{1,12})[ \t]*\r?$", re.I | re.M)
_BOUNDARY = re.compile(rb"boundary\s*=\s*\"?([^\"\r\n;]{1,200})", re.I)
_ESCAPED = re.compile(rb"\n>(>*From )")


@dataclass
class Span:
    """One message found in an mbox: where it starts, its bytes (or a prefix of them
    when ``oversized``), its full length, and whether the file ended inside it."""

    offset: int
    data: bytes
    size: int
    oversized: bool = False
    truncated: str = ""  # why it looks cut off by the end of the file
    junk: bool = False  # leading bytes before the first separator
    note: str = ""


class _Reader:
    """A sliding window over the file: bytes before ``keep`` are dropped on refill."""

    def __init__(self, f: BinaryIO, start: int, chunk: int) -> None:
        f.seek(start)
        self.f, self.chunk = f, chunk
        self.base, self.buf, self.eof = start, bytearray(), False  # edited in place: no copies
        self.keep = start
        self.msg_start = start
        self.prefix: bytes | None = None  # kept head of an oversized message
        self.cl_note = ""

    @property
    def end(self) -> int:
        return self.base + len(self.buf)

    def fill(self) -> bool:
        if self.eof:
            return False
        if self.prefix is None and self.end - self.msg_start > MAX_MESSAGE:
            i = self.msg_start - self.base
            self.prefix = bytes(self.buf[i:i + KEEP_OVERSIZED])
        if self.prefix is not None:
            self.keep = max(self.keep, self.end - LOOKAHEAD)
        more = self.f.read(self.chunk)
        self.eof = len(more) < self.chunk
        cut = self.keep - self.base
        if cut > 0:
            del self.buf[:cut]
            self.buf += more
            self.base = self.keep
        else:
            self.buf += more
        return True

    def slice(self, a: int, b: int) -> bytes:
        return bytes(self.buf[a - self.base:b - self.base])

    def blank_before(self, a: int) -> bool:
        """The line at ``a`` follows an empty line (or starts the scan)."""
        i = a - self.base
        if i <= 0:
            return True
        b = self.buf
        return (i >= 2 and b[i - 2] == 0x0A) or (i >= 3 and b[i - 2] == 0x0D and b[i - 3] == 0x0A)

    def is_sep(self, a: int, first: bool = False) -> bool:
        """A valid separator line starts at ``a`` (``first``: the file's first line,
        where any ``From `` line followed by a header counts)."""
        while True:
            i = a - self.base
            le = self.buf.find(b"\n", i, i + 1000)
            if le != -1 and (len(self.buf) - le > 80 or self.eof):
                break
            if le == -1 and len(self.buf) - i > 1000:
                return False
            if not self.fill():
                break
        i = a - self.base
        le = self.buf.find(b"\n", i, i + 1000)
        if le == -1 or not (_SEP.match(self.buf, i, le) or first and not _FROM_HEADER.match(self.buf, i)):
            return False
        return bool(_HEADER.match(self.buf, le + 1))

    def find_next(self, frm: int) -> int | None:
        """Offset of the next valid separator after ``frm``, None at the end of file."""
        s = frm
        while True:
            i = self.buf.find(b"\nFrom ", max(0, s - self.base))
            if i == -1:
                s = max(s, self.end - 6)
                if not self.fill():
                    return None
                continue
            a = self.base + i + 1
            if self.blank_before(a) and self.is_sep(a):
                return a
            s = a

    def content_length_end(self, m: int) -> tuple[str, int | str] | None:
        """Where Content-Length says message ``m`` ends, when that checks out:
        ("next", offset), ("eof", offset), ("truncated", reason); None: not usable."""
        while True:
            i = m - self.base
            he = self.buf.find(b"\n\n", i, i + (1 << 20))
            he2 = self.buf.find(b"\n\r\n", i, he if he != -1 else i + (1 << 20))
            if he2 != -1:
                he = he2
            if he != -1 or self.eof or len(self.buf) - i > (1 << 20):
                break
            self.fill()
        if he == -1:
            return None
        cl = _CLEN.search(self.buf, i, he)
        if not cl:
            return None
        body = self.base + he + (2 if self.buf[he + 1] == 0x0A else 3)
        n = int(cl.group(1))
        if n > MAX_MESSAGE:
            return None
        target = body + n
        while self.end < target + 100 and self.fill():
            pass
        if target > self.end:
            if not self.eof or target - self.end > 2:
                self.cl_note = f"Content-Length says {n} bytes, the file holds {self.end - body}: may be cut off"
                return None  # scan for separators instead
            return ("eof", self.end)  # only the final newline missing
        rest = self.buf[target - self.base:target - self.base + 100]
        if self.eof and self.end - target < 100 and not rest.strip():
            return ("eof", self.end)
        j = target
        for _ in range(2):  # the blank line(s) between the body and the next separator
            j += 1 if rest.startswith(b"\n", j - target) else 2 if rest.startswith(b"\r\n", j - target) else 0
        if self.buf.startswith(b"From ", j - self.base) and self.is_sep(j):
            return ("next", j)
        return None


def scan(f: BinaryIO, start: int = 0, chunk: int = CHUNK) -> Iterator[Span]:
    """Yield the messages of an mbox stream from byte ``start`` (a separator line)."""
    r = _Reader(f, start, chunk)
    r.fill()
    if r.buf.startswith(b"From ") and r.is_sep(start, first=True):
        m: int | None = start
    else:
        m = r.find_next(start)
        junk_end = m if m is not None else r.end
        head = r.slice(start, min(junk_end, start + KEEP_OVERSIZED))
        if head.strip():
            yield Span(start, head, junk_end - start, junk=True)
    while m is not None:
        r.msg_start = r.keep = m
        r.prefix = None
        r.cl_note = ""
        cl = r.content_length_end(m)
        if cl and cl[0] == "truncated":
            yield Span(m, r.slice(m, r.end), r.end - m, truncated=str(cl[1]))
            return
        nxt = cl[1] if cl and cl[0] == "next" else None
        if cl is None:
            nxt = r.find_next(m + 5)
        end = nxt if nxt is not None else r.end
        if r.prefix is None and end - m > MAX_MESSAGE:
            r.prefix = r.slice(m, m + KEEP_OVERSIZED)
        if r.prefix is not None:
            yield Span(m, r.prefix, end - m, oversized=True)
        else:
            data = r.slice(m, end)
            yield Span(m, data, end - m, truncated="" if nxt is not None or cl else _truncated(data),
                       note=r.cl_note if nxt is None else "")
        m = nxt  # type: ignore[assignment]


def _truncated(data: bytes) -> str:
    """Why the last message of a file looks cut off mid-way, or "" when it looks whole
    (or merely malformed: a file that ends on a full line is taken as complete)."""
    if data.endswith(b"\n"):
        return ""
    hdr_end = data.find(b"\n\n")
    if hdr_end == -1:
        hdr_end = data.find(b"\n\r\n")
    if hdr_end == -1:
        return "the file ends inside the message headers"
    m = _BOUNDARY.search(data, 0, hdr_end)
    if m and b"multipart" in data[:hdr_end].lower():
        if b"--" + m.group(1).strip() + b"--" not in data:
            return "the file ends inside a multipart message (no closing MIME boundary)"
    return ""


def iter_mbox_file(
    path: Path, *, source: str, rel: str, start_after: int | None = None
) -> Iterator[Message | Skip]:
    """Records of one mbox file; ``start_after`` is the offset of the last done item."""
    name = path.parent.name if path.name.lower() == "mbox" else path.name  # Apple Mail: Sent.mbox/mbox
    fname = folder_name(name)
    file_sent = is_sent_folder(name)
    with open_ro(path) as f:
        start = 0
        skip_first = False
        if start_after is not None:
            start, skip_first = start_after, True
        for span in scan(f, start):
            if skip_first:
                skip_first = False
                if span.offset == start_after:
                    continue
            yield span_record(span, source=source, rel=rel, folder=fname, sent=file_sent)


def span_record(span: Span, *, source: str, rel: str, folder: str, sent: bool) -> Message | Skip:
    item = f"{rel}#{span.offset}"
    if span.junk:
        return Skip(source, item, f"{span.size} bytes before the first 'From ' separator line are not a message")
    if span.truncated:
        return Skip(source, item, f"truncated: {span.truncated}; the messages before it were imported")
    data = span.data
    nl = data.find(b"\n")
    data = data[nl + 1:] if nl != -1 else b""
    if b"\n>From " in data or b"\n>>From " in data:
        data = _ESCAPED.sub(rb"\n\1", data)
    notes: tuple[str, ...] = ()
    if span.oversized:
        notes = (f"oversized message ({span.size >> 20} MB): imported without attachments, "
                 f"text from the first {KEEP_OVERSIZED >> 20} MB",)
    if span.note:
        notes += (span.note,)
    rec = message_from_bytes(data, source=source, item=item, folder=folder, sent_folder=sent, notes=notes)
    if span.oversized and isinstance(rec, Message):
        rec = replace(rec, attachments=())
    return rec


# ---------------------------------------------------------------- the registry's "mbox" kind
def sniff(head: bytes, ext: str) -> bool:
    """A "From " separator line (not a "From:" header) followed by a header line."""
    first = head.lstrip(b"\r\n")
    if not first.startswith(b"From ") or FROM_HEADER.match(first):
        return False
    nl = first.find(b"\n")
    return nl != -1 and bool(HEADER_LINE.match(first, nl + 1))


def read(path: Path, *, source: str, rel: str, folder: str | None, start_loc: str = "") -> Iterator[Message | Skip]:
    """One mbox file (its folder is its own name); resumes after the offset ``start_loc``."""
    yield from iter_mbox_file(path, source=source, rel=rel, start_after=int(start_loc) if start_loc else None)
