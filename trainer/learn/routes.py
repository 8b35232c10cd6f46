"""``learn``: run the chosen distillation routes and write the voice pack.

The routes are registered in ``trainer.routes``. Each is a function
``learn(ctx: LearnContext, progress, cancel) -> dict`` in its own module; it writes its files into ``ctx.pack``, records itself with
``ctx.pack.set_route(name, entry)`` and returns the entry that ``learn --json``
prints under the route's name. The voice scorer always runs first: PLD's loop and
the evaluation depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import MailStore
from trainer import routes as registry
from trainer.voicepack import VoicePack



@dataclass
class LearnContext:
    store: MailStore  # ingest.store.store.Store
    pack: VoicePack
    config: Config
    data_dir: Path
    options: dict[str, Any] = field(default_factory=dict)  # epochs, max_steps, rank, resume, teacher, rounds, fresh ...


def parse_routes(spec: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """``"rag,pld"`` -> ``["scorer", "rag", "pld"]`` (scorer always first).

    >>> parse_routes("lora, rag")
    ['scorer', 'rag', 'lora']
    """
    if spec is None:
        names = [r.name for r in registry.learnable() if r.default]
    elif isinstance(spec, str):
        names = [s.strip() for s in spec.split(",") if s.strip()]
    else:
        names = list(spec)
    if "all" in names:
        names = [r.name for r in registry.learnable()]
    order = [r.name for r in registry.ROUTES if r.learn is not None]
    unknown = [n for n in names if n not in order]
    if unknown:
        raise UserError(f"Unknown route(s): {', '.join(unknown)}.",
                        hint=f"Choose from {', '.join(r for r in order if r != registry.SCORER)}.")
    return sorted({registry.SCORER, *names}, key=order.index)


def route_function(name: str) -> Callable[..., dict]:
    return registry.route(name).learn_function()


def learn(routes: list[str], ctx: LearnContext, progress: ProgressFn = no_progress,
          cancel: CancelToken | None = None) -> dict[str, Any]:
    """Run ``routes`` in order under the store's write lock: a second learn, an import
    or a forget on the same data dir meanwhile gets ``AlreadyRunning`` at once (two
    learns would race on the voice pack's manifest; an import would change the mail
    under a fit)."""
    import contextlib

    lock = getattr(ctx.store, "lock", None)  # stores without one (test adapters over mbox files) skip it
    import time

    results: dict[str, Any] = {}
    ready: dict[str, float] = {}  # seconds from the start of this learn until each route was ready
    t0 = time.monotonic()
    with lock if lock is not None else contextlib.nullcontext():
        for name in routes:
            check(cancel)
            results[name] = route_function(name)(ctx, progress, cancel)
            ready[name] = round(time.monotonic() - t0, 1)
            progress(Progress("learn", len(ready), len(routes), f"{name} ready", {"route": name,
                                                                                 "ready_s": ready[name]}))
        results["ready_s"] = ready
        # the sources this pack has learned from, so `forget` knows which packs to clear
        listed = getattr(ctx.store, "sources", None)
        if callable(listed):
            before = ctx.pack.manifest().get("sources") or []
            ctx.pack.set_meta(sources=sorted({*before, *(s.path for s in listed())}))
        learned_edits = edits_summary(ctx.store)
        if learned_edits is not None:
            results["edits"] = learned_edits
            ctx.pack.set_meta(edits=learned_edits)
    results["voicepack"] = str(ctx.pack.path)
    return results


def edits_summary(store: MailStore) -> dict[str, Any] | None:
    """What this learn took from the user's edits (``ingest.store.edits``): how many were
    saved, how many the reply really sent replaced, how many reply pairs they gave, and
    what the user changed (``trainer.learn.pld.edits.observations``). None for a store
    without SQLite (test adapters)."""
    if not hasattr(store, "db"):
        return None
    from ingest.store.edits import draft_final_pairs, edits, summary
    from trainer.learn.pld.edits import observations

    all_edits = edits(store)  # read once for both
    out = summary(store, all_edits)
    out["changes"] = observations(draft_final_pairs(all_edits))[:6]
    return out
