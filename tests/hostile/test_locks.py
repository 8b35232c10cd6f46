"""A store that another process holds: a clear "already running / locked" error, fast.

A second process holds ``BEGIN EXCLUSIVE`` on ``data_dir/state.sqlite`` (what a stuck
import or a sqlite3 shell would do). Opening the store or importing into it must end
within seconds with a one-line ``UserError``, never a long hang or a raw
``sqlite3.OperationalError``. Two imports at once (CLI + CLI, GUI task + CLI) either
share the store safely or the second one refuses with the same clear message.
"""

from __future__ import annotations

import time

import pytest

from ingest.kernel.errors import UserError
from tests.conftest import DEMO_ME

QUICK_S = 15


def _is_locked_message(text: str) -> bool:
    t = text.lower()
    return "already running" in t or "locked" in t


def test_open_store_while_new_db_is_exclusively_locked(data_dir, sqlite_locker):
    from ingest.store.store import Store

    data_dir.mkdir(parents=True)
    sqlite_locker(data_dir / "state.sqlite", mode="rollback")
    t0 = time.monotonic()
    with pytest.raises(UserError) as e:
        Store.open(data_dir, chroma_url="").close()
    assert time.monotonic() - t0 < QUICK_S
    assert _is_locked_message(str(e.value)), str(e.value)


def test_import_while_store_db_is_exclusively_locked(data_dir, sqlite_locker, tiny_mbox):
    from ingest.store.importer import import_sources
    from ingest.store.store import Store

    Store.open(data_dir, chroma_url="").close()  # an existing store (WAL mode)
    sqlite_locker(data_dir / "state.sqlite", mode="wal")
    t0 = time.monotonic()
    with pytest.raises(UserError) as e:
        with Store.open(data_dir, chroma_url="") as store:
            import_sources([tiny_mbox], store, DEMO_ME)
    assert time.monotonic() - t0 < QUICK_S
    assert _is_locked_message(str(e.value)), str(e.value)
