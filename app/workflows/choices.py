"""What the faces offer, read from the core's one table of each (no page or command
lists them itself): the routes a user can learn (``trainer.routes``), the draft variants,
and the evaluation's metrics (``trainer.evaluate.metrics``).

What it leaves out: how a face shows them (checkbox mnemonics, column widths).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    name: str
    label: str
    help: str
    default: bool = False


def route_choices() -> list[Choice]:
    """The routes a user can choose to learn (the voice scorer always runs first)."""
    from trainer import routes

    return [Choice(r.name, r.label, r.help, r.default) for r in routes.learnable()]


def variant_choices() -> list[Choice]:
    """The draft variants, in the order they are shown; ``default``: drafted unless the
    user picks others."""
    from trainer import routes

    return [Choice(r.name, r.label, r.help, r.default) for r in routes.variants()]


def metric_choices(brief: bool = False) -> list[Choice]:
    """The evaluation's metrics in table order (``brief``: the compact table's)."""
    from trainer.evaluate.metrics import table

    return [Choice(m.name, m.short or m.label, m.help) for m in table() if m.brief or not brief]
