"""Drafting: the voice variants, side by side, streamed, flagged, exportable.

Variants (each one a prompt/adapter recipe over the same student model):

- ``base``: no voice (the instruction and the email only);
- ``rag``: + the user's most similar past replies as style examples;
- ``pld``: + the learned style prompt (``style_prompt.md`` in the voice pack);
- ``lora``: + the LoRA adapter (``adapter/adapter.gguf``, route "lora" in the manifest);
- ``full``: everything of the above that exists.

A variant that cannot run yet (no adapter trained, no style prompt, no store) lands
in ``DraftResult.unavailable`` with the reason; it is never silently dropped. The
variants come from ``trainer.routes`` (each route's plan, ``trainer.draft.plans``). Each
draft carries warning flags: "link" and "leak" (``trainer.draft.flags``), "empty" (nothing
left once echoed prompt-frame lines are dropped), "trimmed" / "unfinished" (the token
budget stopped it mid-sentence: cut back to a whole sentence, or not), the reply
checks' "role", "prompt_leak", "invented" and "sign_off", and "cancelled".

``trainer.draft.eml`` writes a draft as an .eml reply (In-Reply-To / References set),
ready to open in a mail client.

What it leaves out: no sending (ownvoice never sends mail), no HTML bodies, no
scoring (the GUI and ``ownvoice score`` run the voice scorer over drafts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, no_progress
from ingest.kernel.protocols import MailStore
from ingest.kernel.records import Message, ReplyPair
from trainer import routes
from trainer.draft.plans import Part
from trainer.draft.prompt import build_prompt, frame_text, new_boundary
from trainer.draft.register import register_for
from trainer.draft.replycheck import CheckContext, ReplyChecks, draft_veto, fact_keys, frame_ngrams
from trainer.draft.samples import best_of, sample
from trainer.draft.scaffold import Scaffold, first_name
from trainer.runtime.llama import Runtime
from trainer.runtime.pool import runtime_for
from trainer.voicepack import VoicePack

OnDraftToken = Callable[[str, int, str], None]
# (variant, sample, reason): the streamed text so far is void; what follows replaces it
OnDraftRestart = Callable[[str, int, str], None]


@dataclass(frozen=True)
class Draft:
    variant: str
    sample: int
    text: str
    tokens: int
    seconds: float
    tokens_per_second: float
    prompt_tokens: int
    flags: tuple[str, ...] = ()
    finish_reason: str = "stop"
    ttft: float = 0.0
    seed: int = 0
    checks: ReplyChecks | None = None  # would a person send it (trainer.draft.replycheck)
    tries: int = 1  # samples drawn before this one was kept (best-of-N)
    first_checks: ReplyChecks | None = None  # the first sample's checks, when another was kept
    seconds_all: float = 0.0  # wall time of every sample drawn for this draft (best-of-N included)

    @property
    def usable(self) -> bool | None:
        return None if self.checks is None else self.checks.usable

    def to_json(self) -> dict:
        out = {"variant": self.variant, "sample": self.sample, "text": self.text, "tokens": self.tokens,
               "seconds": round(self.seconds, 3), "tokens_per_second": round(self.tokens_per_second, 1),
               "prompt_tokens": self.prompt_tokens, "flags": list(self.flags),
               "finish_reason": self.finish_reason, "seed": self.seed, "tries": self.tries,
               "seconds_all": round(self.seconds_all, 3)}
        if self.checks is not None:
            out["usable"] = self.checks.usable
            out["checks"] = self.checks.to_json()
        return out


@dataclass(frozen=True)
class DraftResult:
    message: Message
    drafts: list[Draft] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    model: str = ""
    notes: tuple[str, ...] = ()
    register: dict | None = None  # the register every variant but base used (trainer.draft.register), with "describe"
    backend: str = ""  # where llama.cpp ran: "CPU", "GPU (all layers)", "GPU (n layers)"


@dataclass(frozen=True)
class _Plan:
    variant: str
    examples: tuple[ReplyPair, ...] = ()
    example_tokens: int = 0
    style: str | None = None
    adapter: Path | None = None


def parse_variants(spec: str | Sequence[str] | None) -> list[str]:
    """``"base, rag"`` -> ``["base", "rag"]``; unknown names are a UserError.

    >>> parse_variants("rag,base,rag")
    ['rag', 'base']
    """
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec or ("base", "rag"))
    names = list(dict.fromkeys(n for n in names if n))
    known = [r.name for r in routes.variants()]
    if "all" in names:
        names = known
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise UserError(f"Unknown variant(s): {', '.join(bad) or '(none)'}.",
                        hint=f"Choose from {', '.join(known)}.")
    return names


def plan_variants(variants: Sequence[str], message: Message, *, store: MailStore, pack: VoicePack, config: Config,
                  rt: Runtime) -> tuple[list[_Plan], dict[str, str]]:
    """Decide what each variant needs (its route's plan, ``trainer.routes``; ``full``
    merges every in-full route's part), and which cannot run (with the reason)."""
    wanted = set(variants) | ({r.name for r in routes.in_full()} if routes.FULL in variants else set())
    parts: dict[str, Part | str] = {}
    for r in routes.variants():
        plan = r.plan_function()
        if r.name in wanted and plan is not None:
            parts[r.name] = plan(message, store=store, pack=pack, config=config, rt=rt)
    plans: list[_Plan] = []
    unavailable: dict[str, str] = {}
    for v in variants:
        if v == routes.FULL:
            got = [p for r in routes.in_full() if isinstance(p := parts.get(r.name), Part)]
            if got:
                merged = Part()
                for p in got:
                    merged = merged.merge(p)
                plans.append(_Plan(v, merged.examples, merged.example_tokens, merged.style, merged.adapter))
            else:
                unavailable[v] = "no voice learned yet (no replies to retrieve, no style prompt, no adapter)"
        elif v not in parts:  # a variant that needs nothing learned (base)
            plans.append(_Plan(v))
        elif isinstance(parts[v], str):
            unavailable[v] = parts[v]
        else:
            p = parts[v]
            plans.append(_Plan(v, p.examples, p.example_tokens, p.style, p.adapter))
    return plans, unavailable


def with_thread(message: Message, store: MailStore) -> Message:
    """``message`` with its thread key from the store (a message read from a file has
    none): the stored copy's, else its parent's via In-Reply-To / References."""
    if store is None or message.thread:
        return message
    known = store.get(message.id) or (store.by_message_id(message.message_id) if message.message_id else None)
    if known is None:
        for ref in (message.in_reply_to, *reversed(message.references)):
            known = store.by_message_id(ref) if ref else None
            if known is not None:
                break
    return replace(message, thread=known.thread) if known is not None and known.thread else message


def draft(message: Message, *, variants: Sequence[str] | str | None = None, n: int = 1, store: MailStore | None = None,
          pack: VoicePack | None = None, config: Config | None = None, on_token: OnDraftToken | None = None,
          on_restart: OnDraftRestart | None = None, progress: ProgressFn = no_progress,
          cancel: CancelToken | None = None, runtime: Runtime | None = None, boundary: str | None = None,
          check_exclude: str = "") -> DraftResult:
    """Draft ``n`` replies to ``message`` per variant, streaming tokens to
    ``on_token(variant, sample, text)``. The model and the sampling settings are the
    config's (``model``, ``max_tokens``, ``temperature``, ``top_p``; sample ``i`` uses seed
    ``config.seed + i``): a caller that overrides one passes ``config.with_(...)``.
    ``runtime``: an already loaded model to use instead of ``config.model``.

    ``variants=None``: the configured default (``config.variant``), or ``base`` with a
    note while that cannot run (nothing learned yet).

    When the leak guard throws a streamed draft away, ``on_restart(variant, sample,
    reason)`` says so and the replacement streams after it, so what was streamed since
    the last restart always adds up to the final text.

    Cancelling stops the current draft (kept, finish_reason "cancelled") and skips the
    rest; the result then has ``cancelled=True``.

    ``boundary``: the data-fence boundary for every variant of this call; by default a
    fresh random one (unpredictable to the mail's sender). The eval passes a fixed one
    per held-out message so that a rerun drafts the same prompts.

    Every draft carries reply checks (``trainer.draft.replycheck``: role, prompt leak, invented
    facts, questions answered). Up to ``config.best_of`` samples are drawn per draft until
    one passes them all; the one kept is the first that passes, else the one closest to
    passing (``Draft.tries``, ``Draft.first_checks``). Only the checks select: the voice
    scorer never does, so the eval's ACC is not judged by what picked the draft.
    ``check_exclude``: text left out of the archive the invented check looks in (the eval
    passes the held-out reply)."""
    cfg = config or Config()
    default = variants is None  # the configured default variant, else base while it cannot run yet
    names = parse_variants(cfg.variant if default else variants)
    if n < 1:
        raise UserError(f"-n must be at least 1 (got {n}).", hint="Ask for 1 or more samples.")
    rt = runtime or runtime_for(cfg, cfg.model)
    message = with_thread(message, store)
    plans, unavailable = plan_variants(names, message, store=store, pack=pack, config=cfg, rt=rt)
    notes: list[str] = []
    stale = getattr(pack, "stale", None) if pack is not None else None
    if stale:
        why = stale.get("reason", "a source was forgotten")
        notes.append(f"Your voice pack's learned files were deleted because {why}; run `ownvoice learn` to "
                     "learn your voice again from the mail that is left.")
    if default and not plans and names != ["base"]:
        notes.append(f"{names[0]} cannot run yet ({unavailable.get(names[0], 'not learned')}): drafted with base")
        plans, _ = plan_variants(["base"], message, store=store, pack=pack, config=cfg, rt=rt)
    thread = list(store.thread(message)) if store is not None else []
    total = len(plans) * n
    drafts: list[Draft] = []
    cancelled = False
    progress(Progress("draft", 0, total, message="loading model"))
    # one fence boundary for every variant of this call: variants then differ only in
    # what they add (examples, style, adapter), so comparing them is paired
    boundary = boundary or new_boundary()
    base_ctx = CheckContext.build(message, store=store, me=cfg.me, thread=thread, boundary=boundary,
                                  exclude_text=check_exclude)
    reg = register_for(store, message) if cfg.register and store is not None else None
    run = _Run(message, rt, cfg, store, thread, boundary, base_ctx, reg, int(cfg.max_tokens),
               float(cfg.temperature), float(cfg.top_p), int(cfg.seed), on_token, on_restart, cancel)
    try:
        for plan in plans:
            if cancelled:
                break
            variant = run.prepare(plan)
            notes += variant.notes
            for i in range(n):
                if cancel is not None and cancel.cancelled:
                    cancelled = True
                    break
                d = run.one(variant, i)
                drafts.append(d)
                cancelled = cancelled or d.finish_reason == "cancelled"
                progress(Progress("draft", len(drafts), total, message=f"{plan.variant} #{i + 1}",
                                  info={"tok/s": round(d.tokens_per_second, 1)}))
                if cancelled:
                    break
    finally:
        if rt.adapter is not None:
            rt.set_adapter(None)
    return DraftResult(message, drafts, unavailable, cancelled, rt.info.name, tuple(notes),
                       {**reg.to_json(), "describe": reg.describe(run.to_name)}
                       if reg is not None and any(p.variant != "base" for p in plans) else None,
                       getattr(rt, "backend", ""))


@dataclass
class _Variant:
    """One variant's prompt, checks, scaffold and decoding constraints (``_Run.prepare``)."""

    plan: _Plan
    prompt: Any
    ctx: CheckContext
    scaffold: Scaffold
    opening: str
    extra: dict[str, Any]
    notes: list[str]


@dataclass
class _Run:
    """What every variant and sample of one ``draft`` call shares."""

    message: Message
    rt: Runtime
    cfg: Config
    store: MailStore
    thread: list[Message]
    boundary: str
    base_ctx: CheckContext
    reg: Any  # trainer.draft.register.Register | None
    max_tokens: int
    temperature: float
    top_p: float
    seed: int
    on_token: OnDraftToken | None
    on_restart: OnDraftRestart | None
    cancel: CancelToken | None

    @property
    def to_name(self) -> str:
        return first_name(self.message)

    def prepare(self, plan: _Plan) -> _Variant:
        """The variant's prompt (one fence boundary for all), its check context (the
        prompt's frame, the examples' facts), adapter, scaffold and opening: how the user
        writes to this correspondent (the register) for every variant but base, which
        stays the model alone."""
        cfg, message, rt = self.cfg, self.message, self.rt
        prompt = build_prompt(message, rt, max_tokens=self.max_tokens, thread=self.thread, examples=plan.examples,
                              example_tokens=plan.example_tokens, style=plan.style, me=cfg.me,
                              boundary=self.boundary)
        ctx = replace(self.base_ctx, frame=frame_ngrams(frame_text(prompt)),
                      thread_keys=self.base_ctx.thread_keys.union(*(fact_keys(p.reply_text) for p in plan.examples)))
        if plan.adapter is not None or rt.adapter is not None:
            rt.set_adapter(plan.adapter)
        sc = Scaffold.from_style(plan.style, cfg.scaffold)
        use_reg = self.reg is not None and plan.variant != "base"
        if use_reg:
            sc = sc.with_register(self.reg, length=bool(getattr(cfg, "register_length", False)))
        to_name = self.to_name
        opening = self.reg.opening(to_name) if use_reg else None
        if opening is None:
            opening = sc.prefix(message) or (f"Hi {to_name},\n\n" if cfg.greet and to_name else "")
        # decoding constraints: never the fence boundary, never a greeting to the user, and
        # (number_guard) no number found neither in the thread nor in the user's archive
        extra = {**sc.generate_kwargs(opening),
                 "veto": draft_veto(prompt.boundary, ctx.people.user_first, opening,
                                    numbers=ctx.number_prefixes() if cfg.number_guard else None)}
        # past this share of the budget, stop at the next sentence end, so that a long
        # draft ends on a whole sentence rather than where the tokens ran out
        soft = max(8, round(SOFT_SHARE * prompt.max_tokens))
        extra["soft_max_tokens"] = min(extra.get("soft_max_tokens") or soft, soft)
        return _Variant(plan, prompt, ctx, sc, opening, extra, [f"{plan.variant}: {x}" for x in prompt.notes])

    def one(self, variant: _Variant, i: int) -> Draft:
        """Sample ``i`` of a variant: best of ``config.best_of`` samples by the reply checks."""
        v = variant.plan.variant
        cb = (lambda s: self.on_token(v, i, s)) if self.on_token else None
        rs = (lambda r: self.on_restart(v, i, r)) if self.on_restart else None
        t_all = time.perf_counter()
        g, flags, checks, at, tried, first, stopped = best_of(
            max(1, int(self.cfg.best_of)), lambda k, on_token: sample(
                self.rt, variant.prompt, variant.scaffold, self.store, self.message.thread or None,
                seed=self.seed + i + 104729 * k, temperature=self.temperature, top_p=self.top_p,
                cancel=self.cancel, on_token=on_token, on_restart=rs, extra=variant.extra,
                opening=variant.opening),
            lambda text, fl: variant.ctx.check(text, unfinished="unfinished" in fl,
                                               sign_off=variant.scaffold.sign_off or ""), cb, rs)
        flags = tuple(dict.fromkeys((*flags, *checks.flags(), *(("cancelled",) if stopped else ()))))
        return Draft(v, i, g.text, g.tokens, g.seconds, g.decode_tokens_per_second, g.prompt_tokens, flags,
                     "cancelled" if stopped else g.finish_reason, g.ttft, self.seed + i + 104729 * at, checks,
                     tried, first if at else None, time.perf_counter() - t_all)

SOFT_SHARE = 0.8  # of max_tokens: from here on, the next sentence end stops the draft


