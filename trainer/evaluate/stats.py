"""An evaluation's rows and their statistics: ``EvalRow``, ``EvalReport``, the per-variant
accumulator, ``paired_gains`` (each variant minus base, with a 95% paired bootstrap
interval) and ``history_split`` (drafts with and without the correspondent's history).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

import numpy as np

from trainer.evaluate.metrics import names, vs_base
from trainer.score.metrics import mean_or_none


@dataclass(frozen=True)
class EvalRow:
    """One variant's means over the held-out messages: ``values`` by metric name
    (``trainer.evaluate.metrics``), read as attributes too (``row.acc``)."""

    variant: str
    values: dict[str, float | None] = field(default_factory=dict)
    messages: int = 0
    drafts: int = 0

    def __getattr__(self, name: str) -> float | None:
        values = self.__dict__.get("values")
        if values is not None and name in names():
            return values.get(name)
        raise AttributeError(name)

    def to_json(self) -> dict[str, Any]:
        vals = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in
                ((k, self.values.get(k)) for k in names())}
        return {"variant": self.variant, **vals, "messages": self.messages, "drafts": self.drafts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EvalRow":
        """A row as ``to_json`` wrote it (a metric the file lacks is None)."""
        return cls(str(data.get("variant", "")), {k: data.get(k) for k in names()},
                   int(data.get("messages") or 0), int(data.get("drafts") or 0))


@dataclass(frozen=True)
class EvalReport:
    rows: tuple[EvalRow, ...]
    unavailable: dict[str, str]
    scorer: dict[str, Any]
    heldout: int
    n: int
    model: str = ""
    seconds: float = 0.0
    per_message: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    judge: dict[str, Any] = field(default_factory=dict)

    def row(self, variant: str) -> EvalRow | None:
        return next((r for r in self.rows if r.variant == variant), None)

    def to_json(self) -> dict[str, Any]:
        return {"scorer": self.scorer, "rows": [r.to_json() for r in self.rows],
                "unavailable": dict(self.unavailable), "heldout": self.heldout, "n": self.n,
                "model": self.model, "seconds": round(self.seconds, 1), "vs_base": self.vs_base,
                "judge": dict(self.judge), "history": history_split(self.per_message)}

    @cached_property
    def vs_base(self) -> dict[str, dict[str, dict[str, float | int]]]:
        """``paired_gains`` of this report (bootstrapped once, for the JSON and report.md)."""
        return paired_gains(self.per_message, metrics=vs_base())


def paired_gains(per_message: Sequence[dict[str, Any]], *, base: str = "base",
                 metrics: Sequence[str] = ("acc", "content"), n_boot: int = 2000, seed: int = 0
                 ) -> dict[str, dict[str, dict[str, float | int]]]:
    """Each variant minus ``base`` on the same held-out messages: the mean difference and
    a 95% paired bootstrap interval over messages, so a gain can be told from noise.

    >>> pm = [{"pair": i, "variant": v, "acc": a} for i in range(4) for v, a in (("base", 0.1), ("pld", 0.3))]
    >>> paired_gains(pm, metrics=("acc",))["pld"]["acc"]
    {'mean': 0.2, 'lo': 0.2, 'hi': 0.2, 'messages': 4}
    """
    by: dict[str, dict[Any, dict[str, Any]]] = {}
    for rec in per_message:
        by.setdefault(str(rec.get("variant")), {})[rec.get("pair")] = rec
    ref = by.get(base, {})
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for variant, recs in by.items():
        if variant in (base, "real"):
            continue
        for m in metrics:
            d = np.asarray([recs[k][m] - ref[k][m] for k in recs
                            if k in ref and recs[k].get(m) is not None and ref[k].get(m) is not None], dtype=float)
            if not len(d):
                continue
            boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
            lo, hi = np.percentile(boots, [2.5, 97.5])
            out.setdefault(variant, {})[m] = {"mean": round(float(d.mean()), 4), "lo": round(float(lo), 4),
                                              "hi": round(float(hi), 4), "messages": int(len(d))}
    return out


class Accumulator:
    """Per-variant accumulator of per-message values."""

    def __init__(self) -> None:
        self.values: dict[str, list[float | None]] = {k: [] for k in names()}
        self.messages = 0
        self.drafts = 0

    def add(self, row: dict[str, Any], drafts: int) -> None:
        """One message's figures (``names()`` keys) over its ``drafts`` drafts."""
        for k in names():
            self.values[k].append(row.get(k))
        self.messages += 1
        self.drafts += drafts

    def row(self, variant: str) -> EvalRow:
        return EvalRow(variant, {k: mean_or_none(v) for k, v in self.values.items()},
                       messages=self.messages, drafts=self.drafts)


def greeting_sign_off(text: str) -> tuple[str, str]:
    """A reply's greeting form (names as ``{name}``) and its sign-off, lower-cased without
    end punctuation: what the eval compares between a draft and the real reply.

    >>> greeting_sign_off("Hi Lucy,\\n\\nSure.\\n\\nThanks,\\nPhillip."), greeting_sign_off("ok")
    (('Hi {name},', 'thanks, / phillip'), ('', ''))
    """
    from trainer.score.text import greeting_of, lines, sign_off_of

    ls = lines(text)
    return greeting_of(ls), sign_off_of(ls).lower().rstrip(".,!")


def history_split(per_message: Sequence[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per variant, means over held-out messages whose sender the user has a register
    with (``with``: enough earlier replies to them or their organisation) and the rest
    (``without``): greeting and sign-off agreement with the real reply, ACC and usable.

    >>> pm = [{"pair": 1, "variant": "full", "history": True, "greeting": 1.0, "sign_off": 0.0, "acc": 0.5,
    ...        "usable": 1.0}, {"pair": 2, "variant": "full", "history": False, "greeting": 0.0,
    ...        "sign_off": None, "acc": 0.1, "usable": 0.0}]
    >>> history_split(pm)["with"]["full"]
    {'greeting': 1.0, 'sign_off': 0.0, 'acc': 0.5, 'usable': 1.0, 'messages': 1}
    """
    out: dict[str, dict[str, dict[str, Any]]] = {"with": {}, "without": {}}
    for side, flag in (("with", True), ("without", False)):
        by: dict[str, list[dict[str, Any]]] = {}
        for rec in per_message:
            if "history" in rec and bool(rec["history"]) == flag:
                by.setdefault(str(rec["variant"]), []).append(rec)
        for v, recs in by.items():
            out[side][v] = {k: (round(x, 4) if (x := mean_or_none(r.get(k) for r in recs)) is not None else None)
                            for k in ("greeting", "sign_off", "acc", "usable")} | {"messages": len(recs)}
    return out
