"""ACC/IC/RC against hand-computed cases and the reference code's own formulas."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from scipy.stats import wasserstein_distance

from trainer.score.metrics import (B, HIGH, acc_atom, bin_of, ic_atom, mean_or_none, rc_atom,
                                      score_from_p, valid_scores)


# The reference formulas (ddindidu/atomic-persona-evaluation, evaluation/calculate.py), restated.
def ref_acc(scores):
    lo, hi = 1 + 2 * (5 - 1) / 3, 5 + 0.1
    return sum(1 for s in scores if lo <= s < hi) / len(scores) if scores else -1


def ref_ic(scores):
    return -1 if len(scores) <= 1 else 1 - statistics.pstdev(scores) / ((5 - 1) / 2)


def ref_rc(dists):
    n, tot = 0, 0.0
    for i, a in enumerate(dists):
        for j, b in enumerate(dists):
            if i >= j or not a or not b:
                continue
            n += 1
            tot += (1 - wasserstein_distance(a, b) / (5 - 1)) * 2 - 1
    return -1 if n == 0 else tot / n


def test_bins_are_the_papers():
    assert B == pytest.approx(4 / 3)
    assert HIGH == pytest.approx(11 / 3)
    assert bin_of(HIGH) == "high" and bin_of(HIGH - 1e-9) == "neutral"
    assert bin_of(1 + B) == "neutral" and bin_of(1 + B - 1e-9) == "low"


def test_hand_computed_cases():
    # draft: 5, 4, 3, 1 -> two atoms >= 11/3 -> ACC 0.5
    assert acc_atom([5, 4, 3, 1]) == 0.5
    # pstdev of [1, 5] is 2 -> IC 1 - 2/2 = 0
    assert ic_atom([1, 5]) == 0.0
    # pstdev of [2, 4] is 1 -> IC 0.5
    assert ic_atom([2, 4]) == 0.5
    # W1([1,1],[5,5]) = 4 -> 1 - 4/2 = -1
    assert rc_atom([[1, 1], [5, 5]]) == -1.0
    # W1([2,4],[3]) = 1 -> 0.5 ; with a third identical run [2,4]: pairs 0.5, 1.0, 0.5 -> 2/3
    assert rc_atom([[2, 4], [3]]) == pytest.approx(0.5)
    assert rc_atom([[2, 4], [3], [4, 2]]) == pytest.approx(2 / 3)


def test_edge_cases_single_atom_no_scores_identical_runs():
    assert acc_atom([4.0]) == 1.0
    assert ic_atom([4.0]) is None  # needs two atoms
    assert acc_atom([]) is None and ic_atom([]) is None
    assert acc_atom([None, 9, float("nan")]) is None  # no valid score
    assert rc_atom([[], [None]]) is None  # no pair with scores
    assert rc_atom([[3.2, 4.1]]) is None  # one run: no pair
    assert rc_atom([[3.2, 4.1], [3.2, 4.1], [4.1, 3.2]]) == 1.0  # identical runs
    assert ic_atom([3.5, 3.5, 3.5]) == 1.0
    assert rc_atom([[2, 4], [], [4, 2]]) == 1.0  # an empty run is left out of the pairs


def test_invalid_scores_are_dropped_as_in_the_reference():
    assert valid_scores([1, 2, 3, 4, 5, 9, 999, 0, None]) == [1, 2, 3, 4, 5]
    assert acc_atom([5, 9, 1]) == 0.5
    assert mean_or_none([None, 0.2, 0.4]) == pytest.approx(0.3)


def test_matches_reference_formulas_on_random_drafts():
    rng = random.Random(7)
    for _ in range(200):
        k = rng.randint(1, 6)
        drafts = [[rng.choice([1, 2, 3, 4, 5]) if rng.random() < 0.5 else round(rng.uniform(1, 5), 3)
                   for _ in range(rng.randint(0, 7))] for _ in range(k)]
        for d in drafts:
            r = ref_acc(d)
            assert (acc_atom(d) if d else -1) == pytest.approx(r)
            r = ref_ic(d)
            got = ic_atom(d)
            assert (got if got is not None else -1) == pytest.approx(r)
        got = rc_atom(drafts)
        assert (got if got is not None else -1) == pytest.approx(ref_rc(drafts))


def test_score_from_p():
    assert score_from_p(0) == 1 and score_from_p(1) == 5 and score_from_p(0.5) == 3
    assert score_from_p(1.7) == 5 and not math.isnan(score_from_p(-2))
