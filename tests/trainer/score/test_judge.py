"""The LLM judge: answers other than 1-5 are dropped, as in the reference code."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from trainer.score.atoms import split_atoms
from trainer.score.judge import LLMJudge, parse_rating
from trainer.score.metrics import acc_atom, ic_atom


class ScriptedRuntime:
    """Implements the part of trainer.runtime.llama.Runtime the judge uses: ``generate``."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.prompts = []

    def generate(self, messages, **kw):
        self.prompts.append(messages)
        return SimpleNamespace(text=self.answers.pop(0))


def test_ratings_parsed_and_invalid_answers_dropped():
    atoms = split_atoms("Hiya Jo,\n\nGrand. The tank is full. Pick it up Friday.\n\ncheers, W.")
    rt = ScriptedRuntime(["5", "4.", "I cannot rate this", "9", "Rating: 2"])
    scores = LLMJudge(rt, ["Right then, no faff.", "Shout if you need more."]).score_atoms(atoms)
    assert [s.score for s in scores] == [5.0, 4.0, None, None, 2.0]
    assert scores[2].reason.startswith("dropped") and scores[0].reason == ""
    s = [x.score for x in scores]
    assert acc_atom(s) == pytest.approx(2 / 3) and ic_atom(s) is not None
    content = rt.prompts[0][0]["content"]
    assert "Right then, no faff." in content and '"Hiya Jo,"' in content and "single number" in content
    assert parse_rating("") is None and parse_rating("0") is None


@pytest.mark.slow
def test_judge_runs_on_the_embedded_model():
    from trainer.runtime.pool import get_runtime

    atoms = split_atoms("Hiya Jo,\n\nThe tank is full.")
    scores = LLMJudge(get_runtime("smollm2"), ["Right then, no faff."]).score_atoms(atoms)
    assert len(scores) == 2
    for s in scores:
        assert (s.score in (1.0, 2.0, 3.0, 4.0, 5.0)) != s.reason.startswith("dropped")
