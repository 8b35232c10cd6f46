"""The user's own documents: txt, md, html, docx, pdf -> ``Document`` records.

One file is one document; a folder is walked recursively in a stable order. Text
files are decoded as UTF-8 (with or without BOM), else UTF-16 by BOM, else
windows-1252 with a note. A PDF without a text layer (a scan) and an encrypted PDF
become a ``Skip`` that says what to do. Items are relative paths.

Left out: OCR, .doc/.odt/.rtf (skipped with a reason), document dates other than the
file's modification time.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ingest.kernel.records import Document, Skip
from ingest.sources.common import DOC_EXTS, open_ro, split_item, walk_files
from ingest.sources.htmltext import html_to_text

MAX_DOC_BYTES = 50 << 20
_KINDS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
          ".docx": "docx", ".pdf": "pdf"}
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def doc_kind(head: bytes, ext: str) -> str:
    """The document kind a file's first bytes and extension say ("txt", "md", "html",
    "docx", "pdf"), or "" (a zip that is not .docx, a binary, an unknown extension)."""
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if ext == ".docx" else ""
    if not head.strip() or b"\x00" in head[:4096]:
        return ""
    return {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "txt"}.get(ext, "")


def decode_text(data: bytes, notes: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append("not UTF-8: read as windows-1252")
        return data.decode("cp1252", errors="replace")


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except (OSError, OverflowError, ValueError):
        return None


def _read(path: Path) -> bytes:
    with open_ro(path) as f:
        return f.read(MAX_DOC_BYTES)


def read_document(path: Path, *, source: str, item: str) -> Document | Skip:
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        return Skip(source, item, f"{path.suffix or 'extensionless'} files are not a supported document type "
                    "(txt, md, html, docx, pdf)")
    notes: list[str] = []
    title = path.stem
    try:
        if kind in ("txt", "md"):
            text = decode_text(_read(path), notes)
            if kind == "md":
                m = re.search(r"^#\s+(.+)$", text, re.M)
                title = m.group(1).strip() if m else title
        elif kind == "html":
            raw = decode_text(_read(path), notes)
            m = _TITLE.search(raw)
            title = html_to_text(m.group(1)).strip() if m and m.group(1).strip() else title
            text = html_to_text(raw)
        elif kind == "docx":
            text = _docx_text(path)
        else:
            text_or_skip = _pdf_text(path, source=source, item=item)
            if isinstance(text_or_skip, Skip):
                return text_or_skip
            text = text_or_skip
    except Exception as e:  # noqa: BLE001 - a broken document is a skip, never a crash
        return Skip(source, item, f"unreadable {kind} document: {type(e).__name__}: {str(e)[:100]}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return Skip(source, item, f"empty {kind} document: no text")
    return Document(source=source, item=item, title=title, text=text, date=_mtime(path), kind=kind,
                    notes=tuple(notes))


def _docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text.strip() for c in row.cells))
    return "\n\n".join(p for p in parts if p.strip())


def _pdf_text(path: Path, *, source: str, item: str) -> str | Skip:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(str(path), strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise ValueError
        except Exception:  # noqa: BLE001
            return Skip(source, item, "encrypted PDF: save an unprotected copy, then import it")
    pages = []
    for page in reader.pages:
        try:
            pages.append(page.extract_text() or "")
        except Exception:  # noqa: BLE001
            pages.append("")
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        return Skip(source, item, f"PDF has no text layer ({len(pages)} pages; a scan?): "
                    "run OCR on it (e.g. ocrmypdf) and import the result")
    return text


def iter_documents(path: Path, *, source: str, start_after: str | None = None) -> Iterator[Document | Skip]:
    """One document file, or every file in a folder (non-documents skipped with a reason)."""
    if path.is_file():
        if not start_after:
            yield read_document(path, source=source, item=path.name)
        return
    start_rel = split_item(start_after)[0] if start_after else ""
    for p in walk_files(path):
        rel = p.relative_to(path).as_posix()
        if start_after and rel <= start_rel:
            continue
        if p.suffix.lower() not in DOC_EXTS:
            yield Skip(source, rel, f"not a document ({p.suffix or 'no extension'}): txt, md, html, docx, pdf are read")
            continue
        yield read_document(p, source=source, item=rel)
