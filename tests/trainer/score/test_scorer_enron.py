"""The selection scorer and the voice judge on both Enron users, through the real
importer and Store (the hash embedder stands in for MiniLM: neither model reads
embeddings by default, and MiniLM would add minutes).

The floors are the figures measured on this data (bench/results/bench_scorer_auc-*.json)
less a margin of about 0.02, so a change that loses real accuracy fails here."""

from __future__ import annotations

import pytest

from ingest.store.importer import run_import
from ingest.store.store import Store
from tests.ingest.store.test_import_standin import use_hash_embedder
from trainer.learn import scorer_fit as FIT
from trainer.score import scorer as S

FILES = ("_sent_mail.mbox", "sent.mbox", "sent_items.mbox", "inbox.mbox")
PEOPLE = {"allen-p": ("phillip.allen@enron.com", "k..allen@enron.com"), "germany-c": ("chris.germany@enron.com",)}
# person: (scorer sentence AUC, scorer message AUC, judge sentence AUC, judge message AUC); measured
# 0.850 / 0.957 / 0.765 / 0.906 (allen-p) and 0.716 / 0.804 / 0.720 / 0.843 (germany-c)
FLOORS = {"allen-p": (0.83, 0.93, 0.74, 0.88), "germany-c": (0.69, 0.78, 0.70, 0.82)}


@pytest.fixture(scope="module", params=sorted(PEOPLE))
def fitted(request, corpora, tmp_path_factory):
    name = request.param
    mp = pytest.MonkeyPatch()
    use_hash_embedder(mp)
    root = corpora / "enron" / name
    store = Store.open(tmp_path_factory.mktemp(name), chroma_url="")
    try:
        run_import([root / f for f in FILES if (root / f).exists()], store, PEOPLE[name])
        corpus = FIT.collect(store)
        cut = FIT.holdout_cutoff(store)
        cache: dict = {}
        scorer = FIT.fit(corpus, family=S.SCORER_FAMILY, half=S.SCORER_HALF, test_after=cut, cache=cache)
        judge = FIT.fit(corpus, family=S.JUDGE_FAMILY, half=S.JUDGE_HALF, test_after=cut, cache=cache)
        yield name, corpus, scorer, judge
    finally:
        store.close()
        mp.undo()


@pytest.mark.corpora
@pytest.mark.slow
def test_held_out_aucs_hold_their_measured_floors(fitted):
    name, _, scorer, judge = fitted
    s_auc, s_msg, j_auc, j_msg = FLOORS[name]
    assert scorer.metrics["family"] == "lexical" and judge.metrics["family"] == "char"
    assert scorer.metrics["auc"] >= s_auc and scorer.metrics["auc_message"] >= s_msg
    assert judge.metrics["auc"] >= j_auc and judge.metrics["auc_message"] >= j_msg
    # both are measured on the same, whole newest fold
    assert scorer.metrics["n_test"] == judge.metrics["n_test"] > 500
    assert 0 <= scorer.metrics["ece"] <= 0.1 and 0 <= judge.metrics["ece"] <= 0.1


@pytest.mark.corpora
@pytest.mark.slow
def test_judge_and_scorer_share_no_training_sentence_or_thread(fitted):
    _, corpus, scorer, judge = fitted
    assert scorer.trained_on and judge.trained_on
    assert not scorer.trained_on & judge.trained_on
    s_threads = {corpus.threads[i] for i in scorer.trained_on} - {""}
    j_threads = {corpus.threads[i] for i in judge.trained_on} - {""}
    assert len(s_threads) > 50 and len(j_threads) > 50
    assert not s_threads & j_threads
    s_text = {corpus.texts[i] for i in scorer.trained_on}
    assert not s_text & {corpus.texts[i] for i in judge.trained_on}
