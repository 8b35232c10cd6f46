"""What each learned route puts into a draft (``trainer.routes``: a route's ``plan``).

``plan(message, *, store, pack, config, rt) -> Part | str``: the route's part (few-shot
examples, a style prompt, an adapter) or, when it cannot take part, the reason the user
sees. ``full`` merges the parts of every ``in_full`` route that has one.

What it leaves out: a route that needs a new kind of part (beyond examples, style and
adapter) also adds a field here and its use in ``trainer.draft.drafting``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.kernel.protocols import MailStore
from ingest.kernel.records import Message, ReplyPair
from trainer.draft import retrieval as rag
from trainer.runtime.llama import Runtime
from trainer.voicepack import read_prompt
from trainer.voicepack import VoicePack


@dataclass(frozen=True)
class Part:
    examples: tuple[ReplyPair, ...] = ()
    example_tokens: int = 0
    style: str | None = None
    adapter: Path | None = None

    def merge(self, other: "Part") -> "Part":
        return Part(examples=self.examples or other.examples,
                    example_tokens=self.example_tokens or other.example_tokens,
                    style=self.style or other.style, adapter=self.adapter or other.adapter)


def retrieval(message: Message, *, store: MailStore, pack: VoicePack, config: Any, rt: Runtime) -> Part | str:
    """The user's closest past replies (``trainer.draft.retrieval``) as examples."""
    k, budget = rag.settings(pack, config)
    if store is None:
        return "no store: import mail first (`ownvoice import`)"
    examples = tuple(rag.examples_for(store, message, k=k))
    if not examples:
        return "no reply pairs of yours to retrieve (import your Sent mail)"
    return Part(examples=examples, example_tokens=budget)


def style(message: Message, *, store: MailStore, pack: VoicePack, config: Any, rt: Runtime) -> Part | str:
    """The style prompt as the model reads it (the user's edit, if any)."""
    text = read_prompt(pack)  # the model reads the rules, not the markdown's comments and headings
    return Part(style=text) if text else "no style prompt yet: run `ownvoice learn --routes pld`"


def adapter(message: Message, *, store: MailStore, pack: VoicePack, config: Any, rt: Runtime) -> Part | str:
    """The pack's LoRA adapter (manifest route "lora", as ``trainer.learn.lora`` records
    it) if it was trained on the runtime's model, else the reason it cannot be used."""
    if pack is None:
        return "no voice pack yet: run `ownvoice learn --routes lora`"
    entry = pack.adapter()
    if entry is None or not entry.path.is_file():
        return "no LoRA adapter trained yet: run `ownvoice learn --routes lora`"
    why = entry.refusal(rt.info.name, rt.info.sha256)
    return why if why else Part(adapter=entry.path)
