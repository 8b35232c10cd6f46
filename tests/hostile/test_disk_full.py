"""A full disk during import: a clear "free space" error, then a clean resume.

The disk fills up in a subprocess whose file-size limit (RLIMIT_FSIZE, with SIGXFSZ
ignored, so a write past it fails with EFBIG like a full disk would) sits just above
what the store holds before the import. The import must stop with a one-line error
that says to free space, and a re-run without the limit must reach the same state
as a clean import into an empty folder: same messages, pairs and reports, chroma in
step with SQLite, no temporary files left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

ME = "wren@halloway-cider.example"
LIMITED = r"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from app.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _import(data: Path, source: Path, limit: int) -> subprocess.CompletedProcess:
    args = ["--data-dir", str(data), "import", str(source), "--me", ME, "--json"]
    cmd = [sys.executable, "-c", LIMITED, str(limit), *args]
    return subprocess.run(cmd, cwd=ROOT, env=dict(os.environ), text=True, capture_output=True,
                          timeout=600)


def _state(data: Path) -> dict:
    from ingest.store.store import Store
    from ingest.store.vectors import KINDS

    with Store.open(data, chroma_url="") as s:
        out = {
            "messages": sorted((m.id, m.own, m.thread) for m in s.messages()),
            "pairs": sorted(p.id for p in s.reply_pairs()),
            "reports": [{k: v for k, v in i.report.to_json().items() if k != "path"}
                        for i in s.sources()],
            "pending": {k: s.db.execute(f"SELECT COUNT(*) FROM {k} WHERE embedded = 0").fetchone()[0]
                        for k in KINDS},
        }
        for k in KINDS:
            rows = {r[0] for r in s.db.execute(f"SELECT id FROM {k}")}
            assert s.vector_ids(k) == rows, f"chroma and SQLite disagree on {k}"
    return out


@pytest.mark.slow
def test_import_on_a_full_disk_says_so_and_resumes_cleanly(tmp_path, tiny_mbox, capsys):
    from app.cli import main
    from ingest.store.store import Store

    full, clean = tmp_path / "full", tmp_path / "clean"
    Store.open(full, chroma_url="").close()  # an existing, empty store
    biggest = max(p.stat().st_size for p in full.rglob("*") if p.is_file())
    res = _import(full, tiny_mbox, limit=biggest + 4096)
    assert res.returncode == 2, (res.returncode, res.stdout[-2000:], res.stderr[-4000:])
    assert "Traceback" not in res.stderr, res.stderr[-4000:]
    err = res.stderr.lower()
    assert "space" in err and ("free" in err or "full" in err), res.stderr[-2000:]

    # with space again (in this process: only the full disk needs its own)
    assert main(["--data-dir", str(full), "import", str(tiny_mbox), "--me", ME, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["seen"] == 4
    assert main(["--data-dir", str(clean), "import", str(tiny_mbox), "--me", ME, "--json"]) == 0
    assert _state(full) == _state(clean)
    assert not [p for p in full.rglob("*") if p.name.endswith((".tmp", ".part", ".writing"))]
