"""DBSCAN over real MiniLM embeddings of a constructed rule set: clusters, noise, merge, budget."""

from __future__ import annotations

import pytest

from ingest.store.embed import get_embedder
from trainer.learn.pld.cluster import cluster_rules, fit_budget, merge_clusters, scaled_min_samples
from trainer.learn.pld.rules import Rule
from trainer.learn.pld.teacher import approx_tokens

SIGN_OFF = ["Sign off with your first name only.",
            "End the email with just your first name as the sign-off.",
            "Sign the reply with only your first name.",
            "Close the email with your first name alone."]
SHORT = ["Keep the reply short, two or three sentences.",
         "Write brief replies of only a few sentences.",
         "Keep answers short: a couple of sentences at most.",
         "Reply briefly, in two or three short sentences."]
EXCLAIM = ["Avoid exclamation marks.",
           "Do not use exclamation points.",
           "Never use exclamation marks in replies."]
NOISE = ["Mention the weather when it affects deliveries.",
         "Use British spelling such as colour and organise."]


@pytest.fixture(scope="module")
def embed():
    return get_embedder().encode


@pytest.mark.slow  # loads MiniLM
def test_constructed_rules_fall_into_the_expected_clusters(embed):
    rules = [Rule(t) for t in SIGN_OFF + SHORT + EXCLAIM + NOISE]
    res = cluster_rules(rules, embed, eps=0.4, min_samples=2)
    got = sorted(sorted(r.text for r in c.rules) for c in res.clusters)
    assert got == sorted(sorted(g) for g in (SIGN_OFF, SHORT, EXCLAIM))
    assert sorted(r.text for r in res.noise) == sorted(NOISE)
    assert res.noise_share == round(2 / 13, 3)
    assert [c.size for c in res.clusters] == [4, 4, 3]  # ordered by size

    merged = merge_clusters(res, teacher=None)  # no capable teacher: the medoid stands for each cluster
    for c in merged.clusters:
        assert c.instruction.text in [r.text for r in c.rules]
        assert c.instruction.source == "medoid"


class MergingTeacher:
    """The teacher interface, capable, answering a fixed merge (speed; the real teachers are tested elsewhere)."""

    name, capable, remote = "merger", True, False

    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def complete(self, messages, **kw):
        self.calls += 1
        return kw.get("prefix", "") + self.answer


def test_a_capable_teacher_merges_and_a_bad_merge_falls_back_to_the_medoid(embed):
    rules = [Rule(t) for t in SIGN_OFF + SHORT]
    res = cluster_rules(rules, embed, min_samples=2)
    good = merge_clusters(res, MergingTeacher("Sign off briefly with a first name."))
    assert {c.instruction.source for c in good.clusters} == {"merged"}
    bad = merge_clusters(res, MergingTeacher("Wren"))  # malformed: too short
    assert {c.instruction.source for c in bad.clusters} == {"medoid"}


def test_min_samples_scales_with_the_number_of_rules():
    assert scaled_min_samples(5) == 2
    assert scaled_min_samples(400) == 10
    assert scaled_min_samples(64) == 4


def test_budget_keeps_rules_in_priority_order_within_the_token_budget():
    rules = [Rule("Use " + "very " * 20 + "long words."), Rule("Keep it short."), Rule("Sign with W.")]
    kept = fit_budget(rules, 12, approx_tokens)
    assert [r.text for r in kept] == ["Keep it short.", "Sign with W."]
    assert sum(approx_tokens(f"- {r.text}\n") for r in kept) <= 12
    assert fit_budget(rules, 0, approx_tokens) == []
