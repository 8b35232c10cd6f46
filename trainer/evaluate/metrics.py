"""Every figure the evaluation reports, registered once: how it is computed from one
variant's drafts of one held-out message (a ``Cell``), what the tables call it, and
whether the chart and the paired comparison with ``base`` show it.

A ``Metric``'s ``compute(cell) -> float | None`` gives the per-message value; the row
of a variant is the mean over messages (``stats.Accumulator``). The report, its CSV
and chart, the CLI's and the demo's tables and the GUI's Evaluate page all take their
columns from ``METRICS_TABLE`` in this order. A new metric is its function (usually in
``trainer.score.metrics`` or ``trainer.draft.replycheck``) and one line here
(CONTRIBUTING.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from trainer.score.metrics import acc_atom, ic_atom, mean_or_none, rc_atom

AtomScores = Sequence[Any]  # one draft's atom scores (trainer.score.atoms.AtomScore)


@dataclass(frozen=True)
class Cell:
    """One variant's drafts of one held-out message (``real``: the user's reply), scored."""

    variant: str
    texts: Sequence[str]
    judged: Sequence[AtomScores]  # per draft, under the judge
    selected: Sequence[AtomScores]  # per draft, under the selection scorer
    content: Sequence[float]  # per draft: cosine with the real reply
    length_ratio: Sequence[float | None]  # per draft: words / the user's typical reply
    leak: Sequence[float]  # per draft: share of sentences copied from outside the thread
    above: Sequence[tuple[float, int]]  # per draft: (wins, pairs) of the real reply over it under the judge
    checks: Sequence[tuple[Any, Any]] = field(default=())  # per draft: (kept, first sample) ReplyChecks

    @property
    def real(self) -> bool:
        return self.variant == "real"

    def kept(self) -> list[Any]:
        return [c for c, _ in self.checks if c is not None]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str  # the column header
    help: str
    compute: Callable[[Cell], float | None]
    chart: bool = False  # a bar in report.png
    short: str = ""  # the chart's tick label and a narrow table's header (default: label)
    brief: bool = False  # in the compact tables (the demo's)
    vs_base: bool = False  # each variant minus base, with a paired bootstrap interval


def _checks(f: Callable[[Any], float | None], first: bool = False) -> Callable[[Cell], float | None]:
    """The mean of ``f`` over a cell's reply checks (kept samples, or first samples)."""
    def compute(cell: Cell) -> float | None:
        got = [x for _, x in cell.checks if x is not None] if first else cell.kept()
        return mean_or_none(v for v in (f(c) for c in got) if v is not None) if cell.kept() else None
    return compute


METRICS_TABLE: tuple[Metric, ...] = (
    Metric("acc", "ACC_atom", "share of sentences that sound like you, under the judge",
           lambda c: mean_or_none(acc_atom(s) for s in c.judged), chart=True, vs_base=True, short="ACC",
           brief=True),
    Metric("ic", "IC_atom", "how consistent a draft's sentences are",
           lambda c: mean_or_none(ic_atom(s) for s in c.judged), chart=True, short="IC", brief=True),
    Metric("rc", "RC_atom", "how consistent the samples of one message are",
           lambda c: rc_atom(c.judged) if not c.real else None, chart=True, short="RC", brief=True),
    Metric("content", "content", "meaning kept: cosine with your real reply",
           lambda c: mean_or_none(c.content), chart=True, vs_base=True, brief=True),
    Metric("length_ratio", "length ratio", "draft words / your typical reply",
           lambda c: mean_or_none(c.length_ratio), chart=True, short="length", brief=True),
    Metric("leak", "leak", "sentences copying 8+ words from mail in another thread",
           lambda c: mean_or_none(c.leak), chart=True, brief=True),
    Metric("usable", "usable", "drafts a person could send (every reply check passes)",
           _checks(lambda k: float(k.usable)), chart=True, vs_base=True, brief=True),
    Metric("role_ok", "role ok", "speaks as you, to the sender", _checks(lambda k: float(k.role_ok)), brief=True),
    Metric("prompt_leak", "prompt leak", "residue of the prompt", _checks(lambda k: float(k.prompt_leak))),
    Metric("invented_per_100w", "invented /100w", "facts in no mail of yours, per 100 words",
           _checks(lambda k: k.invented_per_100w)),
    Metric("answered", "answered", "share of the message's asks answered (messages with asks)",
           _checks(lambda k: k.answered), brief=True),
    Metric("usable_first", "usable (1st sample)", "usable before best-of-N picked another sample",
           _checks(lambda k: float(k.usable), first=True)),
    Metric("acc_selection", "ACC (selection)", "ACC under the selection scorer (what PLD optimises)",
           lambda c: mean_or_none(acc_atom(s) for s in c.selected)),
    Metric("real_above", "real above", "how often the judge ranks your real reply above the draft",
           lambda c: mean_or_none(w for w, n in c.above if n) if not c.real else None),
)


def table() -> tuple[Metric, ...]:
    """The table as it stands now (read at call time: a test may add a metric)."""
    return METRICS_TABLE


def names() -> tuple[str, ...]:
    """The metric names, in table order."""
    return tuple(m.name for m in METRICS_TABLE)


def metric(name: str) -> Metric:
    return next(m for m in METRICS_TABLE if m.name == name)


def chart() -> tuple[str, ...]:
    return tuple(m.name for m in METRICS_TABLE if m.chart)


def vs_base() -> tuple[str, ...]:
    return tuple(m.name for m in METRICS_TABLE if m.vs_base)


def row_values(cell: Cell) -> dict[str, float | None]:
    """Every metric of one cell, in table order."""
    return {m.name: m.compute(cell) for m in METRICS_TABLE}
