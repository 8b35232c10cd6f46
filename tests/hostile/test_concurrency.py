"""Two writers on one data dir: they share it safely, or the second refuses clearly.

- two ``ownvoice import`` processes started at the same moment on a fresh data dir;
- the GUI's import workflow (``app.workflows.archive.import_paths``, what the GUI worker runs) while
  a CLI import holds the store, and then after that CLI import was killed.

A refusal must be exit code 2 / ``UserError`` with one line that says another ownvoice
is running; a success must leave the store complete: every source's report as a lone
import gives, and chroma holding exactly SQLite's rows.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.kernel.errors import UserError
from tests.conftest import DEMO, DEMO_ME, ROOT
from tests.hostile.conftest import HOSTILE

ME = DEMO_ME[0]
N_HOSTILE = len(list(HOSTILE.glob("*.eml")))  # the folder's README and script are recorded skips


def _mail(report: dict) -> int:
    return report["own"] + report["others"]


def _popen_import(data: Path, source: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app", "--data-dir", str(data), "import",
                             str(source), "--me", ME, "--json"], cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _refused_clearly(rc: int, err: str) -> bool:
    return rc == 2 and "Traceback" not in err and "already running" in err.lower()


def _consistent(data: Path) -> dict[str, dict]:
    from ingest.store.store import Store
    from ingest.store.vectors import KINDS

    with Store.open(data, chroma_url="") as s:
        for k in KINDS:
            rows = {r[0] for r in s.db.execute(f"SELECT id FROM {k}")}
            assert s.vector_ids(k) == rows, f"chroma and SQLite disagree on {k}"
        return {Path(i.path).name: i.report.to_json() for i in s.sources()}


def _holds_lock(data: Path) -> bool:
    p = data / ".write.lock"
    if not p.exists():
        return False
    fd = os.open(p, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops our lock if we got it
    return False


@pytest.mark.slow
def test_two_cli_imports_at_once(tmp_path, tiny_mbox):
    data = tmp_path / "data"
    procs = {"tiny.mbox": _popen_import(data, tiny_mbox), "hostile": _popen_import(data, HOSTILE)}
    results = {k: (p.wait(timeout=600), *p.communicate()) for k, p in procs.items()}
    ok = [k for k, (rc, _, _) in results.items() if rc == 0]
    for k, (rc, out, err) in results.items():
        assert rc == 0 or _refused_clearly(rc, err), (k, rc, err[-3000:])
    assert ok, results
    for k, (rc, _, _) in results.items():  # the refused one runs after the other: it works then
        if rc != 0:
            again = _popen_import(data, tiny_mbox if k == "tiny.mbox" else HOSTILE)
            rc2, _, err2 = again.wait(timeout=600), *again.communicate()
            assert rc2 == 0, err2[-3000:]
    reports = _consistent(data)
    assert reports["tiny.mbox"]["seen"] == 4 and reports["tiny.mbox"]["pairs"] == 2
    assert _mail(reports["hostile"]) == N_HOSTILE


@pytest.mark.slow
def test_gui_import_while_a_cli_import_runs(tmp_path):
    from app.workflows.archive import import_paths
    from app.workflows.workspace import Workspace

    data = tmp_path / "data"
    big = tmp_path / "big.mbox"  # long enough to catch it mid-import even on a slow machine
    big.write_bytes((DEMO / "Sent.mbox").read_bytes() * 40)
    cli = _popen_import(data, big)
    try:
        t0 = time.monotonic()
        while not _holds_lock(data):
            assert cli.poll() is None, cli.communicate()[1][-3000:]
            assert time.monotonic() - t0 < 300, "the CLI import never took the store"
            time.sleep(0.05)
        ws = Workspace(data_dir=str(data))
        t1 = time.monotonic()
        with pytest.raises(UserError) as e:
            import_paths(ws, [str(HOSTILE)], (ME,))
        assert time.monotonic() - t1 < 60  # refused, not queued behind the CLI's import
        assert "already running" in str(e.value).lower()
        cli.kill()  # SIGKILL mid-import: the kernel drops the lock
        cli.wait(timeout=30)
        reports = import_paths(ws, [str(HOSTILE)], (ME,)).reports
        assert reports[0].own + reports[0].others == N_HOSTILE
        ws.close()
    finally:
        if cli.poll() is None:
            cli.kill()
        cli.wait(timeout=30)
    resumed = _popen_import(data, DEMO / "Sent.mbox")  # the killed import resumes
    rc, out, err = resumed.wait(timeout=600), *resumed.communicate()
    assert rc == 0, err[-3000:]
    assert json.loads(out)["totals"]["seen"] == 102
    reports = _consistent(data)
    assert reports["Sent.mbox"]["seen"] == 102 and _mail(reports["hostile"]) == N_HOSTILE
