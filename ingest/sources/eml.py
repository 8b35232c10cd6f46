"""Single .eml files and folders of mail files (walked recursively).

A folder walk looks at every file in a stable order (sorted relative paths) and sends
each to the mail format its content calls for (``ingest.sources.registry``): RFC 822
files, mbox files, Outlook .msg / .pst, TNEF. Anything else becomes a ``Skip`` with the reason, so every file is
accounted for. Items are the relative path (plus ``#offset`` inside an mbox).

Left out: archives (.zip, .tar) are skipped with a reason, not unpacked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from ingest.kernel.errors import UserError
from ingest.kernel.records import Message, Skip
from ingest.sources.common import looks_like_mail, open_ro, split_item, walk_files
from ingest.sources.folders import folder_name, is_sent_folder
from ingest.sources.mime import message_from_bytes

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
    """Records of one file inside a walked folder, by the mail format it holds
    (``ingest.sources.registry``); anything else is a ``Skip`` with the reason."""
    from ingest.sources import registry

    try:
        kind = registry.sniff(path)
    except UserError as e:
        yield Skip(source, rel, str(e))
        return
    fmt = registry.MAIL_FORMATS.get(kind)
    if fmt is None:
        what = f"a {kind} document" if kind else "not a mail file"
        yield Skip(source, rel, f"{what}: not imported as mail (import documents as their own source)")
        return
    try:
        yield from fmt.read(path, source=source, rel=rel, folder=folder, start_loc=start_loc)
    except UserError as e:  # a protected or damaged store inside a folder: that file only
        yield Skip(source, rel, str(e))


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


# ---------------------------------------------------------------- the registry's "eml" kind
def sniff(head: bytes, ext: str) -> bool:
    """Mail headers at the top (one well-known header is enough for a file named like mail)."""
    return bool(head.strip()) and looks_like_mail(head, lenient=ext in (".eml", ".mail", ".msg"))


def read(path: Path, *, source: str, rel: str, folder: str | None, start_loc: str = "") -> Iterator[Message | Skip]:
    """One RFC 822 file: one record. In a walked folder ``folder`` is its folder; on its
    own (``None``) the folder and whether it is a sent folder come from its parent's name."""
    if folder is None:
        yield read_eml(path, source=source, item=rel, folder=folder_name(path.parent.name),
                       sent=is_sent_folder(path.parent.name))
    else:
        yield read_eml(path, source=source, item=rel, folder=folder, sent=is_sent_folder(folder))
