"""Self-distillation for the LoRA route: rejection sampling, then fine-tuning again (the
DeepSeek-R1 recipe's spirit, at the size of one person's mail).

``collect(ctx, train_pairs)`` drafts ``k`` replies to each of up to ``limit`` training
messages with the student and the adapter just trained (variant ``lora``, one sample
per try: the checks here are the filter, not best-of-N). A candidate is kept when it
passes every reply check (``trainer.draft.replycheck``: speaks as the user to the sender, no
prompt residue, nothing invented, the asks answered) and the voice scorer rates it in
voice (mean atom probability >= 0.5, the equal prior). The kept drafts become extra
(message, reply) pairs beside the user's real ones; ``trainer.learn.lora.learn`` then trains
a fresh adapter on both.

What it leaves out: held-out messages are never drafted, so the eval stays unseen;
only one round (no iteration); the scorer that filters here also grades the eval's ACC,
so a gain in ACC from this route alone is not independent evidence (the reply checks
and content are).
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any, Sequence

from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import MailStore
from ingest.kernel.records import Message, ReplyPair

IN_VOICE = 0.5


def collect(ctx: Any, train_pairs: Sequence[ReplyPair], *, k: int = 2, limit: int = 48,
            progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
            seed: int = 0) -> tuple[list[ReplyPair], dict[str, Any]]:
    """(kept pairs, counts); see the module docstring."""
    from trainer.draft.drafting import draft
    from trainer.score.scorer import VoiceScorer

    scorer = VoiceScorer.load(ctx.pack)
    pool = [p for p in train_pairs if p.message_text.strip()]
    chosen = random.Random(seed).sample(pool, min(limit, len(pool)))
    cfg = ctx.config.with_(best_of=1)
    kept: list[ReplyPair] = []
    drafted = usable = 0
    for i, pair in enumerate(chosen):
        check(cancel)
        progress(Progress("self-distill", i, len(chosen), message="drafting with the adapter"))
        msg = _message(ctx.store, pair)
        model = (ctx.options or {}).get("model") or cfg.model
        res = draft(msg, variants=["lora"], n=k, store=ctx.store, pack=ctx.pack, cancel=cancel,
                    config=cfg.with_(seed=seed + 1000 * i, model=model))
        check(cancel)
        for d in res.drafts:
            drafted += 1
            if d.checks is None or not d.checks.usable or not d.text.strip():
                continue
            usable += 1
            ps = [a.p for a in scorer.score_text(d.text).scores if a.p is not None]
            if ps and sum(ps) / len(ps) >= IN_VOICE:
                kept.append(replace(pair, reply_id=f"sd-{pair.reply_id}-{d.sample}", reply_text=d.text.strip(),
                                    how="self-distill"))
    progress(Progress("self-distill", len(chosen), len(chosen), message=f"kept {len(kept)} of {drafted}"))
    return kept, {"messages": len(chosen), "drafted": drafted, "usable": usable, "kept": len(kept)}


def _message(store: MailStore, pair: ReplyPair) -> Message:
    stored = store.get(pair.message_id) if pair.message_id else None
    return stored or Message(source=pair.source, item=pair.id, subject=pair.message_subject,
                             sender=pair.message_sender, date=pair.date, body=pair.message_text,
                             text=pair.message_text, thread=pair.thread, own=False)
