"""Helpers shared by the source parsers: file walking in a stable order, resume
points, read-only opening, and the header tests the sniffers share (what a single
file holds is ``ingest.sources.registry.sniff``).

Left out: anything about message content (see ``ingest.sources.mime``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ingest.kernel.errors import UserError

DOC_EXTS = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf"})
SKIP_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".noindex", ".noupdate", ".uidvalidity",
                        "dovecot.index", "dovecot-uidlist", "maildirfolder", ".mu"})

HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}[ \t]*:", re.M)
FROM_HEADER = re.compile(rb"From[ \t]*:")
_KNOWN_HEADERS = re.compile(
    rb"^(?:from|to|subject|date|message-id|received|return-path|mime-version|content-type|"
    rb"delivered-to|x-[\w-]+|reply-to|cc|in-reply-to|references|sender|x-gm-thrid|x-gmail-labels)[ \t]*:",
    re.I | re.M,
)


def open_ro(path: str | os.PathLike[str]):
    """Open a source file for reading only (never for writing)."""
    return open(path, "rb", buffering=0)


def walk_files(root: Path) -> list[Path]:
    """Every regular file under ``root``, sorted by relative path; hidden files and
    folders (Maildir++ folders excepted by their walkers) are left out."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") or _maildirpp(Path(dirpath) / d))
        for name in filenames:
            if name.startswith(".") or name in SKIP_NAMES:
                continue
            p = Path(dirpath) / name
            if p.is_file():
                out.append(p)
    out.sort(key=lambda p: p.relative_to(root).as_posix())
    return out


def _maildirpp(d: Path) -> bool:
    return any((d / leaf).is_dir() for leaf in ("cur", "new", "tmp"))


def split_item(item: str) -> tuple[str, str]:
    """("rel/file", "locator inside it") of an item; the locator may be empty.

    >>> split_item("Sent.mbox#1234"), split_item("cur/abc:2,S")
    (('Sent.mbox', '1234'), ('cur/abc:2,S', ''))
    """
    if "#" in item:
        rel, _, loc = item.rpartition("#")
        return rel, loc
    return item, ""


def head(path: Path, n: int = 8192) -> bytes:
    try:
        with open_ro(path) as f:
            return f.read(n)
    except OSError as e:
        raise UserError(f"Cannot read {path}: {e.strerror}.", hint="Check the path and its permissions.") from e


def looks_like_mail(data: bytes, lenient: bool = False) -> bool:
    """Header lines at the top, at least two of them well-known mail headers (one
    when ``lenient``: the file is named like mail)."""
    block = data.lstrip(b"\r\n")
    if block.startswith(b"From ") or block.startswith(b">From "):
        nl = block.find(b"\n")
        block = block[nl + 1:] if nl != -1 else b""
    end = re.search(rb"\r?\n\r?\n", block)
    header = block[: end.start()] if end else block
    if not HEADER_LINE.match(header):
        return False
    return len(_KNOWN_HEADERS.findall(header)) >= (1 if lenient else 2)
