"""The evaluation harness over the real Store (demo archive), with drafting replaced by
a fake that implements ``trainer.draft.drafting.draft``'s interface, so that the expected
figures are known. The end-to-end run with the real model is in
tests/app/test_cli_score_eval.py."""

from __future__ import annotations

import csv

import pytest

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from trainer.draft import drafting
from trainer.draft.drafting import Draft, DraftResult
from trainer.evaluate import harness as E
from trainer.evaluate.report import write_report
from trainer.evaluate.stats import paired_gains
from trainer.learn import scorer_fit as FIT
from trainer.learn.routes import LearnContext
from trainer.score import scorer as S
from trainer.voicepack import VoicePack


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from ingest.store.store import Store
    from tests.trainer.score.demo_store import demo_data_dir

    data = demo_data_dir(tmp_path_factory.mktemp("eval") / "data")
    store = Store.open(data)
    pack = VoicePack.open(data)
    FIT.learn(LearnContext(store, pack, Config(), data))
    yield store, pack
    store.close()


def _fake_draft(store, leak_text):
    """Variants: "base" answers with another person's text, "rag" with the user's real
    reply (3 identical samples), "pld" pastes a rare sentence from another thread,
    "lora" is unavailable."""

    def draft(message, *, variants, n, store=None, pack=None, config=None, cancel=None, **kw):
        pairs = {p.message_id: p for p in store.reply_pairs() if p.message_id}
        real = pairs[message.id].reply_text if message.id in pairs else "Thanks."
        out, unavailable = [], {}
        for v in variants:
            if v == "lora":
                unavailable[v] = "no LoRA adapter trained yet"
                continue
            text = {"base": message.text, "rag": real, "pld": f"{real}\n\n{leak_text}"}[v]
            out += [Draft(v, i, text, 10, 0.1, 100.0, 50) for i in range(n)]
        return DraftResult(message, out, unavailable, model="fake")

    return draft


@pytest.mark.slow
def test_rows_unavailable_and_known_figures(demo, monkeypatch, tmp_path):
    store, pack = demo
    held = E.heldout_pairs(store, 0.1)
    threads = {p.thread for p in held}
    other = next(m for m in store.messages(own=False) if m.thread not in threads and len(m.text.split()) > 40)
    leak_text = max((s for s in other.text.replace("\n", " ").split(". ") if len(s.split()) >= 12),
                    key=len) + "."
    monkeypatch.setattr(drafting, "draft", _fake_draft(store, leak_text))
    rep = E.evaluate(store, pack, Config(), variants=["base", "rag", "pld", "lora"], n=3, limit=3)
    assert [r.variant for r in rep.rows] == ["real", "base", "rag", "pld"]
    assert rep.unavailable == {"lora": "no LoRA adapter trained yet"}
    real, base, rag, pld = (rep.row(v) for v in ("real", "base", "rag", "pld"))
    assert real.messages == 3 and rag.drafts == 9
    # the user's own reply, drafted 3 times, scores exactly as the ceiling row
    assert rag.acc == pytest.approx(real.acc) and rag.ic == pytest.approx(real.ic)
    assert rag.rc == 1.0 and rag.content == pytest.approx(1.0, abs=1e-5)
    assert rag.leak == pytest.approx(real.leak) and rag.length_ratio == pytest.approx(real.length_ratio)
    assert real.rc is None and real.content == pytest.approx(1.0, abs=1e-5)
    # someone else's text scores lower than the user's
    assert base.acc < real.acc and base.content < 0.99
    # ACC is the judge's (fitted on the other half of the threads); the selection scorer's sits beside it
    judge = S.VoiceScorer.load(pack, S.JUDGE_DIR)
    assert rep.judge["kind"] == S.judge_kind(judge) and rep.judge["auc"] == judge.metrics["auc"]
    from trainer.score.metrics import acc_atom, mean_or_none
    real_texts = [E.strip_quoted(p.reply_text) for p in held[-3:]]
    by_judge = mean_or_none(acc_atom([s.score for s in judge.score_text(t).scores]) for t in real_texts)
    by_scorer = mean_or_none(acc_atom([s.score for s in S.VoiceScorer.load(pack).score_text(t).scores])
                             for t in real_texts)
    assert real.acc == pytest.approx(by_judge) and real.acc_selection == pytest.approx(by_scorer)
    assert rag.acc_selection == pytest.approx(real.acc_selection)
    # the real reply against an identical draft is a tie (half); against someone else's text it mostly wins
    assert rag.real_above == pytest.approx(0.5) and base.real_above >= 0.5 and real.real_above is None
    assert rep.judge["pairwise_n"] > 0 and 0.0 <= rep.judge["pairwise"] <= 1.0
    assert rep.judge["agreement_n"] == 9  # three variants with drafts on three messages
    # the pasted sentence from another thread is caught
    assert pld.leak > 0
    files = write_report(rep, tmp_path / "rep")
    md = files["md"].read_text()
    assert "| real |" in md and "| base |" in md and "lora: no LoRA adapter" in md
    rows = list(csv.reader(files["csv"].open()))
    assert rows[0][:4] == ["variant", "acc", "ic", "rc"] and [r[0] for r in rows[1:]] == [
        "real", "base", "rag", "pld", "lora"]
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    j = rep.to_json()
    assert set(j["scorer"]) >= {"auc", "ece", "auc_message"} and j["rows"][0]["variant"] == "real"
    assert set(j["judge"]) >= {"kind", "pairwise"} and "acc_selection" in j["rows"][0]
    assert "ACC is the judge's" in md
    # paired against base, per message: rag (the user's own reply) gains content over base
    g = j["vs_base"]
    assert set(g) == {"rag", "pld"} and g["rag"]["content"]["messages"] == 3
    assert g["rag"]["content"]["mean"] == pytest.approx(rag.content - base.content, abs=1e-3)
    assert 0 < g["rag"]["content"]["lo"] <= g["rag"]["content"]["mean"] <= g["rag"]["content"]["hi"]
    assert "95% paired bootstrap interval" in md and "| rag | " in md.split("paired bootstrap")[1]


