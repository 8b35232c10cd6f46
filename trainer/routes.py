"""Every way ownvoice learns a voice, registered once: the learn route, the draft
variant it gives, its eval row, and the CLI's and GUI's name for it.

A ``Route`` names:

- ``learn``: the module whose ``learn(ctx, progress, cancel) -> dict`` writes the route
  into the voice pack (None: nothing to learn, as for ``base``);
- ``plan``: ``"module:function"`` in the draft stage, ``plan(message, *, store, pack,
  config, rt) -> Part | str``: what the route puts into a draft (examples, a style
  prompt, an adapter: ``trainer.draft.plans.Part``), or why it cannot (None: the draft
  needs nothing from it);
- ``label`` and ``help``: what the GUI's checkbox and column, and the CLI, call it;
- ``variant``: it drafts a variant of the same name (and an eval row); ``default``:
  learned and drafted unless the user picks others; ``in_full``: part of ``full``, the
  variant that uses everything learned.

The table's order is the order routes are learned in and variants are shown in. A new
route is its learn module, its plan function and one line here (CONTRIBUTING.md).

This module sits below every stage (import-linter holds it): it names modules as
strings, and the stage that runs a route imports it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from ingest.kernel.errors import UserError


@dataclass(frozen=True)
class Route:
    name: str
    label: str
    help: str
    learn: str | None = None
    plan: str | None = None
    variant: bool = True
    default: bool = False
    in_full: bool = False

    def learn_function(self) -> Callable[..., dict]:
        if self.learn is None:
            raise UserError(f"{self.name} has nothing to learn.", hint="Learn rag, pld or lora.")
        return importlib.import_module(self.learn).learn

    def plan_function(self) -> Callable[..., Any] | None:
        if self.plan is None:
            return None
        module, _, fn = self.plan.partition(":")
        return getattr(importlib.import_module(module), fn)


FULL = "full"  # every in_full route's part in one draft; not a route of its own
SCORER = "scorer"  # always learned first: PLD's loop and the evaluation depend on it

ROUTES: tuple[Route, ...] = (
    Route(SCORER, "Voice scorer", "how much each sentence sounds like you (always learned first)",
          learn="trainer.learn.scorer_fit", variant=False),
    Route("base", "Base", "the student model with no voice (a baseline)"),
    Route("rag", "Retrieval", "your closest past replies as examples in the prompt",
          learn="trainer.draft.retrieval", plan="trainer.draft.plans:retrieval", default=True, in_full=True),
    Route("pld", "Style prompt (PLD)", "rules distilled from your replies into a short prompt",
          learn="trainer.learn.pld", plan="trainer.draft.plans:style", default=True, in_full=True),
    Route("lora", "LoRA adapter", "a small adapter fine-tuned on your replies (slow on a CPU)",
          learn="trainer.learn.lora", plan="trainer.draft.plans:adapter", in_full=True),
    Route(FULL, "All", "everything learned, in one prompt"),
)


def route(name: str) -> Route:
    for r in ROUTES:
        if r.name == name:
            return r
    raise UserError(f"Unknown route or variant {name!r}.",
                    hint=f"Choose from {', '.join(r.name for r in ROUTES if r.name != SCORER)}.")


def learnable() -> tuple[Route, ...]:
    """The routes a user can choose to learn (the scorer always runs)."""
    return tuple(r for r in ROUTES if r.learn is not None and r.name != SCORER)


def variants() -> tuple[Route, ...]:
    """The draft variants, in the order they are shown."""
    return tuple(r for r in ROUTES if r.variant)


def in_full() -> tuple[Route, ...]:
    return tuple(r for r in ROUTES if r.in_full)
