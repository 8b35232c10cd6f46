"""Atomic, private file writes.

Every artifact ownvoice writes goes through here: the bytes land in a temporary file
in the same folder, are fsynced, then renamed over the target, so a crash leaves
either the old file or the new one, never half of one. Files are created 0600 and
folders 0700: the data directory is readable by the user alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator


def private_dir(path: str | os.PathLike[str], *, tighten: bool = False) -> Path:
    """Create ``path`` and each missing parent as 0700, and return it.

    A folder that already exists keeps its permissions: ownvoice sets them only on what
    it creates, so ``draft --save ~/Desktop`` or ``eval --report /tmp`` never chmods the
    user's folder (the files written there are 0600). ``tighten=True`` is for ownvoice's
    own folders (the data dir, the cache, the config dir, voice packs): an existing one
    that others can read is set to 0700.
    """
    p = Path(path)
    missing = []
    q = p
    while not q.exists() and q != q.parent:
        missing.append(q)
        q = q.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:  # made by someone else meanwhile: not ours
            continue
        try:
            os.chmod(d, 0o700)  # exactly 0700, whatever the umask
        except OSError:
            pass
    if not p.is_dir():
        raise FileExistsError(f"{p} exists and is not a folder")
    if tighten and p not in missing:
        try:
            if p.stat().st_mode & 0o077:
                p.chmod(0o700)
        except OSError:
            pass
    return p


@contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Stream bytes into ``path`` atomically: ``with atomic_writer(p) as f: f.write(...)``.

    The file appears (0600) only when the block ends without an exception; an
    exception (a failed check inside the block, a cancel) leaves the old file, if any,
    and no temp file behind.
    """
    target = Path(path)
    private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(target.parent)


def sha256_file(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in ``chunk``-sized pieces (models are GBs)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
    return h.hexdigest()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_writer(path) as f:
        f.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def atomic_replace_dir(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Move a fully written folder ``src`` into place at ``dst``.

    The old ``dst`` (if any) is renamed aside first, then removed after the swap, so a
    reader sees either the old folder or the new one.
    """
    src_p, dst_p = Path(src), Path(dst)
    private_dir(dst_p.parent)
    old = None
    if dst_p.exists():
        old = dst_p.with_name(f".{dst_p.name}.old.{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(dst_p, old)
    os.replace(src_p, dst_p)
    _fsync_dir(dst_p.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return dst_p


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
