"""What kind of source a path is: ``detect_kind``.

Kinds: a mail format of ``ingest.sources.registry`` for a single file ("pst", "msg":
an Outlook .msg or a standalone TNEF winmail.dat, "mbox", "eml"), "mbox" for a folder
holding only mbox files, "maildir", "emldir" (a folder of mail files of any format),
"documents" (a folder of documents), "document".
Anything else is a ``UserError`` with one line saying what to do.

Left out: guessing from file names alone; content decides (extensions only break ties).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ingest.kernel.errors import UserError
from ingest.sources.common import DOC_EXTS, walk_files
from ingest.sources.maildir import is_maildir
from ingest.sources import registry
from ingest.sources.registry import DOCUMENT, sniff

SNIFF_LIMIT = 2000  # files looked at to decide a folder's kind

_HINT = ("Point ownvoice at an mbox file (e.g. a Gmail Takeout .mbox), a Maildir, a folder of .eml "
         "files, an Outlook .pst/.msg, or a folder of your documents (txt, md, html, docx, pdf).")
_DOC_KINDS = {"txt", "md", "html", "docx", "pdf"}
_MAILISH_EXT = {".mbox", ".mbx", ".eml", ".msg", ".pst", ".ost", ".mail", ""}


def detect_kind(path: str | Path) -> str:
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f"{p} does not exist.", hint="Check the path (drag the file or folder in, or copy its path).")
    if p.is_dir():
        return _detect_dir(p)
    if not p.is_file():
        raise UserError(f"{p} is not a regular file or folder.", hint=_HINT)
    kind = sniff(p)
    if kind in registry.MAIL_FORMATS:
        return kind
    if kind in _DOC_KINDS and p.suffix.lower() in DOC_EXTS:
        return DOCUMENT
    if p.suffix.lower() in _MAILISH_EXT:
        raise UserError(f"{p.name} does not look like mail: no 'From ' line or mail headers at its start.",
                        hint=_HINT)
    raise UserError(f"{p.name} is neither mail nor a supported document.", hint=_HINT)


def _detect_dir(p: Path) -> str:
    if is_maildir(p):
        return "maildir"
    counts: Counter[str] = Counter()
    examples: list[str] = []
    files = walk_files(p)
    for f in files[:SNIFF_LIMIT]:
        try:
            k = sniff(f)
        except UserError:
            k = ""
        if k in _DOC_KINDS and f.suffix.lower() not in DOC_EXTS:
            k = ""
        counts[k or "other"] += 1
        if not k and len(examples) < 3:
            examples.append(f.name)
    mail = sum(counts[k] for k in registry.MAIL_FORMATS)
    if mail:
        return "mbox" if counts["mbox"] == mail else "emldir"
    if sum(counts[k] for k in _DOC_KINDS):
        return "documents"
    if not files:
        raise UserError(f"{p} is empty: there is nothing to import.", hint=_HINT)
    raise UserError(
        f"No mail or documents found in {p} ({len(files)} files, e.g. {', '.join(examples)}).", hint=_HINT
    )
