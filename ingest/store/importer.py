"""Import: sources -> parsed records -> identity -> dedup -> pairs -> store. Resumable.

``import_sources(paths, store, me, progress, cancel) -> list[SourceReport]``

For each path: detect its kind (an unusable path is a ``UserError`` before anything
is written), compare its fingerprint with the last import (unchanged: nothing is
parsed), then stream ``ingest.sources.iter_source`` in batches. Each batch is one
SQLite transaction together with the source's resume point, then its vectors are
upserted to chroma. A cancel stops between batches; a kill (even SIGKILL) at any
point is resumed by running the same import again: the parser starts after the last
committed item and chroma is reconciled with SQLite. ``finalize`` then derives
ownership, threads, pairs and aliases over the whole store.

A second process importing into the same data dir gets ``AlreadyRunning`` at once.

Both cores work: once 2,000 records are parsed, while the main thread parses and
writes, a worker thread embeds the background pass's first rows (the user's own
messages) with a one-thread embedder (``Store.alongside``; ``alongside=False`` leaves
all of it to the pass, as ``import --voice-only`` does).

What it leaves out: sources are processed one after another (no parallel parsing),
and a parser that raises mid-stream ends that source with one recorded skip.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterable, Iterator, Sequence

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.records import Skip, SourceReport
from ingest.store import state
from ingest.store.store import Store
from ingest.store.vectors import Alongside

BATCH = 256
PARSER: ModuleType | None = None  # tests may point this at a stand-in parser module


@dataclass(frozen=True)
class ImportResult:
    reports: tuple[SourceReport, ...]
    added: dict[str, int] = field(default_factory=dict)  # new records this run, per source
    unchanged: tuple[str, ...] = ()  # sources skipped by the fingerprint check
    me: tuple[str, ...] = ()
    me_inferred: bool = False


def _parser(parser: ModuleType | None) -> ModuleType:
    if parser is not None or PARSER is not None:
        return parser or PARSER
    from ingest import sources

    return sources


def run_import(paths: Iterable[str | os.PathLike[str]], store: Store, me: Sequence[str] = (),
               progress: ProgressFn = no_progress, cancel: CancelToken | None = None, *,
               parser: ModuleType | None = None, batch: int = BATCH, alongside: bool = True) -> ImportResult:
    """Import ``paths`` into ``store``; see the module docstring."""
    src = _parser(parser)
    plan: list[tuple[str, Path, str]] = []
    for p in paths:
        path = Path(p).expanduser()
        if not path.exists():
            raise UserError(f"{path} does not exist.", hint="Check the path and try again.")
        kind = src.detect_kind(path)
        plan.append((str(path.resolve()), path.resolve(), kind))
    added: dict[str, int] = {}
    unchanged: list[str] = []
    with store.lock, state.locked_errors(store.data_dir), disk_errors(store.data_dir):
        if me:
            store.set_me(me)
        side = store.alongside() if alongside else None
        try:
            for n, (key, path, kind) in enumerate(plan):
                check(cancel)
                fp = state.fingerprint(path)
                row = store.source_row(key)
                if row and row["status"] == "done" and row["fingerprint"] == fp:
                    unchanged.append(key)
                    progress(Progress("import", n + 1, len(plan), f"{path.name}: unchanged"))
                    continue
                added[key] = _import_one(store, src, key, path, kind, progress, cancel, batch, side)
                store.finish_source(key)
                progress(Progress("import", n + 1, len(plan), path.name))
        except BaseException:
            if side is not None:
                side.close(drop=True)
            raise
        if side is not None:
            side.close()  # before finalize, whose embedder wants both cores
        if store.is_dirty():
            store.finalize(progress, cancel)
    who, inferred = store.me()
    return ImportResult(tuple(store.report(k) for k, _, _ in plan), added, tuple(unchanged),
                        who, inferred)


_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_DISK_WORDS = ("disk is full", "no space left", "file too large", "disk i/o error", "quota exceeded")


def _is_disk_error(e: BaseException | None) -> bool:
    """True for a failed write of the store: no space, a file-size limit, a disk I/O error
    (SQLite reports a write refused with EFBIG as "disk I/O error"), through any cause."""
    seen = 0
    while e is not None and seen < 8:
        if isinstance(e, OSError) and e.errno in _DISK_ERRNOS:
            return True
        if any(w in str(e).lower() for w in _DISK_WORDS):
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False


@contextlib.contextmanager
def disk_errors(data_dir: Path) -> Iterator[None]:
    """Turn a full disk (from SQLite, chromadb or a plain write) into a UserError that
    says to free space; the import resumes where it stopped when run again."""
    try:
        yield
    except UserError:
        raise
    except Exception as e:
        if not _is_disk_error(e):
            raise
        raise UserError(f"The import stopped: writing to {data_dir} failed, the disk is full "
                        f"(or failing): {str(e).splitlines()[0][:160] if str(e) else type(e).__name__}.",
                        hint="Free some space there, then run the same import again: it resumes "
                             "where it stopped.") from e


def import_sources(paths: Iterable[str | os.PathLike[str]], store: Store,
                   me: Sequence[str] = (), progress: ProgressFn = no_progress,
                   cancel: CancelToken | None = None, **kw) -> list[SourceReport]:  # noqa: ANN003
    return list(run_import(paths, store, me, progress, cancel, **kw).reports)


def _import_one(store: Store, src: ModuleType, key: str, path: Path, kind: str,
                progress: ProgressFn, cancel: CancelToken | None, batch: int,
                side: Alongside | None = None) -> int:
    resume = store.begin_source(key, kind, state.fingerprint(path))
    it = iter(src.iter_source(path, kind, source_key=key, start_after=resume))
    added = done = 0
    buf: list = []
    last = resume
    while True:
        check(cancel)
        try:
            rec = next(it)
        except StopIteration:
            rec = None
        except UserError:
            raise
        except Exception as e:  # a parser bug must not lose the rest silently
            buf.append(Skip(key, f"{last or path.name}+", f"parser stopped: "
                            f"{type(e).__name__}: {e}"[:300]))
            rec = None
        if rec is not None:
            buf.append(rec)
            last = rec.item
        if len(buf) >= batch or (rec is None and buf):
            added += store.add_records(key, buf)
            done += len(buf)
            info = {"new": added}
            if side is not None:
                info["embedded_alongside"] = side.step(len(buf))
            buf = []
            progress(Progress("parse", done, None, path.name, info))
        if rec is None:
            return added