def test_paired_gains_tell_a_consistent_gain_from_noise():
    rng = __import__("random").Random(1)
    pm = []
    for i in range(30):
        b = rng.random()
        pm += [{"pair": i, "variant": "base", "acc": b, "content": b},
               {"pair": i, "variant": "pld", "acc": b + 0.05, "content": b + rng.uniform(-0.3, 0.3)},
               {"pair": i, "variant": "real", "acc": 1.0, "content": 1.0}]
    pm.append({"pair": 99, "variant": "pld", "acc": 0.0, "content": None})  # no base row: not paired
    g = paired_gains(pm)
    assert set(g) == {"pld"}
    acc, content = g["pld"]["acc"], g["pld"]["content"]
    assert acc["messages"] == 30 and content["messages"] == 30
    assert acc["mean"] == pytest.approx(0.05) and acc["lo"] == pytest.approx(0.05)  # the same gain everywhere
    assert content["lo"] < 0 < content["hi"]  # noise: the interval spans 0
    assert paired_gains(pm) == g  # seeded: the same interval every time


@pytest.mark.slow
def test_bad_arguments_are_user_errors(demo):
    store, pack = demo
    with pytest.raises(UserError, match="holdout"):
        E.heldout_pairs(store, 1.5)
    with pytest.raises(UserError, match="limit"):
        E.evaluate(store, pack, Config(), variants=["base"], n=1, limit=0)
    with pytest.raises(UserError, match="-n"):
        E.evaluate(store, pack, Config(), variants=["base"], n=0)
    with pytest.raises(UserError, match="Unknown variant"):
        E.evaluate(store, pack, Config(), variants=["nope"], n=1)


