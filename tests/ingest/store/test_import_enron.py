"""Import allen-p's four real mboxes: identity, dedup, pairing, read-only, re-import.

Real parser (or its stand-in until it lands), real SQLite and chromadb in tmp_path; the
embedder is the hash fake (these tests are about counts and state; MiniLM is
exercised in test_store.py).
"""

from __future__ import annotations

import hashlib

import pytest

from ingest.store.importer import run_import
from ingest.store.ngrams import words
from ingest.store.store import Store
from tests.ingest.store.test_import_standin import parser, use_hash_embedder

ME = ["phillip.allen@enron.com"]
FILES = ["_sent_mail.mbox", "sent.mbox", "sent_items.mbox", "inbox.mbox"]


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def allen(corpora, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    use_hash_embedder(mp)
    root = corpora / "enron" / "allen-p"
    paths = [root / f for f in FILES]
    before = {p.name: _sha(p) for p in paths}
    store = Store.open(tmp_path_factory.mktemp("allen"), chroma_url="")
    result = run_import(paths, store, ME, parser=parser())
    yield store, result, paths, before
    store.close()
    mp.undo()


def _by_name(result):
    return {r.path.rsplit("/", 1)[-1]: r for r in result.reports}


def test_every_message_is_accounted_for(allen):
    _, result, paths, _ = allen
    for p, r in zip(paths, result.reports):
        froms = sum(1 for ln in p.read_bytes().splitlines() if ln.startswith(b"From "))
        assert r.seen == r.own + r.others + r.duplicates + len(r.skipped)
        assert r.seen >= froms - 2, (p.name, r.seen, froms)  # unescaped From lines in bodies


def test_own_vs_assistant_vs_others(allen):
    store, result, _, _ = allen
    ina = [m for m in store.messages() if m.sender == "ina.rangel@enron.com"]
    assert len(ina) >= 4 and any(m.sent_folder for m in ina)
    assert not any(m.own for m in ina)  # sent from Phillip's Sent folder, but not his voice
    own = list(store.messages(own=True))
    assert own and all(m.sender == "phillip.allen@enron.com" for m in own)
    assert store.count(own=True) == len(own) and store.count(own=False) == store.count() - len(own)
    rep = _by_name(result)
    assert rep["inbox.mbox"].own == 0 and rep["inbox.mbox"].others == rep["inbox.mbox"].seen
    assert "k..allen@enron.com" in rep["sent_items.mbox"].aliases
    assert "ina.rangel@enron.com" not in sum((r.aliases for r in result.reports), ())
    assert result.me == tuple(ME) and not result.me_inferred


def test_dedup_by_content_not_message_id(allen):
    store, result, _, _ = allen
    rep = _by_name(result)
    assert rep["sent.mbox"].duplicates >= 555
    mids = [m.message_id for m in store.messages()]
    assert len(set(mids)) == len(mids)  # each stored copy had its own Message-ID
    ids = [m.id for m in store.messages()]
    assert len(set(ids)) == len(ids) == store.count()
    assert store.count() == sum(r.own + r.others for r in result.reports)


def test_reply_pairs_recovered_from_quoted_originals(allen):
    store, result, _, _ = allen
    pairs = store.reply_pairs()
    quoted = [p for p in pairs if p.how == "quoted"]
    assert len(quoted) >= 20
    own_ids = {m.id for m in store.messages(own=True)}
    for p in quoted:
        assert p.reply_id in own_ids and p.message_id is None
        assert len(words(p.reply_text)) >= 3 and len(words(p.message_text)) >= 3
        assert p.message_text not in p.reply_text
        assert "Original Message" not in p.message_text and "Forwarded by" not in p.message_text
        assert not p.message_text.lstrip().lower().startswith(("from:", "to:", "subject:", ">"))
    assert len({p.id for p in pairs}) == len(pairs)
    dates = [p.date.timestamp() for p in pairs if p.date]
    assert dates == sorted(dates)
    assert sum(r.pairs for r in result.reports) == len(pairs)


def test_sources_are_only_read(allen):
    _, _, paths, before = allen
    assert {p.name: _sha(p) for p in paths} == before


def test_reimport_adds_nothing(allen):
    store, result, paths, _ = allen
    n, pairs = store.count(), len(store.reply_pairs())
    again = run_import(paths, store, ME, parser=parser())
    assert again.added == {} and len(again.unchanged) == len(paths)
    assert store.count() == n and len(store.reply_pairs()) == pairs
    assert [r.to_json() for r in again.reports] == [r.to_json() for r in result.reports]


def test_no_me_infers_the_user_from_sent_folders(corpora, tmp_path, monkeypatch):
    use_hash_embedder(monkeypatch)
    with Store.open(tmp_path / "d", chroma_url="") as store:
        res = run_import([corpora / "enron" / "allen-p" / "inbox.mbox",
                          corpora / "enron" / "allen-p" / "sent.mbox"], store, (), parser=parser())
        assert res.me_inferred and res.me == ("phillip.allen@enron.com",)
        assert store.count(own=True) > 500
        assert all(m.sender == "phillip.allen@enron.com" for m in store.messages(own=True))
