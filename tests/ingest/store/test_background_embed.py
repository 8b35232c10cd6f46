"""Embedding what is read, when it is read (#18), through the real store and MiniLM.

An import embeds the reply pairs (what learning reads) and leaves the rest to the
background pass (``Store.embed_rest``): search over a half-done store answers from
the embedded part and says how much that is; the user's own messages come first; a
pass killed by SIGKILL and started again embeds every message exactly once; and the
gate makes the pass wait for foreground work and foreground work wait only for the
batch in flight.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ingest.kernel.errors import Cancelled
from ingest.kernel.jobs import CancelToken, Gate
from ingest.store.embed import get_embedder
from ingest.store.importer import run_import
from ingest.store.store import Store
from ingest.store.vectors import Alongside
from tests.ingest.store.test_import_standin import parser
from tests.ingest.store.test_store import ME, _msg

pytestmark = pytest.mark.slow  # MiniLM

ROOT = Path(__file__).resolve().parents[3]
TOPICS = ["gas storage report", "barn foundation pour", "Bramley apples bruised", "cider pressing dates",
          "invoice totals for March", "stall number at the fair", "orchard in Hereford", "yeast pitching"]


def _mail(n: int) -> str:
    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        out.append(_msg(f"m{i}@x", f"p{i % 7}@farm.example", topic,
                        f"Message {i} about the {topic}: could you check it and tell me by Friday? Thanks.", 1 + i % 27))
        if i % 4 == 0:
            out.append(_msg(f"r{i}@x", ME, f"Re: {topic}", f"Reply {i}: yes, the {topic} is in hand.", 2 + i % 27,
                            f"m{i}@x"))
    return "".join(out)


@pytest.fixture()
def store(tmp_path):
    (tmp_path / "mail.mbox").write_text(_mail(120))
    s = Store.open(tmp_path / "data", chroma_url="")
    run_import([tmp_path / "mail.mbox"], s, [ME], parser=parser(), alongside=False)  # all left to the pass
    yield s
    s.close()


def test_an_import_embeds_the_pairs_and_search_says_how_much_it_covers(store):
    pairs = store.reply_pairs()
    assert len(pairs) == 30 and store.vector_ids("pairs") == {p.id for p in pairs}  # learning can start
    cov = store.coverage()
    assert cov["messages"] == {"embedded": 0, "total": 150} and cov["share"] == 0.0 and cov["pending"] == 150
    assert store.search("apples", k=3) == []  # nothing embedded for search yet, and it says so
    cancel = CancelToken()
    done = []

    def stop_after_one_batch(p) -> None:  # noqa: ANN001
        done.append(p.done)
        cancel.cancel()

    with pytest.raises(Cancelled):  # after the first batch
        store.embed_rest(stop_after_one_batch, cancel, batch=40)
    cov = store.coverage()
    assert cov["messages"]["embedded"] == 40 and 0 < cov["share"] < 1
    own = {m.id for m in store.messages(own=True)}
    assert len(own) == 30 and own <= store.vector_ids("messages")  # the user's own first
    hits = store.search("Bramley apples bruised", k=5)
    assert hits and all(h.id in store.vector_ids("messages") for h in hits)
    store.embed_rest()
    assert store.coverage()["share"] == 1.0 and store.coverage()["pending"] == 0
    assert store.search("Bramley apples bruised", k=1)[0].message.subject == "Bramley apples bruised"


def test_an_import_embeds_the_newest_replies_and_the_pass_the_older_ones_first(tmp_path, monkeypatch):
    from app.coverage import describe

    monkeypatch.setattr(Store, "voice_pairs", 8)  # VOICE_PAIRS is 10,000: the same rule, smaller
    (tmp_path / "mail.mbox").write_text(_mail(120))
    with Store.open(tmp_path / "data", chroma_url="") as s:
        run_import([tmp_path / "mail.mbox"], s, [ME], parser=parser(), alongside=False)
        pairs = sorted(s.reply_pairs(), key=lambda p: p.date)
        got = s.vector_ids("pairs")
        assert len(pairs) == 30 and len(got) == 8
        assert min(p.date for p in pairs if p.id in got) >= max(p.date for p in pairs if p.id not in got)
        cov = s.coverage()
        assert cov["pairs"] == {"embedded": 8, "total": 30} and cov["remaining"] == 22 + 150
        assert "newest 8 of 30 replies" in describe(cov) and "Search covers 0%" in describe(cov)
        hits = s.similar_pairs("Bramley apples bruised", k=5)
        assert hits and all(p.id in got for p, _ in hits)  # retrieval reads what is embedded
        cancel = CancelToken()
        with pytest.raises(Cancelled):
            s.embed_rest(lambda p: cancel.cancel(), cancel, batch=22)
        cov = s.coverage()
        assert cov["pairs"]["embedded"] == 30 and cov["messages"]["embedded"] == 0  # older replies first
        assert "replies" not in describe(cov)
        s.embed_rest()
        assert s.coverage()["remaining"] == 0 and describe(s.coverage()) == ""


def test_a_later_import_embeds_its_new_replies_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(Store, "voice_pairs", 8)
    (tmp_path / "mail.mbox").write_text(_mail(120))
    late = (_msg("n1@x", "kit@pub.example", "perry order", "Ten cases of perry by Friday?", 28)
            + _msg("n2@x", ME, "Re: perry order", "Yes, ten cases of perry on Friday.", 28, "n1@x"))
    (tmp_path / "late.mbox").write_text(late)
    with Store.open(tmp_path / "data", chroma_url="") as s:
        run_import([tmp_path / "mail.mbox"], s, [ME], parser=parser(), alongside=False)
        run_import([tmp_path / "late.mbox"], s, [ME], parser=parser(), alongside=False)
        (new,) = [p for p in s.reply_pairs() if "perry" in p.reply_text]
        assert new.id in s.vector_ids("pairs")  # the newest reply: retrievable as soon as the import returns
        assert s.similar_pairs("cases of perry", k=1)[0][0].id == new.id


def test_alongside_embeds_the_pass_first_rows_and_the_pass_skips_them(tmp_path):
    (tmp_path / "mail.mbox").write_text(_mail(120))
    with Store.open(tmp_path / "data", chroma_url="") as s:
        run_import([tmp_path / "mail.mbox"], s, [ME], parser=parser(), alongside=False)
        side = s.alongside()  # as run_import drives it: step() between batches, close() at the end
        side.step(side.START_AFTER)  # as after 2,000 records parsed: the first batch goes to the worker
        assert side.close(wait=True) == 64
        embedded = {i for (i,) in s.db.execute("SELECT id FROM messages WHERE embedded = 1")}
        own = {m.id for m in s.messages(own=True)}
        assert len(embedded) == 64 and own <= embedded  # the user's own first
        assert s.vector_ids("messages") == embedded and s.coverage()["pending"] == 150 - 64
        metas = s._col("messages").get(ids=sorted(own), include=["metadatas"])["metadatas"]
        assert all(m["own"] for m in metas)
        seen: list[str] = []
        real = s.pending_vectors

        def spy(kind, limit=512, newest=None):  # noqa: ANN001, ANN202 - what the pass embeds after it
            rows = real(kind, limit, newest)
            seen.extend(i for i, _, _ in rows if kind == "messages")
            return rows

        s.pending_vectors = spy
        s.embed_rest()
        assert not set(seen) & embedded and len(seen) == 150 - 64  # nothing embedded twice
        assert s.coverage()["share"] == 1.0


def test_an_import_drives_alongside_from_its_batches(tmp_path, monkeypatch):
    (tmp_path / "mail.mbox").write_text(_mail(1200))  # 1,500 records in batches of 64: the worker gets turns
    monkeypatch.setattr(Alongside, "START_AFTER", 128)
    real_close = Alongside.close
    # the importer drops a batch still running at its end; waiting for it here makes the count exact
    monkeypatch.setattr(Alongside, "close", lambda self, wait=False, drop=False: real_close(self, True, drop))
    get_embedder().encode(["built"])  # the ONNX model exists (a first-ever import has no worker: side_embedder)
    with Store.open(tmp_path / "data", chroma_url="") as s:
        run_import([tmp_path / "mail.mbox"], s, [ME], parser=parser(), batch=64)
        embedded = {i for (i,) in s.db.execute("SELECT id FROM messages WHERE embedded = 1")}
        own = {m.id for m in s.messages(own=True)}
        assert len(embedded) >= 64 and len(embedded) % 64 == 0 and s.vector_ids("messages") == embedded
        metas = s._col("messages").get(ids=sorted(embedded), include=["metadatas"])
        assert {i for i, m in zip(metas["ids"], metas["metadatas"]) if m["own"]} == own & embedded
        s.embed_rest()
        assert s.coverage()["remaining"] == 0 and len(s.vector_ids("messages")) == s.count()


def test_alongside_lets_a_failing_worker_go_and_the_import_finish(tmp_path, monkeypatch):
    (tmp_path / "mail.mbox").write_text(_mail(1200))
    monkeypatch.setattr(Alongside, "START_AFTER", 128)
    real_init = Alongside.__init__

    def broken(self, store):  # noqa: ANN001, ANN202 - a worker whose embedder fails, as on a damaged model
        real_init(self, store)
        self.encode = lambda texts: (_ for _ in ()).throw(RuntimeError("bad model"))

    monkeypatch.setattr(Alongside, "__init__", broken)
    real_close = Alongside.close
    monkeypatch.setattr(Alongside, "close", lambda self, wait=False, drop=False: real_close(self, True, drop))
    calls = []
    real_write = Alongside._write
    monkeypatch.setattr(Alongside, "_write", lambda self: (calls.append(1), real_write(self)))
    with Store.open(tmp_path / "data", chroma_url="") as s:
        run_import([tmp_path / "mail.mbox"], s, [ME], parser=parser(), batch=64)
        assert s.coverage()["messages"]["embedded"] == 0 and len(s.reply_pairs()) == 300  # the import itself is whole
    assert len(calls) == 1  # after the failure nothing more was handed to the worker


def test_a_pass_killed_and_started_again_embeds_every_message_once(store, tmp_path):
    data = str(store.data_dir)
    store.close()
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from ingest.store.store import Store
        s = Store.open({data!r}, chroma_url="")
        def kill_after_two(p):
            if p.done >= 64:
                os.kill(os.getpid(), signal.SIGKILL)
        s.embed_rest(kill_after_two, batch=32)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == -9, r.stderr[-2000:]
    with Store.open(data, chroma_url="") as s:
        before = {i for (i,) in s.db.execute("SELECT id FROM messages WHERE embedded = 1")}
        assert len(before) == 64 and before <= s.vector_ids("messages")
        seen: list[str] = []
        real = s.pending_vectors

        def spy(kind, limit=512, newest=None):  # noqa: ANN001, ANN202 - the rows the second pass embeds
            rows = real(kind, limit, newest)
            if kind == "messages":
                seen.extend(i for i, _, _ in rows)
            return rows

        s.pending_vectors = spy
        s.embed_rest()
        everyone = {i for (i,) in s.db.execute("SELECT id FROM messages")}
        assert not set(seen) & before and len(seen) == len(set(seen)) == len(everyone) - len(before)
        assert s.vector_ids("messages") == everyone and s.coverage()["share"] == 1.0


def test_the_cli_import_finishes_the_pass_and_embed_resumes_one_stopped_early(tmp_path, capsys):
    from app.cli import main

    (tmp_path / "mail.mbox").write_text(_mail(40))
    data = str(tmp_path / "data")
    rc = main(["--data-dir", data, "import", str(tmp_path / "mail.mbox"), "--me", ME, "--voice-only", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["search_coverage"]["pending"] == 50 and out["voice_ready_s"] >= 0
    rc = main(["--data-dir", data, "search", "apples", "--json"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["coverage"]["share"] == 0.0
    rc = main(["--data-dir", data, "embed", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["embedded"] == 50 and out["coverage"]["share"] == 1.0
    (tmp_path / "more.mbox").write_text(_msg("late@x", "kit@pub.example", "perry order", "Ten cases of perry?", 28))
    rc = main(["--data-dir", data, "import", str(tmp_path / "more.mbox"), "--json"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["search_coverage"]["share"] == 1.0  # by default it runs


def test_the_gate_lets_foreground_work_run_alone():
    gate = Gate()
    log: list[str] = []
    in_batch = threading.Event()
    release = threading.Event()

    def background() -> None:
        with gate.background():
            log.append("batch 1 start")
            in_batch.set()
            release.wait(5)
            log.append("batch 1 end")
        time.sleep(0.05)
        with gate.background():  # waits while the foreground job runs
            log.append("batch 2")

    def foreground() -> None:
        with gate.foreground():
            log.append("job start")
            time.sleep(0.3)
            log.append("job end")

    bg = threading.Thread(target=background)
    bg.start()
    in_batch.wait(5)
    fg = threading.Thread(target=foreground)
    fg.start()
    time.sleep(0.1)
    assert log == ["batch 1 start"]  # the job waits for the batch in flight
    release.set()
    fg.join(5)
    bg.join(5)
    assert log == ["batch 1 start", "batch 1 end", "job start", "job end", "batch 2"]
