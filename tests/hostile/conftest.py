"""Fixtures for the hostile-input tests.

- ``tiny_mbox``: four messages (two exchanges) in tests/hostile/data, for imports that
  must be quick.
- ``demo_store``: the demo archive (resources/demo Inbox + Sent) imported once per test
  session into its own folder, so retrieval has other threads' text. Tests only read it.
- ``run_cli``: run ``python -m app ...`` in a subprocess with a timeout, so a hang fails
  the test instead of stalling CI.
- ``sqlite_locker``: a second process that holds ``BEGIN EXCLUSIVE`` on a database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO, DEMO_ME, ROOT

DATA = Path(__file__).resolve().parent / "data"
HOSTILE = ROOT / "resources" / "hostile"

LOCKER = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
if sys.argv[2] == "wal":
    db.execute("PRAGMA journal_mode = WAL")
db.execute("CREATE TABLE IF NOT EXISTS _hostile_probe (x)")
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT INTO _hostile_probe VALUES (1)")
print("locked", flush=True)
time.sleep(float(sys.argv[3]))
"""


@pytest.fixture
def tiny_mbox() -> Path:
    return DATA / "tiny.mbox"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    from ingest.store.importer import import_sources
    from ingest.store.store import Store

    d = tmp_path_factory.mktemp("demo-store")
    store = Store.open(d, chroma_url="")
    import_sources([DEMO / "Inbox.mbox", DEMO / "Sent.mbox"], store, DEMO_ME)
    yield store
    store.close()


def cli(*args: str, timeout: float = 120, env: dict | None = None,
        **kw) -> subprocess.CompletedProcess:  # noqa: ANN003
    """``ownvoice ARGS`` in a subprocess (text mode, captured)."""
    e = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=e, text=True,
                          capture_output=True, timeout=timeout, **kw)


@pytest.fixture
def run_cli():
    return cli


@pytest.fixture
def sqlite_locker():
    """``start(db_path, mode="wal"|"rollback", hold_s=60)`` -> the locker process, holding
    BEGIN EXCLUSIVE once this returns. Killed at teardown."""
    procs: list[subprocess.Popen] = []

    def start(db: Path, mode: str = "wal", hold_s: float = 60) -> subprocess.Popen:
        p = subprocess.Popen([sys.executable, "-c", LOCKER, str(db), mode, str(hold_s)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        t0 = time.monotonic()
        line = p.stdout.readline()
        assert line.strip() == "locked", (line, p.stderr.read() if p.poll() is not None else "")
        assert time.monotonic() - t0 < 30
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)
