"""Atomic fidelity metrics, after Shin et al. (Findings of ACL 2025).

Scores live on [1, 5]. With b = 4/3 the three bins are low [1, 1+b), neutral
[1+b, 1+2b) and high [1+2b, 5]; the reference code's high bin is
``1 + 2b <= s < 5.1``, which is the same thing on [1, 5].

- ``acc_atom(s)``: the share of a draft's atoms in the high bin.
- ``ic_atom(s)``: ``1 - pstdev(s) / 2`` (population standard deviation, normalised by
  (max - min) / 2); needs at least two valid atoms, else None.
- ``rc_atom([s_1, ..., s_k])``: the mean over pairs (i < j) of k drafts for one message
  of ``1 - W1(s_i, s_j) / 2`` (scipy's ``wasserstein_distance``); drafts with no valid
  score are left out of the pairs; no pair -> None. The reference writes this as
  ``(1 - W1 / (max - min)) * 2 - 1``, which is the same number.

Invalid scores (None, NaN, outside [1, 5]) are dropped before every metric, as the
reference drops judge answers other than 1-5. Where the reference returns -1 for
"cannot compute", these return None.

What it leaves out: the reference's medium/low-persona targets (ownvoice always asks
"does this sound like the user", i.e. the high bin), and its refusal detection.
"""

from __future__ import annotations

import math
import statistics
from itertools import combinations
from typing import Iterable, Sequence

S_MIN, S_MAX, LEVELS = 1.0, 5.0, 3
B = (S_MAX - S_MIN) / LEVELS  # 4/3
HIGH = S_MIN + 2 * B  # 11/3
NEUTRAL = S_MIN + B  # 7/3


def valid_scores(scores: Iterable[float | None]) -> list[float]:
    """Keep the scores that are numbers in [1, 5].

    >>> valid_scores([1, None, 9, 4.5, float("nan"), 0])
    [1.0, 4.5]
    """
    out = []
    for s in scores:
        if s is None:
            continue
        try:
            v = float(s)
        except (TypeError, ValueError):
            continue
        if not math.isnan(v) and S_MIN <= v <= S_MAX:
            out.append(v)
    return out


def bin_of(score: float) -> str:
    """"low" | "neutral" | "high".

    >>> [bin_of(s) for s in (1, 2.33, 2.34, 3.66, 3.67, 5)]
    ['low', 'low', 'neutral', 'neutral', 'high', 'high']
    """
    if score >= HIGH:
        return "high"
    if score >= NEUTRAL:
        return "neutral"
    return "low"


def acc_atom(scores: Sequence[float | None]) -> float | None:
    """Share of valid atom scores in the high bin; None when there is none.

    >>> acc_atom([5, 4, 3, 1])
    0.5
    """
    v = valid_scores(scores)
    if not v:
        return None
    return sum(1 for s in v if s >= HIGH) / len(v)


def ic_atom(scores: Sequence[float | None]) -> float | None:
    """``1 - pstdev / 2`` over a draft's valid atom scores; None under two atoms.

    >>> ic_atom([1, 5])
    0.0
    >>> ic_atom([3, 3, 3])
    1.0
    """
    v = valid_scores(scores)
    if len(v) < 2:
        return None
    return 1.0 - statistics.pstdev(v) / ((S_MAX - S_MIN) / 2)


def rc_atom(distributions: Sequence[Sequence[float | None]]) -> float | None:
    """Mean over pairs of drafts of ``1 - W1 / 2``; None when no pair has scores.

    >>> rc_atom([[1, 1], [5, 5]])
    -1.0
    >>> rc_atom([[2, 4], [4, 2]])
    1.0
    """
    from scipy.stats import wasserstein_distance

    ds = [valid_scores(d) for d in distributions]
    ds = [d for d in ds if d]
    pairs = list(combinations(ds, 2))
    if not pairs:
        return None
    return float(sum(1.0 - wasserstein_distance(a, b) / ((S_MAX - S_MIN) / 2) for a, b in pairs) / len(pairs))


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None (the reference's "append if not -1" step).

    >>> mean_or_none([None, 1.0, 0.5])
    0.75
    >>> mean_or_none([None]) is None
    True
    """
    v = [x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return sum(v) / len(v) if v else None


def score_from_p(p: float) -> float:
    """Map a probability of "the user wrote this" to an atom score: s = 1 + 4p."""
    return S_MIN + (S_MAX - S_MIN) * min(1.0, max(0.0, float(p)))
