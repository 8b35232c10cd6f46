"""The kinds of source ownvoice reads, in one table.

A mail format is a module with two functions, and one line in ``MAIL_FORMATS``:

- ``sniff(head: bytes, ext: str) -> bool``: whether a file's first 8 KB (and its
  lower-case extension) are this format;
- ``read(path, *, source, rel, folder, start_loc) -> Iterator[Message | Skip]``: its
  records, each ``item`` a stable locator (``rel``, or ``rel#n`` inside a file that
  holds many), resuming after ``start_loc`` (the ``n`` of the last item done).
  ``folder`` is the folder it sits in within a walked tree, or ``None`` for a file
  imported on its own;
- optionally ``check(path)``: raise ``UserError`` when the file as a whole is unusable
  (a protected store), before its first item.

The table's order is the detection order: the first format whose ``sniff`` claims a
file reads it, as a file on its own (its kind is the format's name), inside a folder of
mail files ("emldir"), or inside a Maildir. Documents (txt, md, html, docx, pdf) are
the other family (``ingest.sources.documents``); folder kinds are "maildir", "emldir",
"documents", and "mbox" for a folder of only mbox files.

Left out: formats that need more than the first 8 KB to be told apart.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ingest.kernel.records import Message, Skip
from ingest.sources.common import head


@dataclass(frozen=True)
class MailFormat:
    name: str
    module: str

    def _mod(self) -> Any:
        return importlib.import_module(self.module)

    def sniff(self, head: bytes, ext: str) -> bool:
        return bool(self._mod().sniff(head, ext))

    def read(self, path: Path, *, source: str, rel: str, folder: str | None,
             start_loc: str = "") -> Iterator[Message | Skip]:
        return self._mod().read(path, source=source, rel=rel, folder=folder, start_loc=start_loc)

    def check(self, path: Path) -> None:
        check = getattr(self._mod(), "check", None)
        if check is not None:
            check(path)


# detection order; a new mail format is one module and one line here
MAIL_FORMATS: dict[str, MailFormat] = {f.name: f for f in (
    MailFormat("pst", "ingest.sources.pst"),
    MailFormat("msg", "ingest.sources.outlook"),
    MailFormat("mbox", "ingest.sources.mbox"),
    MailFormat("eml", "ingest.sources.eml"),
)}
FOLDER_KINDS = ("maildir", "emldir", "documents")
DOCUMENT = "document"


def kinds() -> tuple[str, ...]:
    """Every kind ``iter_source`` accepts."""
    return (*MAIL_FORMATS, *FOLDER_KINDS, DOCUMENT)


def sniff(path: Path) -> str:
    """What one file holds: a mail format's name, a document kind ("txt", "md", "html",
    "docx", "pdf"), or "" for nothing importable. An unreadable file is a ``UserError``."""
    from ingest.sources.documents import doc_kind

    data = head(path, 8192)
    ext = path.suffix.lower()
    for fmt in MAIL_FORMATS.values():
        if fmt.sniff(data, ext):
            return fmt.name
    return doc_kind(data, ext)
