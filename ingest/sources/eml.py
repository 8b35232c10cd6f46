"""Single .eml files and folders of mail files (walked recursively).

A folder walk looks at every file in a stable order (sorted relative paths) and sends
each to the parser its content calls for: RFC 822 files, mbox files, Outlook .msg /
.pst, TNEF. Anything else becomes a ``Skip`` with the reason, so every file is
accounted for. Items are the relative path (plus ``#offset`` inside an mbox).

Left out: archives (.zip, .tar) are skipped with a reason, not unpacked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from ingest.kernel.errors import UserError
from ingest.kernel.records import Message, Skip
from ingest.sources.common import open_ro, sniff, split_item, walk_files
from ingest.sources.mime import message_from_bytes
from ingest.sources.normalize import folder_name, is_sent_folder

MAX_EML = 25 << 20  # a single-file message larger than this is read up to here
KEEP_OVERSIZED = 2 << 20


def read_eml(path: Path, *, source: str, item: str, folder: str = "", sent: bool = False) -> Message | Skip:
    try:
        size = path.stat().st_size
        with open_ro(path) as f:
            data = f.read(KEEP_OVERSIZED if size > MAX_EML else size + 1)
    except OSError as e:
        return Skip(source, item, f"cannot read file: {e.strerror}")
    notes: tuple[str, ...] = ()
    if size > MAX_EML:
        notes = (f"oversized message ({size >> 20} MB): imported without attachments, "
                 f"text from the first {KEEP_OVERSIZED >> 20} MB",)
    rec = message_from_bytes(data, source=source, item=item, folder=folder, sent_folder=sent, notes=notes)
    if notes and isinstance(rec, Message):
        from dataclasses import replace

        rec = replace(rec, attachments=())
    return rec


def iter_file(
    path: Path, *, source: str, rel: str, folder: str, start_loc: str = ""
) -> Iterator[Message | Skip]:
    """Records of one file inside a walked folder, whatever mail format it holds."""
    try:
        kind = sniff(path)
    except UserError as e:
        yield Skip(source, rel, str(e))
        return
    sent = is_sent_folder(folder)
    if kind == "eml":
        yield read_eml(path, source=source, item=rel, folder=folder, sent=sent)
    elif kind == "mbox":
        from ingest.sources.mbox import iter_mbox_file

        yield from iter_mbox_file(path, source=source, rel=rel, start_after=int(start_loc) if start_loc else None)
    elif kind in ("msg", "tnef"):
        from ingest.sources.outlook import iter_msg_file

        yield from iter_msg_file(path, source=source, rel=rel, folder=folder)
    elif kind == "pst":
        from ingest.sources.outlook import iter_pst_file

        try:
            yield from iter_pst_file(path, source=source, rel=rel, start_after=int(start_loc) if start_loc else None)
        except UserError as e:
            yield Skip(source, rel, str(e))
    else:
        what = f"a {kind} document" if kind else "not a mail file"
        yield Skip(source, rel, f"{what}: not imported as mail (import documents as their own source)")


def _plain_folder(root: Path, path: Path) -> str:
    parent = path.parent.relative_to(root).as_posix()
    return root.name if parent == "." else parent


def iter_tree(
    root: Path,
    *,
    source: str,
    start_after: str | None = None,
    folder_of: Callable[[Path, Path], str] = _plain_folder,
    skip_reason: Callable[[Path, Path], str] = lambda root, p: "",
) -> Iterator[Message | Skip]:
    """Every file under ``root`` -> records; resumes after the item ``start_after``."""
    start_rel, start_loc = split_item(start_after) if start_after else ("", "")
    for path in walk_files(root):
        rel = path.relative_to(root).as_posix()
        loc = ""
        if start_after:
            if rel < start_rel:
                continue
            if rel == start_rel:
                if not start_loc:
                    continue
                loc = start_loc
        why = skip_reason(root, path)
        if why:
            yield Skip(source, rel, why)
            continue
        try:
            yield from iter_file(path, source=source, rel=rel, folder=folder_of(root, path), start_loc=loc)
        except OSError as e:  # one unreadable file must not stop the folder
            yield Skip(source, rel, f"cannot read file: {e.strerror or e}")


def iter_eml(path: Path, *, source: str, start_after: str | None = None) -> Iterator[Message | Skip]:
    """A single .eml file: one record (nothing when resuming after it)."""
    if start_after:
        return
    yield read_eml(path, source=source, item=path.name, folder=folder_name(path.parent.name),
                   sent=is_sent_folder(path.parent.name))
