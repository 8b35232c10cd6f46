"""The voice scorer on real mail: it tells allen-p from others, saves safely, and
its learn route runs through the real Store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from trainer.learn import scorer_fit as FIT
from trainer.learn.routes import LearnContext
from trainer.score import features as F
from trainer.score import scorer as S
from trainer.score.atoms import sentences
from trainer.voicepack import VoicePack

from tests.trainer.score.mboxstore import allen_store, germany_sentences


@pytest.fixture(scope="module")
def allen(corpora):
    store = allen_store(corpora)
    corpus = FIT.collect(store)
    return store, corpus, FIT.fit(corpus)


def _auc(pos, neg):
    return F.auc(np.r_[pos, neg], np.r_[np.ones(len(pos)), np.zeros(len(neg))])


@pytest.mark.corpora
def test_scorer_separates_allen_from_germany_and_from_his_inbox(allen, corpora):
    store, corpus, sc = allen
    _, _, test = FIT.split_by_date(corpus.when, corpus.labels)
    own_test = [corpus.texts[i] for i in test if corpus.labels[i] == 1]
    inbox = {s for m in store.messages(own=False) for s in sentences(m.text)}
    inbox_test = [corpus.texts[i] for i in test if corpus.labels[i] == 0 and corpus.texts[i] in inbox]
    germany = germany_sentences(corpora, limit=1500)
    assert len(own_test) > 100 and len(inbox_test) > 50 and len(germany) > 500
    p_own = sc.probabilities(own_test)
    # measured on this data: 0.77 vs allen-p's held-out inbox, 0.72 vs germany-c (never seen)
    assert _auc(p_own, sc.probabilities(inbox_test)) >= 0.68
    assert _auc(p_own, sc.probabilities(germany)) >= 0.64
    # the reported held-out figures are those of the newest fold, and calibrated
    assert sc.metrics["auc"] >= 0.68 and sc.metrics["ece"] <= 0.1
    assert sc.metrics["n_test"] == len(test)


@pytest.mark.corpora
def test_saved_scorer_has_no_pickle_and_round_trips(allen, tmp_path):
    _, corpus, sc = allen
    pack = VoicePack.open(tmp_path, "p")
    folder = sc.save(pack)
    npys = sorted(folder.glob("*.npy"))
    assert {p.name for p in npys} == {"coef.npy", "idf_word.npy", "shape_mu.npy", "shape_sd.npy"}
    for p in npys:
        arr = np.load(p, allow_pickle=False)
        assert arr.dtype == np.float32
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.joblib"))
    meta = json.loads((folder / "scorer.json").read_text())
    assert meta["format"] == "ownvoice-scorer" and meta["version"] == 2 and meta["family"] == "lexical"
    again = S.VoiceScorer.load(pack)
    texts = corpus.texts[:300]
    assert np.array_equal(again.probabilities(texts), sc.probabilities(texts))
    d1, d2 = sc.score_text("Hi John,\n\nSend me the file today.\n\nThanks,\nPhillip"), \
        again.score_text("Hi John,\n\nSend me the file today.\n\nThanks,\nPhillip")
    assert d1 == d2 and [a.kind for a in d1.atoms] == ["greeting", "sentence", "signoff"]
    assert all(1 <= s.score <= 5 and s.score == pytest.approx(1 + 4 * s.p) for s in d1.scores)


def test_damaged_or_missing_scorer_is_a_user_error(tmp_path):
    pack = VoicePack.open(tmp_path, "p")
    with pytest.raises(UserError, match="ownvoice learn"):
        S.VoiceScorer.load(pack)
    d = pack.path / "scorer"
    d.mkdir()
    (d / "scorer.json").write_text(json.dumps({"format": "ownvoice-scorer", "version": 1, "analyzer": F.ANALYZER,
                                               "n_features": F.N_FEATURES,
                                               "ngram": list(F.NGRAM), "char_b": 0, "platt": [1, 0]}))
    np.save(d / "idf.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)  # a pickle in disguise
    np.save(d / "char_coef.npy", np.zeros(F.N_FEATURES, np.float32))
    with pytest.raises(UserError, match="damaged"):
        S.VoiceScorer.load(pack)


def test_too_little_mail_is_a_user_error():
    c = FIT.Corpus(["I write this."] * 5 + ["They wrote that."] * 5, np.array([1] * 5 + [0] * 5, np.int8),
                 np.arange(10, dtype=float))
    with pytest.raises(UserError, match="Too little mail"):
        FIT.fit(c)


@pytest.mark.slow
def test_learn_route_through_the_real_store_with_embeddings(tmp_path):
    from ingest.store.store import Store
    from tests.trainer.score.demo_store import demo_data_dir

    data = demo_data_dir(tmp_path / "data")
    with Store.open(data) as store:
        pack = VoicePack.open(data)
        ctx = LearnContext(store, pack, Config(), data)
        entry = FIT.learn(ctx)
        # measured on the demo archive, held out by date: AUC 0.888, ECE 0.169 (the lexical
        # scorer calibrated on half the threads of a small archive: a few hundred sentences)
        assert entry["auc"] >= 0.8 and 0 <= entry["ece"] <= 0.2
        assert pack.route("scorer")["auc"] == entry["auc"]
        sc = S.VoiceScorer.load(pack)
        assert sc.typical_words and not sc.has_embeddings and sc.family == "lexical"
        # the judge: saved beside it, another family, measured on the same test fold
        judge = S.VoiceScorer.load(pack, S.JUDGE_DIR)
        assert judge.family == "char" and entry["judge"]["kind"].startswith("char")
        assert entry["judge"]["auc"] == judge.metrics["auc"] and judge.metrics["n_test"] == sc.metrics["n_test"]
        assert entry["auc_message"] is not None and 0.5 <= entry["auc_message"] <= 1.0
        # the embedding half of the model, on a small slice (MiniLM is slow here)
        corpus = FIT.collect(store)
        own, oth = np.flatnonzero(corpus.labels == 1), np.flatnonzero(corpus.labels == 0)
        idx = np.r_[own[np.linspace(0, len(own) - 1, 90).astype(int)],
                    oth[np.linspace(0, len(oth) - 1, 90).astype(int)]]  # spread over the dates
        small = FIT.Corpus([corpus.texts[i] for i in idx], corpus.labels[idx], corpus.when[idx])
        full = FIT.fit(small, embed=store.embed)
        assert full.has_embeddings and full.metrics["embeddings"] is True
        assert 0.0 <= full.metrics["auc"] <= 1.0 and full.metrics["auc_fast"] >= 0.6
        full.save(pack)
        again = S.VoiceScorer.load(pack)
        texts = small.texts[:20]
        p_full = again.probabilities(texts, embed=store.embed)
        assert np.allclose(p_full, full.probabilities(texts, embed=store.embed), atol=1e-6)
        assert not np.allclose(p_full, again.probabilities(texts, fast=True))


def _synthetic(n_own: int, n_others: int, seed: int):
    """Sentences in two styles: the user's (lower case, "grand", dashes) and everyone
    else's (formal), drawn at random from shared topic words; no dates."""
    rng = np.random.default_rng(seed)
    topics = ["the order", "the delivery", "the invoice", "the fair", "the pitch", "the cases", "the tasting",
              "the orchard", "the van", "the price list"]
    own_forms = ["grand - {t} is sorted", "ta, {t} can wait till friday", "{t}? no bother - shout if not",
                 "right then, {t} goes out monday", "cheers for {t} - all good here"]
    other_forms = ["Please find the details regarding {t} attached.", "We would appreciate an update on {t}.",
                   "Kindly confirm {t} at your earliest convenience.", "I am writing in respect of {t}.",
                   "Could you advise on the status of {t}?"]

    def draw(forms, n):
        return [forms[rng.integers(len(forms))].format(t=topics[rng.integers(len(topics))]) for _ in range(n)]

    texts = draw(own_forms, n_own) + draw(other_forms, n_others)
    labels = np.array([1] * n_own + [0] * n_others)
    # overlap: some of each side written the other's way, so p is not 0 or 1
    flip = rng.random(len(texts)) < 0.2
    texts = [draw(other_forms, 1)[0] if (f and y) else draw(own_forms, 1)[0] if f else t
             for t, y, f in zip(texts, labels, flip)]
    return FIT.Corpus(texts=texts, labels=labels, when=np.full(len(texts), -np.inf))


