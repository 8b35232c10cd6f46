"""The Store read API through the real parts: MiniLM, chromadb and SQLite in tmp_path.

A small hand-written mbox gives exact threads and replies (for pairs, threads and the
leak index); allen-p's real inbox (when the corpora are here) gives real mail to
search. Also: forget leaves no trace in the data dir's bytes, a second writer is
refused at once, and the data dir is private.
"""

from __future__ import annotations

import stat
from datetime import datetime, timezone

import numpy as np
import pytest

from ingest.kernel.errors import AlreadyRunning, UserError
from ingest.store.importer import run_import
from ingest.store.ngrams import words
from ingest.store.store import Store
from tests.ingest.store.test_import_standin import parser

pytestmark = pytest.mark.slow  # loads MiniLM (about 10 s alone, far more on a busy machine)

ME = "wren@cider.example"
COMMON = "please let me know if you have any questions about the invoice"
LEAK = "the contractor wants to pour the foundation for the new barn next week"
SECRET = "The zebra quartz lantern hums beneath seventeen copper violins tonight"


def _msg(mid, sender, subject, body, day, reply_to=""):
    hdr = (f"From {sender} Mon Jan  {day} 10:00:00 2001\nMessage-ID: <{mid}>\n"
           f"Date: Mon, {day} Jan 2001 10:00:00 +0000\nFrom: {sender}\nTo: {ME}\n"
           f"Subject: {subject}\n")
    if reply_to:
        hdr += f"In-Reply-To: <{reply_to}>\nReferences: <{reply_to}>\n"
    return hdr + "\n" + body + "\n\n"


MAIL = "".join([
    _msg("a1@x", "bob@gas.example", "storage report",
         "Could you send the quarterly gas storage report before Friday's meeting "
         f"with the Houston team? {COMMON}.", 1),
    _msg("a2@x", ME, "Re: storage report",
         "Sure, I will send the storage report on Thursday morning. Cheers, Wren", 2, "a1@x"),
    _msg("b1@x", "carol@farm.example", "barn",
         f"Hi Wren, {LEAK} if the weather holds. {COMMON}.", 3),
    _msg("b2@x", ME, "Re: barn", "Great, go ahead with the pour as long as it stays dry.", 4,
         "b1@x"),
    _msg("c1@x", "dave@cider.example", "apples",
         f"The Bramley apples arrived bruised, we need a new supplier. {COMMON}.", 5),
    _msg("c2@x", ME, "Re: apples", "Let us try the orchard in Hereford for the next pressing.",
         6, "c1@x"),
])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    (root / "mixed.mbox").write_text(MAIL)
    (root / "secret.mbox").write_text(_msg("s1@x", "eve@spy.example", "note", SECRET + ".", 7))
    (root / "docs").mkdir()
    (root / "docs" / "pressing.txt").write_text(
        "Pressing notes\n\nThe Hereford orchard sent forty crates of Kingston Black for the "
        "autumn pressing. We keep the juice cold for two days before pitching the yeast.\n")
    s = Store.open(root / "data", chroma_url="")
    res = run_import([root / "mixed.mbox", root / "secret.mbox", root / "docs"], s, [ME],
                     parser=parser())
    s.embed_rest()  # the search pass, which an import leaves for later (tests/ingest/store/test_background_embed.py)
    assert res.reports[2].documents == 1 and res.reports[2].own == 1 == res.reports[2].seen
    yield s
    s.close()


def test_messages_get_and_threads(store):
    msgs = list(store.messages())
    assert [m.message_id for m in msgs][:6] == ["a1@x", "a2@x", "b1@x", "b2@x", "c1@x", "c2@x"]
    assert [m.own for m in msgs[:6]] == [False, True] * 3
    assert store.get(msgs[1].id) == msgs[1]
    assert store.by_message_id("<b2@x>").text.startswith("Great")
    assert store.get("nope") is None and store.by_message_id("nope@x") is None
    assert msgs[0].thread == msgs[1].thread != msgs[2].thread
    assert [m.message_id for m in store.thread(msgs[1])] == ["a1@x"]
    assert store.thread(msgs[0]) == []


def test_pairs_by_headers(store):
    pairs = store.reply_pairs()
    assert [(p.how, p.message_sender) for p in pairs] == [
        ("headers", "bob@gas.example"), ("headers", "carol@farm.example"),
        ("headers", "dave@cider.example")]
    assert pairs[1].message_id == store.by_message_id("b1@x").id
    assert pairs[1].reply_text.startswith("Great")


def test_similar_pairs_real_minilm(store):
    res = store.similar_pairs("When will the gas storage numbers be ready?", k=2)
    assert res[0][0].message_sender == "bob@gas.example" and res[0][1] > res[1][1]
    v = store.embed(["When will the gas storage numbers be ready?"])
    assert v.shape == (1, 384) and abs(float((v ** 2).sum()) - 1) < 1e-4
    bob = res[0][0]
    others = store.similar_pairs("When will the gas storage numbers be ready?", k=3,
                                 exclude_thread=bob.thread)
    assert bob.id not in {p.id for p, _ in others} and len(others) == 2
    assert bob.id not in {p.id for p, _ in store.similar_pairs("gas storage", k=3,
                                                                exclude_ids=[bob.reply_id])}
    early = store.similar_pairs("gas storage", k=3,
                                before=datetime(2001, 1, 3, tzinfo=timezone.utc))
    assert [p.id for p, _ in early] == [bob.id]


