"""Route 1, retrieval: the user's past replies closest to the message become few-shot
style examples.

``examples_for(store, message, k=..)`` asks the store for the reply pairs whose
*incoming* message is most like the one being answered and keeps those with reply
text. Only ``ReplyPair.reply_text`` - the user's own words - goes into a prompt
(see ``trainer.draft.prompt``). The message itself, and its thread, are excluded (the
thread is in the prompt already; in evaluation this also stops a held-out reply from
answering for itself), and so is anything dated after the message.

``learn(ctx, progress, cancel)`` is the "rag" route of ``ownvoice learn``: nothing is
trained; it checks that the store has reply pairs and records k, the token budget and
the pair count in the voice pack.

What it leaves out: no re-ranking beyond the store's cosine similarity, no
diversity constraint among the k examples.
"""

from __future__ import annotations

from typing import Any

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import MailStore
from ingest.kernel.records import Message, ReplyPair
from trainer.voicepack import RetrievalEntry, VoicePack


def examples_for(store: MailStore, message: Message, *, k: int = 3) -> list[ReplyPair]:
    """Up to ``k`` of the user's reply pairs most similar to ``message``, best first."""
    if store is None or k <= 0:
        return []
    text = (message.text or message.body or message.subject or "").strip()
    if not text:
        return []
    kw: dict[str, Any] = {"k": k, "exclude_ids": tuple(i for i in (message.id,) if i)}
    if message.thread:
        kw["exclude_thread"] = message.thread
    if message.date is not None:
        kw["before"] = message.date
    hits = store.similar_pairs(text, **kw)
    out = []
    for pair, _score in hits:
        if pair.reply_text and pair.reply_text.strip() and pair.reply_id != message.id:
            out.append(pair)
    return out[:k]


def settings(pack: VoicePack, config: Any) -> tuple[int, int]:
    """(k, token budget): the voice pack's recorded rag settings, else the config's."""
    entry = pack.retrieval() if pack is not None else None
    if entry:
        return entry.k, entry.token_budget
    return int(config.retrieval_k), int(config.retrieval_tokens)


def learn(ctx: Any, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict:
    """The "rag" route: check there is something to retrieve, record the settings."""
    check(cancel)
    progress(Progress("rag", 0, 1, message="counting reply pairs"))
    pairs = ctx.store.reply_pairs()
    usable = sum(1 for p in pairs if p.reply_text and p.reply_text.strip())
    if not usable:
        raise UserError("The store has no replies of yours to learn from (0 reply pairs).",
                        hint="Import mail that includes your Sent folder, and check that your addresses "
                             "are set (`me` in the config).")
    entry = RetrievalEntry(k=int(ctx.options.get("k", ctx.config.retrieval_k)),
                           token_budget=int(ctx.options.get("retrieval_tokens", ctx.config.retrieval_tokens)),
                           pairs=usable).to_json()
    ctx.pack.set_route("rag", entry)
    progress(Progress("rag", 1, 1, message=f"{usable} reply pairs"))
    return entry