@pytest.mark.slow
def test_cancelled_eval_resumes_to_the_same_report(demo, monkeypatch, tmp_path):
    """A run cancelled after two messages, run again with the same settings, drafts only
    the rest and ends with exactly the uninterrupted run's rows; other settings start over."""
    from ingest.kernel.errors import Cancelled
    from ingest.kernel.jobs import CancelToken

    store, pack = demo
    fake = _fake_draft(store, "unused")
    calls: list[str] = []

    def counting(message, **kw):
        calls.append(message.id)
        return fake(message, **kw)

    monkeypatch.setattr(drafting, "draft", counting)
    kw = dict(variants=["base", "rag"], n=2, limit=4)
    whole = E.evaluate(store, pack, Config(), **kw)
    assert len(calls) == 4

    ckpt = tmp_path / "eval" / "checkpoint.json"
    cancel = CancelToken()

    def progress(p):
        if p.done == 2:
            cancel.cancel()

    calls.clear()
    with pytest.raises(Cancelled):
        E.evaluate(store, pack, Config(), **kw, checkpoint=ckpt, progress=progress, cancel=cancel)
    assert len(calls) == 2 and ckpt.exists()
    seen: list[str] = []
    calls.clear()
    resumed = E.evaluate(store, pack, Config(), **kw, checkpoint=ckpt, progress=lambda p: seen.append(p.message))
    assert len(calls) == 2, "only the two unfinished messages are drafted again"
    assert seen[0].startswith("resuming: 2 of 4")
    assert [r.to_json() for r in resumed.rows] == [r.to_json() for r in whole.rows]
    assert not ckpt.exists(), "a finished run removes its checkpoint"

    # a checkpoint from other settings is not mixed in
    calls.clear()
    cancel = CancelToken()
    with pytest.raises(Cancelled):
        E.evaluate(store, pack, Config(), **kw, checkpoint=ckpt, progress=progress, cancel=cancel)
    calls.clear()
    seen.clear()
    other = E.evaluate(store, pack, Config(), variants=["base", "rag"], n=1, limit=4, checkpoint=ckpt,
                       progress=lambda p: seen.append(p.message))
    assert len(calls) == 4 and "other settings" in seen[0]
    assert other.row("rag").drafts == 4

    # an edited style prompt (no manifest change) is another voice: not mixed in either
    calls.clear()
    cancel = CancelToken()
    with pytest.raises(Cancelled):
        E.evaluate(store, pack, Config(), **kw, checkpoint=ckpt, progress=progress, cancel=cancel)
    style = pack.path / "style_prompt.md"
    old = style.read_text() if style.exists() else None
    style.write_text("- Sign off with 'cheers, W.'\n")
    try:
        calls.clear()
        seen.clear()
        E.evaluate(store, pack, Config(), **kw, checkpoint=ckpt, progress=lambda p: seen.append(p.message))
        assert len(calls) == 4 and "other settings" in seen[0]
    finally:
        if old is None:
            style.unlink()
        else:
            style.write_text(old)


def test_each_held_out_message_gets_a_fence_fixed_by_seed_and_pair(demo, monkeypatch):
    store, pack = demo
    fake = _fake_draft(store, "unused")
    seen: list[tuple[str, str]] = []

    def spy(message, **kw):
        seen.append((message.id, kw["boundary"]))
        return fake(message, **kw)

    monkeypatch.setattr(drafting, "draft", spy)
    for seed in (0, 0, 1):
        E.evaluate(store, pack, Config(seed=seed), variants=["base"], n=1, limit=3)
    first, again, other = seen[:3], seen[3:6], seen[6:]
    assert first == again  # the same run twice: the same prompts
    assert len({b for _, b in first}) == 3  # one per message
    assert all(b1 != b2 for (_, b1), (_, b2) in zip(first, other))  # another seed, other fences
    assert all(len(b) == 12 and int(b, 16) >= 0 for _, b in first)


@pytest.mark.slow
def test_the_same_eval_twice_gives_the_same_table_with_the_real_model(demo):
    store, pack = demo
    cfg = Config(threads=1, max_tokens=32)
    runs = [E.evaluate(store, pack, cfg, variants=["base"], n=1, limit=2) for _ in range(2)]
    assert [r.to_json() for r in runs[0].rows] == [r.to_json() for r in runs[1].rows]
    assert [dict(m) for m in runs[0].per_message] == [dict(m) for m in runs[1].per_message]


@pytest.mark.slow
def test_a_toy_metric_is_one_line_in_the_table(demo, monkeypatch, tmp_path):
    """A new metric is its function and one line in ``trainer.evaluate.metrics``: the
    rows, the JSON, report.md and report.csv carry it with nothing else changed."""
    from trainer.evaluate import metrics as M

    store, pack = demo
    words = M.Metric("words", "words", "mean words per draft",
                     lambda c: sum(len(t.split()) for t in c.texts) / len(c.texts))  # the one line
    monkeypatch.setattr(M, "METRICS_TABLE", (*M.METRICS_TABLE, words))
    monkeypatch.setattr(drafting, "draft", _fake_draft(store, "x"))
    rep = E.evaluate(store, pack, Config(), variants=["base", "rag"], n=2, limit=2)
    real, rag = rep.row("real"), rep.row("rag")
    assert real.words == pytest.approx(rag.words) and real.words > 0  # rag drafts the real reply
    assert rep.row("base").words != real.words
    assert rep.to_json()["rows"][0]["words"] == round(real.words, 4)
    files = write_report(rep, tmp_path / "rep")
    assert "| real above | words | messages | drafts |" in files["md"].read_text()
    header = files["csv"].read_text().splitlines()[0].split(",")
    assert header[-3:] == ["words", "messages", "drafts"]