def test_search_real_minilm(store):
    hits = store.search("foundation for a barn", k=3)
    assert hits[0].kind == "message" and hits[0].message.sender == "carol@farm.example"
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    mine = store.search("foundation for a barn", k=3, mine=True)
    assert mine and all(h.kind == "document" or h.message.own for h in mine)
    doc = store.search("how long is the cider juice kept cold before the yeast?", k=1)
    assert doc[0].kind == "document" and "Kingston Black" in doc[0].text
    assert [d.kind for d in store.documents()] == ["txt"]


def test_rare_runs(store):
    barn = store.by_message_id("b1@x").thread
    apples = store.by_message_id("c1@x").thread
    draft = "Thanks for writing. By the way " + LEAK + " so plan for it."
    spans = store.rare_runs(draft, exclude_thread=apples)
    toks = words(draft)
    assert len(spans) == 1
    s, e = spans[0]
    assert " ".join(toks[s:e]) == " ".join(words(LEAK))
    assert store.rare_runs(draft, exclude_thread=barn) == []  # the run's own thread
    assert store.rare_runs("Do write back: " + COMMON + ".") == []  # in 3 messages: common
    assert store.rare_runs(COMMON, max_docs=3) != []
    assert store.rare_runs("short words only") == []


def test_forget_leaves_no_trace(tmp_path):
    (tmp_path / "mixed.mbox").write_text(MAIL)
    (tmp_path / "secret.mbox").write_text(_msg("s1@x", "eve@spy.example", "note", SECRET + ".", 7))
    data = tmp_path / "data"
    with Store.open(data, chroma_url="") as s:
        run_import([tmp_path / "mixed.mbox", tmp_path / "secret.mbox"], s, [ME], parser=parser())
        s.embed_rest()
        assert any("zebra" in h.text for h in s.search("zebra quartz lantern", k=3))
        assert s.rare_runs(SECRET) != []
        n = s.count()
        (sid,) = [m.id for m in s.messages() if m.sender == "eve@spy.example"]
        got = s._col("messages").get(ids=[sid], include=["embeddings"])
        vector = np.asarray(got["embeddings"][0], np.float32).tobytes()
        assert s.forget(tmp_path / "secret.mbox") == 1
        assert s.count() == n - 1
        assert not any("zebra" in h.text for h in s.search("zebra quartz lantern", k=10))
        assert s.rare_runs(SECRET) == []
        assert [i.path for i in s.sources()] == [str((tmp_path / "mixed.mbox").resolve())]
        with pytest.raises(UserError):
            s.forget(tmp_path / "secret.mbox")
    # chroma only marks a deleted vector deleted (HNSW files, its log, free SQLite pages):
    # forget copies the kept ones into a new folder, so the vector and its id are gone too
    needles = [SECRET.encode(), b"zebra quartz", b"eve@spy.example", "zebra quartz".encode("utf-16-le"),
               sid.encode(), vector[:256], vector[-256:]]
    assert len([p for p in data.iterdir() if p.name.startswith("chroma")]) == 1
    for f in data.rglob("*"):
        if f.is_file():
            blob = f.read_bytes()
            assert not any(nd in blob for nd in needles), f
    assert b"Bramley apples" in (data / "state.sqlite").read_bytes()  # the scan can see text


def test_second_writer_is_refused_and_dir_is_private(store, tmp_path):
    (tmp_path / "m.mbox").write_text(MAIL)
    with store.lock:  # flock is per open file: a second Store is a second writer
        other = Store.open(store.data_dir, chroma_url="")
        try:
            with pytest.raises(AlreadyRunning, match="already running"):
                run_import([tmp_path / "m.mbox"], other, [ME], parser=parser())
            with pytest.raises(AlreadyRunning):
                other.forget(next(iter(other.sources())).path)
        finally:
            other.close()
    assert stat.S_IMODE(store.data_dir.stat().st_mode) == 0o700
    for f in store.data_dir.rglob("*"):
        if f.is_file():
            assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f


def test_forget_rebuilds_vectors_and_the_store_reopens(tmp_path):
    """After the rebuild the store reopens on the new folder with every kept vector, and a
    folder left by a killed rebuild is deleted on open; folders that are not ownvoice's
    stay."""
    (tmp_path / "mixed.mbox").write_text(MAIL)
    (tmp_path / "secret.mbox").write_text(_msg("s1@x", "eve@spy.example", "note", SECRET + ".", 7))
    data = tmp_path / "data"
    with Store.open(data, chroma_url="") as s:
        run_import([tmp_path / "mixed.mbox", tmp_path / "secret.mbox"], s, [ME], parser=parser())
        s.embed_rest()
        s.forget(tmp_path / "secret.mbox")
        kept = {k: s.vector_ids(k) for k in ("messages", "pairs")}
    (data / "chroma-0badf00d").mkdir()  # an unfinished rebuild
    (data / "chroma-notes").mkdir()  # not a name ownvoice gives
    with Store.open(data, chroma_url="") as s:
        assert {k: s.vector_ids(k) for k in ("messages", "pairs")} == kept and kept["messages"]
        assert any("Bramley" in h.text for h in s.search("Bramley apples", k=3))
    assert not (data / "chroma-0badf00d").exists() and (data / "chroma-notes").is_dir()
