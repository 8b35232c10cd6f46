"""Maildir and Maildir++ trees (also the loose variants real tools leave behind).

- Folders: the root is "INBOX"; Maildir++ ``.Sent.2019`` is "Sent/2019"; nested plain
  folders (``Foo/cur``) are "Foo". Flag suffixes use ``:`` or ``!`` (``x!2,S``).
- ``cur/`` and ``new/`` hold messages; files in ``tmp/`` are unfinished deliveries and
  become a ``Skip``; a folder holding ``.noindex`` is skipped with its subtree (as in
  mu), each file with a ``Skip``; ``.noupdate`` only matters to indexers and is read.
- Missing ``cur``/``new``/``tmp`` folders are fine; loose mail files are read too.
Items are relative paths, e.g. ``cur/1220863087.12663_7.mindcrime!2,RS``.

Left out: flags (seen, replied, trashed) are not interpreted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ingest.kernel.records import Message, Skip
from ingest.sources.eml import iter_tree

_LEAVES = ("cur", "new", "tmp")


def is_maildir(path: Path) -> bool:
    """A folder with cur/ or new/, or one whose (Maildir++) subfolders have them."""
    if (path / "cur").is_dir() or (path / "new").is_dir():
        return True
    try:
        subs = [p for p in path.iterdir() if p.is_dir()]
    except OSError:
        return False
    return any((p / "cur").is_dir() or (p / "new").is_dir() for p in subs[:200])


def maildir_folder(root: Path, path: Path) -> str:
    parts = list(path.parent.relative_to(root).parts)
    if parts and parts[-1] in _LEAVES:
        parts.pop()
    if not parts:
        return "INBOX"
    names = []
    for p in parts:
        names.extend(p[1:].split(".") if p.startswith(".") and len(p) > 1 else [p])
    return "/".join(n for n in names if n)


def _skip_reason(root: Path, path: Path) -> str:
    rel = path.parent.relative_to(root).parts
    if rel and rel[-1] == "tmp":
        return "in tmp/: an unfinished delivery, not a message yet"
    d = path.parent
    while True:
        if (d / ".noindex").exists():
            return f"folder {d.relative_to(root).as_posix() or '.'} is marked .noindex"
        if d == root:
            return ""
        d = d.parent


def iter_maildir(root: Path, *, source: str, start_after: str | None = None) -> Iterator[Message | Skip]:
    yield from iter_tree(root, source=source, start_after=start_after, folder_of=maildir_folder,
                         skip_reason=_skip_reason)
