"""PLD end to end through the real parts: the demo archive in a real store, the
embedded SmolLM2 as teacher and student, the fitted voice scorer, the voice pack."""

from __future__ import annotations

import json

import pytest

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from tests.conftest import DEMO_ME
from trainer.learn.pld import learn
from trainer.learn.pld.profile import profile
from trainer.learn.routes import LearnContext
from trainer.voicepack import VoicePack

OPTS = {"explain_pairs": 3, "validation": 2, "rounds": 2, "max_tokens": 40, "explain_tokens": 32,
        "budget_tokens": 250, "scorer_embeddings": False}


def _ctx(store, tmp_path, **opts):
    cfg = Config(threads=1, me=DEMO_ME)  # one thread: llama.cpp's spin-waits crawl on a busy machine
    return LearnContext(store=store, pack=VoicePack.open(tmp_path), config=cfg, data_dir=tmp_path,
                        options={**OPTS, **opts})


@pytest.mark.slow
def test_profile_through_the_real_store_shows_wrens_habits(demo_store):
    p = profile(demo_store)
    assert p.sign_offs[0][0] == "cheers, W."
    assert {g for g, _, _ in p.greetings} == {"Hiya {name},", "{name} —"}
    assert p.n_documents >= 1
    assert "right then" in [ph for ph, _, _ in p.phrases]


@pytest.mark.slow
def test_learn_end_to_end_with_the_embedded_model(demo_store, tmp_path):
    from trainer.learn import scorer_fit as FIT

    ctx = _ctx(demo_store, tmp_path)
    FIT.learn(ctx)  # the scorer route runs first in `learn`; PLD's loop uses it
    events = []
    res = learn(ctx, events.append)

    assert {e.stage for e in events} >= {"profile", "explain", "cluster", "loop"}
    assert res["scorer"] == "voice"
    kept = res["rounds"]
    assert 2 <= len(kept) <= 3 and kept == sorted(kept)  # the kept prompt never scores lower
    log = res["round_log"]
    # kept only when it scores better; a better mean is dropped only with the reason said
    # (content fell, or a gain within the noise of the validation drafts)
    assert all(r["candidate_score"] is None
               or (r["kept"] and r["candidate_score"] > log[i]["kept_score"])
               or (not r["kept"] and (r["candidate_score"] <= log[i]["kept_score"]
                                      or "content fell" in r["note"] or "noise" in r["note"]))
               for i, r in enumerate(log[1:]))
    assert res["no_style"]["content"] is not None and res["guard_steps"]
    assert sum(1 for g in res["guard_steps"] if g["kept"]) == 1
    assert 0 < res["prompt_tokens"] <= 250
    assert res["pairs"] == {"explained": 3, "validation": 2, "held_out": 7}
    rej = res["rejected"]
    assert res["rules"] + rej["explain"] == 3  # every explained pair gave a rule or a recorded rejection
    assert rej["count"] == rej["explain"] + rej["revision"] == sum(rej["by_reason"].values())
    assert len(rej["examples"]) == min(5, rej["count"]) and all(e["reason"] for e in rej["examples"])

    md = (ctx.pack.path / "style_prompt.md").read_text(encoding="utf-8")
    assert 'Sign off with "cheers, W."' in md
    assert json.loads((ctx.pack.path / "profile.json").read_text())["sign_offs"][0][0] == "cheers, W."
    entry = ctx.pack.route("pld")
    assert entry["prompt_sha256"] == res["prompt_sha256"] and entry["rounds"] == kept

    # the user edits the prompt: the next learn keeps it (explanations come from the cache)
    edited = md.replace("Avoid exclamation marks.", "Avoid exclamation marks, always.")
    (ctx.pack.path / "style_prompt.md").write_text(edited, encoding="utf-8")
    again = learn(_ctx(demo_store, tmp_path, rounds=0))
    assert again["kept_user_edit"] and again["proposed"]
    assert (ctx.pack.path / "style_prompt.md").read_text(encoding="utf-8") == edited


def test_a_url_teacher_without_the_opt_in_stops_before_any_work(tmp_path):
    class NoStore:  # touching the store at all would fail the test
        def __getattr__(self, name):
            raise AssertionError(f"store.{name} used before the teacher check")

    ctx = LearnContext(store=NoStore(), pack=VoicePack.open(tmp_path), config=Config(), data_dir=tmp_path,
                       options={"teacher": "https://llm.example.com/v1"})
    with pytest.raises(UserError, match="would be sent"):
        learn(ctx)


def test_a_store_without_the_users_writing_is_a_user_error(tmp_path):
    class EmptyStore:  # the Store read API, with nothing of the user's in it
        def messages(self, own=None, source=None):
            return iter(())

        def documents(self):
            return iter(())

        def reply_pairs(self, source=None):
            return []

    ctx = LearnContext(store=EmptyStore(), pack=VoicePack.open(tmp_path), config=Config(), data_dir=tmp_path,
                       options={})
    with pytest.raises(UserError, match="none of your own writing"):
        learn(ctx)
