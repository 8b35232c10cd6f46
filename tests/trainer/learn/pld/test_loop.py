"""The closed loop: kept only on improvement, failures go to the teacher WITH successes, budget held.

The fast tests drive ``run_loop`` with a scripted teacher and a scripted scorer that
implement the real interfaces; test_learn.py runs the loop through the real model.
"""

from __future__ import annotations

from ingest.kernel.records import ReplyPair
from trainer.learn.pld.loop import run_loop
from trainer.learn.pld.rules import Rule
from trainer.learn.pld.teacher import approx_tokens

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
    assert "Real answer 0" in first.split("[REPLY ")[1]  # the real reply, fenced as data
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


def test_content_guard_keeps_the_no_style_content_floor():
    """A phrase rule that raises the voice score but drags drafts off topic is dropped;
    so is a revision that does the same; the floor is the no-style drafts' content."""
    phrases = Rule('Favour your own phrases, such as "the deal".', "profile", "", 7, kind="phrases")
    seen_prompts = []

    def draft(prompt, pair):
        seen_prompts.append(prompt)
        return draft_fn(prompt, pair)

    def score(d):
        return min(1.0, score_fn(d) + 0.3 * ("the deal" in d) + 0.3 * ("Mention the weather" in d))

    def content(d, pair):
        assert pair in VAL
        return 0.3 - 0.1 * ("the deal" in d) - 0.05 * ("Mention the weather" in d) + 0.02 * ("Answer briefly" in d)

    teacher = Teacher(["Mention the weather in each reply.", "Answer briefly, in two sentences."])
    res = run_loop(PROFILE + [phrases], [], VAL, draft_fn=draft, score_fn=score, teacher=teacher, rounds=2,
                   budget_tokens=200, count=approx_tokens, content_fn=content)
    assert seen_prompts[0] == ""  # the no-style drafts come first: the floor
    assert res.base_content == 0.3
    assert all("the deal" not in r.text for r in res.profile)
    assert "content guard" in res.rounds[0].note and res.rounds[0].content == 0.3
    # round 1: more in voice but below the floor -> dropped, and the loop stops there
    r1 = res.rounds[1]
    assert not r1.kept and r1.candidate_score > r1.kept_score and "content fell" in r1.note
    assert r1.content < res.base_content
    assert res.content >= res.base_content
    assert "Mention the weather" not in res.markdown


def test_without_a_content_fn_the_initial_prompt_is_taken_as_is():
    phrases = Rule('Favour your own phrases, such as "the deal".', "profile", "", 7, kind="phrases")
    res = run_loop(PROFILE + [phrases], [], VAL, draft_fn=draft_fn, score_fn=score_fn, teacher=None, rounds=1,
                   budget_tokens=200, count=approx_tokens)
    assert any(r.kind == "phrases" for r in res.profile)
    assert res.base_content is None and res.rounds[0].note == "initial prompt"


def test_when_no_step_holds_the_floor_the_closest_is_kept_and_revisions_may_not_lose_more():
    phrases = Rule('Favour your own phrases, such as "the deal".', "profile", "", 7, kind="phrases")

    def content(d, pair):  # any style prompt costs content; the phrase rule and "weather" cost more
        return (0.3 if "habits" not in d else 0.25) - 0.1 * ("the deal" in d) - 0.05 * ("weather" in d) \
            + 0.02 * ("briefly" in d)

    def score(d):
        return 0.2 + 0.2 * ("briefly" in d) + 0.3 * ("weather" in d)

    teacher = Teacher(["Answer briefly, in two sentences.", "Write briefly and mention the weather in each reply."])
    res = run_loop(PROFILE + [phrases], [], VAL, draft_fn=draft_fn, score_fn=score, teacher=teacher, rounds=2,
                   budget_tokens=200, count=approx_tokens, content_fn=content)
    assert res.base_content == 0.3 and "came closest" in res.rounds[0].note
    assert [g["kept"] for g in res.guard] == [True, False] and res.rounds[0].content == 0.25
    # round 1 scores better and gains content against the kept step (still under the floor): kept
    assert res.rounds[1].kept and res.rounds[1].content == 0.27
    # round 2 scores better still but loses content against the kept prompt: dropped
    r2 = res.rounds[2]
    assert not r2.kept and r2.candidate_score > r2.kept_score and "content fell" in r2.note
    assert "Answer briefly" in res.markdown and "weather" not in res.markdown


def test_a_group_is_added_only_on_a_gain_noise_does_not_explain():
    """The guard starts from the measured habits. The phrase rule's mean score is higher
    only because one message jumps; the learned rule lifts every message: only the
    learned rule is added. A revision with the same kind of one-message jump is dropped."""
    phrases = Rule('Favour your own phrases, such as "the deal".', "profile", "", 7, kind="phrases")
    learned = [Rule("Answer briefly, in two sentences.", "teacher")]

    def score(d):
        base = 0.3 + 0.1 * ("Answer briefly" in d)
        jump = 0.6 if ("the deal" in d or "Mention the weather" in d) and "Question 1" in d else 0.0
        return base + jump

    def content(d, pair):
        return 0.3

    teacher = Teacher(["Answer briefly, in two sentences.\n- Mention the weather in each reply."])
    res = run_loop(PROFILE + [phrases], learned, VAL, draft_fn=draft_fn, score_fn=score, teacher=teacher,
                   rounds=1, budget_tokens=200, count=approx_tokens, content_fn=content)
    assert [g["step"] for g in res.guard] == ["the measured habits", "+ the favourite phrases and openers",
                                              "+ the learned rules"]
    assert [g["kept"] for g in res.guard] == [False, False, True]
    # the phrases step had the higher mean of the first two, and still was not added
    assert res.guard[1]["score"] > res.guard[0]["score"]
    assert "the deal" not in res.markdown and "Answer briefly" in res.markdown
    assert res.rounds[0].note.startswith("the measured habits + the learned rules")
    r1 = res.rounds[1]
    assert not r1.kept and r1.candidate_score > r1.kept_score and "noise" in r1.note
    assert "weather" not in res.markdown
