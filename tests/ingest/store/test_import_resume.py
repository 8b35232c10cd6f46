"""SIGKILL at any point, then re-run: the store ends exactly as an uninterrupted import.

The import, then its search pass (``Store.embed_rest``), runs in a subprocess (real
parser or its stand-in, real SQLite and chromadb, the hash embedder for speed) that
prints one line per progress event; the
test kills it with SIGKILL after N events, several times at growing N on the same
data dir, then lets a last run finish, and compares message ids, items, pairs,
chroma ids and n-gram postings with a reference import done in one go.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.store.store import Store

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import sys
import ingest.store.embed
from tests.ingest.store.test_import_standin import HashEmbedder, parser
ingest.store.embed._EMBEDDER = HashEmbedder()
from ingest.store.importer import run_import
from ingest.store.store import Store
s = Store.open(sys.argv[1], chroma_url="")
def progress(p):
    print("EV", p.stage, p.done, flush=True)
run_import(sys.argv[2:], s, ["phillip.allen@enron.com"], progress, parser=parser(), batch=25)
s.embed_rest(progress, batch=64)  # then the search pass, as `ownvoice import` runs it: kills land there too
print("DONE", flush=True)
"""


def _run(data: Path, paths: list[Path], kill_after: int | None,
         delay: float = 0.0) -> tuple[int, bool]:
    """Run the import; SIGKILL it ``delay`` s after event ``kill_after``.
    Returns (events seen, finished)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(data), *map(str, paths)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    events, done = 0, False
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("EV"):
            events += 1
            if kill_after is not None and events >= kill_after:
                time.sleep(delay)  # land the kill at different points inside a step
                os.kill(proc.pid, signal.SIGKILL)
                break
        elif line.startswith("DONE"):
            done = True
    proc.wait(timeout=120)
    err = proc.stderr.read() if proc.stderr else ""
    if kill_after is None:
        assert proc.returncode == 0 and done, err[-2000:]
    else:
        assert proc.returncode in (0, -signal.SIGKILL), err[-2000:]
    return events, done


def _snapshot(data: Path) -> dict:
    with Store.open(data, chroma_url="") as s:
        q = s.db.execute
        return {
            "messages": q("SELECT id, own, thread, source, item FROM messages ORDER BY id").fetchall(),
            "items": q("SELECT source, item, rid, kind, status FROM items ORDER BY 1, 2").fetchall(),
            "skips": q("SELECT source, item, reason FROM skips ORDER BY 1, 2").fetchall(),
            "pairs": q("SELECT id, reply_id, message_id, how, thread, embedded FROM pairs "
                       "ORDER BY id").fetchall(),
            "ngrams": q("SELECT COUNT(*), COALESCE(SUM(hash % 1000003), 0) FROM ngrams").fetchall(),
            "chroma": {k: sorted(s.vector_ids(k)) for k in ("messages", "chunks", "pairs")},
            "unembedded": q("SELECT COUNT(*) FROM messages WHERE embedded = 0").fetchall(),
            "dirty": q("SELECT value FROM meta WHERE key = 'dirty'").fetchall(),
            "sources": q("SELECT path, status, last_item IS NOT NULL FROM sources "
                         "ORDER BY path").fetchall(),
        }


@pytest.mark.slow
def test_sigkill_at_any_point_then_resume_equals_one_go(corpora, tmp_path):
    root = corpora / "enron" / "allen-p"
    paths = [root / "sent_items.mbox", root / "inbox.mbox"]
    ref = tmp_path / "ref"
    total, _ = _run(ref, paths, None)
    expect = _snapshot(ref)
    assert expect["chroma"]["messages"] and expect["pairs"] and expect["ngrams"][0][0] > 1000
    data = tmp_path / "killed"
    kills = sorted({max(1, total * f // 100) for f in (10, 40, 75, 97)})
    finished_early = 0
    for i, k in enumerate(kills):
        _, done = _run(data, paths, k, delay=(0.0, 0.05, 0.2)[i % 3])
        finished_early += done
    assert finished_early < len(kills)  # the kills really interrupted it
    _run(data, paths, None)
    got = _snapshot(data)
    assert {k: [tuple(r) for r in v] if isinstance(v, list) else v for k, v in got.items()} == \
        {k: [tuple(r) for r in v] if isinstance(v, list) else v for k, v in expect.items()}
