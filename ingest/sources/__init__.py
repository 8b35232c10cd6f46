"""Source parsers: a path in, ``Message | Document | Skip`` records out.

    from ingest.sources import detect_kind, iter_source
    for rec in iter_source("~/Takeout/Mail/Sent.mbox"):
        ...

``iter_source`` is a pure generator: it only reads the source (files are opened
read-only) and never raises for one bad item (that is a ``Skip``); it raises
``UserError`` only when the source as a whole is unusable. ``Message.item`` is a
stable locator; ``start_after=item`` resumes right after it (an mbox seeks to the
byte offset, a folder skips the files sorted before it).

The kinds are ``ingest.sources.registry``'s: a new mail format is one module there
and one line in its table.

Left out: ownership, dedup, threading and pairing (the importer's job).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from ingest.kernel.errors import UserError
from ingest.kernel.records import Document, Message, Skip
from ingest.sources import registry
from ingest.sources.common import split_item
from ingest.sources.detect import detect_kind

__all__ = ["detect_kind", "iter_source", "read_message"]


def read_message(path: str | os.PathLike[str],
                 hint: str = "Choose an .eml file saved from your mail client.") -> Message:
    """The one message an .eml file holds, read as the importer reads it (only read):
    the message to answer in ``draft --reply-to`` and on the Draft page. A file that is
    not one is a ``UserError`` with the reason and ``hint``."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise UserError(f"{p} is not a file.", hint=hint)
    for rec in iter_source(p, "eml"):
        if isinstance(rec, Message):
            return rec
        if isinstance(rec, Skip):
            raise UserError(f"{p} could not be read as a mail message ({rec.reason}).", hint=hint)
    raise UserError(f"{p} holds no mail message.", hint=hint)


def iter_source(
    path: str | os.PathLike[str],
    kind: str | None = None,
    *,
    source_key: str | None = None,
    start_after: str | None = None,
) -> Iterator[Message | Document | Skip]:
    p = Path(path).expanduser()
    kind = kind or detect_kind(p)
    if kind not in registry.kinds():
        raise UserError(f"Unknown source kind {kind!r}.", hint=f"Use one of: {', '.join(registry.kinds())}.")
    if not p.exists():
        raise UserError(f"{p} does not exist.", hint="Check the path.")
    source = source_key or str(path)
    fmt = registry.MAIL_FORMATS.get(kind)
    if fmt is not None and p.is_file():  # refuse a protected store now, not at the first item
        fmt.check(p)
    if start_after:
        _check_resume_point(start_after)
    return _guarded(_dispatch(p, kind, source, start_after), p)


def _check_resume_point(item: str) -> None:
    loc = split_item(item)[1]
    if loc and not loc.isdigit():
        raise UserError(f"{item!r} is not a resume point of this source.",
                        hint="Resume with an item this source yielded, or import from the start.")


def _guarded(records: Iterator[Message | Document | Skip], p: Path) -> Iterator[Message | Document | Skip]:
    """Turn an unreadable source (permissions, a vanished disk) into one clear UserError."""
    try:
        yield from records
    except OSError as e:
        raise UserError(f"Cannot read {p}: {e.strerror or e}.",
                        hint="Check that the file or disk is still there and readable, then import again "
                        "(it resumes where it stopped).") from e


def _dispatch(p: Path, kind: str, source: str, start_after: str | None) -> Iterator[Message | Document | Skip]:
    fmt = registry.MAIL_FORMATS.get(kind)
    if kind == "maildir":
        from ingest.sources.maildir import iter_maildir

        yield from iter_maildir(p, source=source, start_after=start_after)
    elif kind == "emldir" or (fmt is not None and p.is_dir()):  # a folder of mail files
        from ingest.sources.eml import iter_tree

        yield from iter_tree(p, source=source, start_after=start_after)
    elif fmt is not None:  # one file; an item without a locator means the file is done
        loc = split_item(start_after)[1] if start_after else ""
        if not start_after or loc:
            yield from fmt.read(p, source=source, rel=p.name, folder=None, start_loc=loc)
    else:
        from ingest.sources.documents import iter_documents

        yield from iter_documents(p, source=source, start_after=start_after)
