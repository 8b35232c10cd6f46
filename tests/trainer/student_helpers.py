"""Helpers for the student-runtime tests: the embedded model's path, tiny GGUF LoRA
adapters written with the ``gguf`` package, and a small in-memory store that
implements the Store read API the drafting code uses."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from ingest.kernel.records import Message, ReplyPair

SMOL_DIM, SMOL_KV_DIM = 576, 192  # SmolLM2-135M: hidden size, k/v projection width


def write_lora_adapter(path: Path, *, arch: str = "llama", layers: int = 2, rank: int = 4,
                       zero_b: bool = False, seed: int = 0, scale_b: float = 0.05) -> Path:
    """A valid llama.cpp GGUF LoRA adapter on attn_q / attn_v of the first ``layers``
    blocks. ``zero_b``: lora_b is zero, so the adapter changes nothing."""
    import gguf

    rng = np.random.default_rng(seed)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(path), arch)
    w.add_string("general.type", "adapter")
    w.add_string("adapter.type", "lora")
    w.add_float32("adapter.lora.alpha", float(rank))
    for i in range(layers):
        for t, out in (("attn_q", SMOL_DIM), ("attn_v", SMOL_KV_DIM)):
            a = (rng.standard_normal((rank, SMOL_DIM)) * 0.1).astype(np.float32)
            b = (np.zeros((out, rank), np.float32) if zero_b
                 else (rng.standard_normal((out, rank)) * scale_b).astype(np.float32))
            w.add_tensor(f"blk.{i}.{t}.weight.lora_a", a)
            w.add_tensor(f"blk.{i}.{t}.weight.lora_b", b)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


_TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"


def tiny_model(path: Path, *, arch: str = "llama", ctx: int = 4096, chat: bool = True,
               size_label: str | None = None, file_type: int = 15) -> Path:
    """A small but complete GGUF model file: metadata plus two blocks of f32 weights."""
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(path), arch)
    w.add_string("general.type", "model")
    w.add_context_length(ctx)
    w.add_file_type(file_type)
    if size_label:
        w.add_string("general.size_label", size_label)
    if chat:
        w.add_chat_template(_TEMPLATE)
    rng = np.random.default_rng(0)
    w.add_tensor("token_embd.weight", rng.standard_normal((64, 32)).astype(np.float32))
    for i in range(2):
        w.add_tensor(f"blk.{i}.attn_q.weight", rng.standard_normal((32, 32)).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path



class FakeStore:
    """In-memory stand-in for ``ingest.store.store.Store`` (the read methods drafting uses).

    ``similar_pairs`` returns the given pairs in order and records its arguments;
    ``rare_runs`` reports a span when the text contains one of ``leaky`` phrases.

    Why a stand-in: these tests check prompt and variant logic against the real model
    many times over, with exact pairs and leaks chosen per test; a real Store costs a
    minute of MiniLM embedding per archive. Each guarded path also runs through the
    real Store, n-gram index, MiniLM and SmolLM2: the leak guard
    (``test_drafting.test_leak_guard_through_the_real_store_index_and_model``), drafting
    on the demo archive (``test_drafting``'s real-store test), the reply checks
    (tests/trainer/draft/test_replycheck.py) and the hostile set (tests/hostile)."""

    def __init__(self, messages: list[Message] = (), pairs: list[ReplyPair] = (), leaky: tuple[str, ...] = ()):
        self._messages = list(messages)
        self._pairs = list(pairs)
        self.leaky = leaky
        self.similar_calls: list[dict] = []

    def count(self, own: bool | None = None) -> int:
        return sum(1 for _ in self.messages(own))

    def messages(self, own: bool | None = None, source: str | None = None) -> Iterator[Message]:
        return iter([m for m in self._messages if own is None or m.own == own])

    def get(self, id: str) -> Message | None:  # noqa: A002
        return next((m for m in self._messages if m.id == id), None)

    def by_message_id(self, header_id: str) -> Message | None:
        return next((m for m in self._messages if m.message_id == header_id.strip("<>")), None)

    def thread(self, message: Message) -> list[Message]:
        older = [m for m in self._messages if m.thread and m.thread == message.thread and m.id != message.id
                 and (message.date is None or m.date is None or m.date < message.date)]
        return older

    def reply_pairs(self, source: str | None = None) -> list[ReplyPair]:
        return list(self._pairs)

    def similar_pairs(self, text: str, k: int = 3, exclude_ids=(), exclude_thread=None, before=None):  # noqa: ANN001
        self.similar_calls.append({"text": text, "k": k, "exclude_ids": tuple(exclude_ids),
                                   "exclude_thread": exclude_thread, "before": before})
        out = [p for p in self._pairs if p.thread != exclude_thread and p.reply_id not in exclude_ids]
        return [(p, 0.9 - 0.1 * i) for i, p in enumerate(out[:k])]

    def rare_runs(self, text: str, exclude_thread: str | None = None, n: int = 8, max_docs: int = 2):
        words = text.split()
        spans = []
        for phrase in self.leaky:
            pw = phrase.split()
            for i in range(len(words) - len(pw) + 1):
                if words[i:i + len(pw)] == pw:
                    spans.append((i, i + len(pw)))
        return spans
