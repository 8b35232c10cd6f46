"""Privacy, proved: the whole job runs with every non-loopback connection made to fail.

The guard patches Python's socket layer (connect, connect_ex, create_connection and
DNS lookups of non-local names), so any library that tries to phone home (chromadb
telemetry, a hub download) is recorded. The test passes because none is attempted.
llama.cpp and torch do no networking of their own.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from tests.conftest import DEMO, DEMO_ME
from tests.privacy_job import make_guard

@pytest.fixture
def no_network(monkeypatch):
    """The socket guard of tests/privacy_job.py, in this process, for one test."""
    attempts: list[str] = []
    connect, connect_ex, getaddrinfo = make_guard(attempts)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def test_guard_blocks_outside_connections(no_network):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(OSError):
        s.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
    s.close()
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("telemetry.example.com", 443)
    assert len(no_network) == 2


@pytest.mark.slow
def test_whole_job_makes_no_outside_connection(no_network, data_dir):
    if not (DEMO / "Sent.mbox").exists():
        pytest.fail("the demo archive resources/demo is missing")
    from ingest.kernel.config import load_config
    from ingest.store.importer import import_sources
    from ingest.store.store import Store
    from trainer.draft.drafting import draft
    from trainer.evaluate.harness import evaluate
    from trainer.learn.routes import LearnContext, learn, parse_routes
    from trainer.voicepack import VoicePack

    cfg = load_config().with_(me=DEMO_ME, max_tokens=40)
    with Store.open(data_dir) as store:
        reports = import_sources([DEMO / "Sent.mbox", DEMO / "Inbox.mbox", DEMO / "documents"], store, list(DEMO_ME))
        assert sum(r.own for r in reports) > 50
        pack = VoicePack.open(data_dir)
        ctx = LearnContext(store=store, pack=pack, config=cfg, data_dir=data_dir,
                           options={"rounds": 1, "max_steps": 2, "validation": 2,
                                    "explain_pairs": 6, "seq_len": 256})
        learn(parse_routes("rag,pld,lora"), ctx)
        msg = store.by_message_id("i0086@thesaltcellar.example")  # an unanswered trade enquiry
        res = draft(msg, variants=("base", "rag", "pld", "lora"), n=1, store=store, pack=pack, config=cfg)
        assert res.unavailable == {}
        assert [d.variant for d in res.drafts] == ["base", "rag", "pld", "lora"]
        evaluate(store, pack, cfg, variants=("base", "rag"), n=1, limit=2)
    assert no_network == [], f"outside connections attempted: {no_network}"
    # and the data directory is the user's alone
    loose = [p for p in Path(data_dir).rglob("*")
             if not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    assert loose == [], f"readable by others: {loose[:5]}"


def _unshare_works() -> str:
    """'' when ``unshare -n`` runs here, else why not."""
    import shutil
    import subprocess

    if not shutil.which("unshare"):
        return "unshare is not installed"
    r = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    return "" if r.returncode == 0 else f"unshare -n is not permitted here ({r.stderr.strip()[:80]})"


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["socket guard", "network namespace"])
def test_the_job_in_a_clean_environment_sends_nothing(isolation, tmp_path, shared_cache):
    """The job in its own process with none of the test suite's environment (no
    HF_HUB_OFFLINE, no telemetry switch: ownvoice must set its own), under the socket
    guard, and in the second case also inside a network namespace with no route out
    (`unshare -n`), so a connection below Python would fail too."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "tests.privacy_job", str(DEMO)]  # from the repo root (tests/trainer would shadow)
    if isolation == "network namespace":
        why = _unshare_works()
        if why:
            pytest.skip(why)
        cmd = ["unshare", "-n", *cmd]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8",
           "OWNVOICE_DATA_DIR": str(tmp_path / "data"), "OWNVOICE_CONFIG_DIR": str(tmp_path / "config"),
           "OWNVOICE_CACHE_DIR": str(shared_cache)}
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200,
                       cwd=str(Path(__file__).resolve().parents[1]))
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["attempts"] == [], f"outside connections attempted: {out['attempts']}"
    assert out["drafts"] == 1 and out["chars"] > 0
    assert out["hf_hub_offline"] == "1" and out["telemetry"] == "False"  # set by ownvoice itself