def test_calibration_is_at_an_equal_prior_whatever_the_archive_ratio():
    """1 own sentence to 9 others', and 1 to 1: the same sentence gets the same p. The
    tolerance (0.1 mean absolute difference) is twice the spread between two 1:1 fits on
    other draws of the same styles (0.05 measured at this size); calibrating at the
    archive's own prior, as before, moves p by far more (checked below, so the test can
    fail)."""
    probe = ["grand - the van is sorted", "Kindly confirm the order at your earliest convenience.",
             "ta, the fair can wait till friday", "We would appreciate an update on the pitch.",
             "right then, the invoice goes out monday"]
    even = FIT.fit(_synthetic(2000, 2000, 1))
    skew_corpus = _synthetic(2000, 18000, 3)
    skew = FIT.fit(skew_corpus)
    p_even, p_skew = np.asarray(even.probabilities(probe)), np.asarray(skew.probabilities(probe))
    assert float(np.abs(p_even - p_skew).mean()) <= 0.1
    assert skew.metrics["calibration"] == "equal prior" and skew.metrics["ece"] <= 0.1
    # the archive-prior Platt fit (unweighted) on the skewed corpus: p carries the 1:9 base rate
    from sklearn.linear_model import LogisticRegression

    _, cal, _ = FIT.split_by_date(skew_corpus.when, skew_corpus.labels)
    z = np.asarray(skew.linear_logits([skew_corpus.texts[i] for i in cal]))
    m = LogisticRegression(C=1e4, max_iter=1000).fit(z[:, None], skew_corpus.labels[cal])
    p_prior = 1 / (1 + np.exp(-(m.coef_[0][0] * np.asarray(skew.linear_logits(probe)) + m.intercept_[0])))
    assert float(np.abs(p_even - p_prior).mean()) > 0.2


