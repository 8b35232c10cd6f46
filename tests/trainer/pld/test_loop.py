"""The closed loop: kept only on improvement, failures go to the teacher WITH successes, budget held.

The fast tests drive ``run_loop`` with a scripted teacher and a scripted scorer that
implement the real interfaces; test_learn.py runs the loop through the real model.
"""

from __future__ import annotations

from ingest.records import ReplyPair
from trainer.pld.loop import run_loop
from trainer.pld.rules import Rule
from trainer.pld.teacher import approx_tokens

VAL = [ReplyPair(reply_id=f"r{i}", message_id=None, message_text=f"Question {i}?", message_sender="a@b.example",
                 message_subject="s", reply_text=f"Real answer {i} — cheers, W.", date=None) for i in range(4)]
PROFILE = [Rule('Sign off with "cheers, W.".', "profile", "69%", 10), Rule("Join thoughts with dashes.", "profile", "", 4)]


class Teacher:
    name, capable, remote = "scripted", False, False

    def __init__(self, answers):
        self.answers, self.seen = list(answers), []

    def complete(self, messages, **kw):
        self.seen.append(messages[-1]["content"])
        return kw.get("prefix", "") + self.answers[min(len(self.seen), len(self.answers)) - 1]


def draft_fn(prompt, pair):
    return prompt + f"\n(answer to {pair.message_text})"


def score_fn(draft):
    # a scorer that likes drafts whose prompt mentions dashes and short answers; pair 0 always fails
    s = 0.25 + 0.25 * ("dash" in draft) + 0.5 * ("Answer briefly" in draft)
    return 0.0 if "Question 0" in draft else min(1.0, s)


def test_revision_kept_only_when_fidelity_improves_and_successes_are_shown():
    teacher = Teacher(["Answer briefly, in two sentences.\n- Thank Zed for writing.",  # round 1: better
                       "Use a formal tone."])  # round 2: worse -> dropped, loop stops
    res = run_loop(PROFILE, [], VAL, draft_fn=draft_fn, score_fn=score_fn, teacher=teacher, rounds=3,
                   budget_tokens=200, count=approx_tokens)
    kept = [r.kept_score for r in res.rounds]
    assert kept == sorted(kept) and kept[1] > kept[0]
    assert [r.kept for r in res.rounds] == [True, True, False]
    assert res.rounds[-1].candidate_score < res.rounds[-1].kept_score
    assert [r.text for r in res.learned] == ["Answer briefly, in two sentences.", "Thank Zed for writing."]
    assert "Use a formal tone." not in res.markdown
    # the teacher saw failures AND successful drafts beside them, plus the real replies
    first = teacher.seen[0]
    assert "Drafts that sounded like the person" in first and "did NOT sound like" in first
    assert "real reply: Real answer 0" in first
    assert res.prompt_tokens <= 200


def test_leaky_revisions_are_rejected_and_recorded():
    teacher = Teacher(["Mention Question 3 in every reply.\n- Say hello to a@b.example"])
    res = run_loop(PROFILE, [], VAL, draft_fn=draft_fn, score_fn=score_fn, teacher=teacher, rounds=1,
                   budget_tokens=200, count=approx_tokens)
    assert {r.reason.split(":")[0] for r in res.rejected} == {"leak"}
    assert res.rounds[-1].note == "the teacher gave no usable rules" and not res.rounds[-1].kept


def test_the_token_budget_drops_the_lowest_priority_rules():
    long = [Rule(f"Use habit number {w} in every reply you write.", "profile", "", 10 - i)
            for i, w in enumerate("one two three four five six seven eight".split())]
    res = run_loop(long, [], VAL[:2], draft_fn=draft_fn, score_fn=score_fn, teacher=None, rounds=1,
                   budget_tokens=60, count=approx_tokens)
    assert res.prompt_tokens <= 60
    assert [r.text for r in res.profile] == [r.text for r in long[:len(res.profile)]]  # by weight
    assert 0 < len(res.profile) < len(long)
    assert res.rounds[-1].note == "no teacher"
