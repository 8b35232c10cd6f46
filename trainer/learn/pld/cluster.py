"""Cluster the teacher's rules and merge each cluster into one instruction.

Rules are embedded (MiniLM, L2-normalised), clustered with DBSCAN (cosine distance,
``eps`` about 0.4, ``min_samples`` scaled to the number of rules); noise points are
dropped. Each cluster becomes one instruction: merged by the teacher when it is
``capable`` (and the merge passes ``check_rule``), else the cluster's medoid (the
rule with the highest mean similarity to the others). Instructions come out ordered
by cluster size, largest first.

What it leaves out: no tuning of ``eps`` per corpus; a rule is never split into
several ideas; merges are checked for form, not for faithfulness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ingest.kernel.jobs import CancelToken, check
from trainer.draft.prompt import TEACHER_PREFIX, merge_messages
from trainer.learn.pld.rules import Rule, check_rule, parse_rule

EmbedFn = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Cluster:
    rules: tuple[Rule, ...]
    medoid: int  # index into rules
    instruction: Rule | None = None  # the merged instruction

    @property
    def size(self) -> int:
        return len(self.rules)

    def to_json(self) -> dict:
        return {"size": self.size, "instruction": self.instruction.text if self.instruction else None,
                "merged_by": self.instruction.source if self.instruction else None,
                "examples": [r.text for r in self.rules[:3]]}


@dataclass(frozen=True)
class Clustering:
    clusters: tuple[Cluster, ...] = ()
    noise: tuple[Rule, ...] = ()
    eps: float = 0.4
    min_samples: int = 2
    n_rules: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def noise_share(self) -> float:
        return round(len(self.noise) / self.n_rules, 3) if self.n_rules else 0.0


def scaled_min_samples(n: int) -> int:
    """DBSCAN's ``min_samples`` for ``n`` rules: 2 for small sets, ~sqrt(n)/2, at most 10.

    >>> [scaled_min_samples(n) for n in (3, 20, 100, 1000)]
    [2, 2, 5, 10]
    """
    return int(max(2, min(10, round(math.sqrt(max(n, 1)) / 2))))


def cluster_rules(rules: list[Rule], embed: EmbedFn, *, eps: float = 0.4,
                  min_samples: int | None = None) -> Clustering:
    """DBSCAN over the rules' embeddings; clusters sorted by size (largest first)."""
    from sklearn.cluster import DBSCAN

    n = len(rules)
    ms = min_samples or scaled_min_samples(n)
    if n == 0:
        return Clustering(eps=eps, min_samples=ms)
    X = np.asarray(embed([r.text for r in rules]), dtype=np.float32)
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    labels = DBSCAN(eps=eps, min_samples=ms, metric="cosine").fit_predict(X)
    clusters = []
    for lab in sorted(set(labels) - {-1}):
        idx = np.flatnonzero(labels == lab)
        sims = X[idx] @ X[idx].T
        medoid = int(np.argmax(sims.sum(axis=1)))
        clusters.append(Cluster(rules=tuple(rules[i] for i in idx), medoid=medoid))
    clusters.sort(key=lambda c: (-c.size, c.rules[c.medoid].text))
    noise = tuple(rules[i] for i in np.flatnonzero(labels == -1))
    return Clustering(clusters=tuple(clusters), noise=noise, eps=eps, min_samples=ms, n_rules=n)


def merge_clusters(result: Clustering, teacher: Any | None = None, *, max_tokens: int = 60,
                   cancel: CancelToken | None = None) -> Clustering:
    """Give every cluster its instruction: teacher-merged when capable, else the medoid."""
    out = []
    for c in result.clusters:
        check(cancel)
        medoid = c.rules[c.medoid]
        inst = Rule(text=medoid.text, source="medoid", evidence=f"{c.size} similar rules", weight=float(c.size))
        if teacher is not None and getattr(teacher, "capable", False) and c.size > 1:
            text = parse_rule(teacher.complete(
                merge_messages([r.text for r in c.rules[:12]]),
                max_tokens=max_tokens, temperature=0.0, cancel=cancel, prefix=TEACHER_PREFIX, stop=("\n",)))
            if text and check_rule(text, source_texts=()) is None:
                inst = Rule(text=text, source="merged", evidence=f"{c.size} similar rules", weight=float(c.size))
        out.append(Cluster(rules=c.rules, medoid=c.medoid, instruction=inst))
    return Clustering(clusters=tuple(out), noise=result.noise, eps=result.eps, min_samples=result.min_samples,
                      n_rules=result.n_rules, extra=result.extra)


def fit_budget(rules: list[Rule], budget_tokens: int, count: Callable[[str], int], *,
               overhead: int = 0) -> list[Rule]:
    """The longest prefix-by-priority of ``rules`` whose bullet lines fit ``budget_tokens``.

    Rules are taken in the given order; one that does not fit is skipped (a shorter
    later one may still fit).
    """
    kept, used = [], overhead
    for r in rules:
        cost = count(f"- {r.text}\n")
        if used + cost <= budget_tokens:
            kept.append(r)
            used += cost
    return kept