def test_a_version_1_scorer_still_loads_as_char_ngrams(tmp_path):
    """Packs learned before the judge existed keep working (as a char-n-gram model)."""
    c = _synthetic(300, 300, 5)
    sc = FIT.fit(c, family="char")
    pack = VoicePack.open(tmp_path, "p")
    d = pack.path / "scorer"
    d.mkdir(parents=True)
    np.save(d / "idf.npy", sc.features.idf["char"])
    np.save(d / "char_coef.npy", sc.coef)
    (d / "scorer.json").write_text(json.dumps({
        "format": "ownvoice-scorer", "version": 1, "analyzer": F.ANALYZER, "n_features": F.N_FEATURES,
        "ngram": list(F.NGRAM), "char_b": sc.b, "platt": list(sc.platt)}))
    old = S.VoiceScorer.load(pack)
    assert old.family == "char"
    assert np.allclose(old.probabilities(c.texts[:50]), sc.probabilities(c.texts[:50]), atol=1e-6)


def test_halves_split_by_thread_and_fit_only_their_half():
    c = _synthetic(600, 600, 7)
    threads = [f"thread-{i % 40}" for i in range(len(c.texts))]
    when = np.random.default_rng(0).permutation(len(c.texts)).astype(float)  # both kinds in every fold
    c = FIT.Corpus(c.texts, c.labels, when, threads=threads)
    a = FIT.fit(c, family="lexical", half=0)
    b = FIT.fit(c, family="char", half=1)
    ta, tb = {threads[i] for i in a.trained_on}, {threads[i] for i in b.trained_on}
    assert ta and tb and not ta & tb
    assert all(FIT.thread_half(t) == 0 for t in ta) and all(FIT.thread_half(t) == 1 for t in tb)
    assert a.metrics["n_test"] == b.metrics["n_test"]  # the same newest fold


@pytest.mark.slow
def test_learn_holds_the_write_lock_so_a_second_writer_is_refused(tmp_path):
    """Two learns (or a learn and an import) on one data dir would race on the voice
    pack's manifest: learn takes the store's write lock, and a writer meanwhile gets
    AlreadyRunning at once."""
    from ingest.kernel.errors import AlreadyRunning
    from ingest.store.store import Store
    from tests.trainer.score.demo_store import demo_data_dir
    from trainer.learn.routes import learn

    data = demo_data_dir(tmp_path / "data")
    with Store.open(data) as store, Store.open(data) as other:
        ctx = LearnContext(store, VoicePack.open(data), Config(), data)
        with other.lock:  # another process importing, say
            with pytest.raises(AlreadyRunning, match="learning"):
                learn(["scorer"], ctx)
        seen = []

        def progress(p):
            if not seen:  # while learn runs, a second writer is refused
                with pytest.raises(AlreadyRunning):
                    with other.lock:
                        pass
                seen.append(p)

        learn(["scorer"], ctx, progress=progress)
        assert seen and VoicePack.open(data).route("scorer")["auc"] > 0.5


def test_collect_keeps_the_user_at_another_address_out_of_the_negatives(tmp_path):
    """The user's own earlier text quoted in their mail, and mail from their other
    address, are neither the user's evidence nor other people's sentences (Chris
    Germany's archive holds both); other people's quoted text stays a negative.
    Through the real importer and Store."""
    from ingest.store.importer import run_import
    from ingest.store.store import Store

    def msg(sender, subject, date, body):
        return (f"From x@x Mon Apr 15 09:00:00 2002\nFrom: {sender}\nTo: sam@example.com\nSubject: {subject}\n"
                f"Date: {date}\nMessage-ID: <{abs(hash(body))}@example.com>\n\n{body}\n\n")

    sent = msg("Robin Lee <robin.lee@work.example>", "RE: file", "Mon, 15 Apr 2002 09:00:00 -0500",
               "Here it is.\n\n-----Original Message-----\nFrom: Sam Ode\nSent: Monday\nTo: Lee, Robin\n"
               "Subject: file\n\nCan you send the file?\n\n-----Original Message-----\n"
               "From: Robin Lee [mailto:robin61@home.example]\nSent: Sunday\nTo: Sam Ode\nSubject: file\n\n"
               "My home line is down today.")
    inbox = msg("Robin Lee <robin61@home.example>", "milk", "Tue, 16 Apr 2002 09:00:00 -0500",
                "Pick up milk on the way home.")
    (tmp_path / "Sent.mbox").write_text(sent)
    (tmp_path / "Inbox.mbox").write_text(inbox)
    with Store.open(tmp_path / "data") as store:
        run_import([tmp_path / "Sent.mbox", tmp_path / "Inbox.mbox"], store, me=("robin.lee@work.example",))
        corpus = FIT.collect(store)
    label = dict(zip(corpus.texts, corpus.labels.tolist()))
    assert label.get("Here it is.") == 1 and label.get("Can you send the file?") == 0
    assert "My home line is down today." not in label  # her own words, quoted from her home address
    assert "Pick up milk on the way home." not in label  # mail from her home address
