"""Training data for the LoRA route: reply pairs and documents -> packed token rows.

- A (message, reply) pair becomes one chat example in the model's own format: the
  tokenizer's chat template for an instruct model (the message as the user turn,
  the reply as the assistant turn), or a plain mail frame for a base model. Only
  the reply's tokens carry loss (``labels`` is -100 elsewhere).
- A document of the user's own writing becomes plain continuation text (loss on
  every token), cut into pieces of at most ``seq_len`` tokens.
- ``split_by_date`` holds out the newest 10% of pairs; the trainer never sees them.
- ``pack`` puts several examples into one row of ``seq_len`` tokens instead of
  padding each one. Each example's ``position_ids`` restart at 0; transformers turns
  these resets into a block-diagonal (document) causal mask when no attention mask
  is passed, so examples in one row do not attend to each other
  (tests/trainer/learn/lora/test_dataset.py checks that a packed row's loss equals the
  examples' losses computed one by one).

What it leaves out: multi-turn threads (only the message being answered is the
prompt), and documents are not held out (held-out loss is measured on replies).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

IGNORE = -100
MAX_MESSAGE_CHARS = 6000


@dataclass(frozen=True)
class Example:
    """One training example: token ids and labels (IGNORE where there is no loss)."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    key: str = ""  # pair id or document id

    @property
    def n_loss(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


@dataclass(frozen=True)
class PackedRow:
    """``seq_len`` tokens holding one or more examples (pad at the tail)."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    position_ids: tuple[int, ...]
    n_real: int  # tokens that are not padding


def split_by_date(pairs: Sequence[Any], frac: float = 0.1, min_heldout: int = 1) -> tuple[list, list]:
    """``(train, heldout)``: the newest ``frac`` of pairs (by ``date``) are held out.

    Pairs without a date count as oldest. With fewer than 2 pairs nothing is held out.

    >>> from types import SimpleNamespace as S
    >>> tr, ho = split_by_date([S(date=i) for i in range(10)])
    >>> [p.date for p in ho]
    [9]
    """
    ordered = sorted(pairs, key=lambda p: (p.date is not None, p.date or 0))
    if len(ordered) < 2:
        return list(ordered), []
    n_ho = max(min_heldout, int(round(len(ordered) * frac)))
    n_ho = min(n_ho, len(ordered) - 1)
    return ordered[:-n_ho], ordered[-n_ho:]


def data_fingerprint(pairs: Iterable[Any], documents: Iterable[Any] = ()) -> str:
    """A hash of the training pair (and document) ids: same data, same fingerprint."""
    h = hashlib.sha256()
    for x in pairs:
        h.update(str(x.id).encode() + b"\n")
    h.update(b"--docs--\n")
    for d in documents:
        h.update(str(d.id).encode() + b"\n")
    return h.hexdigest()[:32]


class Formatter:
    """Turns pairs and documents into token examples for one tokenizer."""

    def __init__(self, tokenizer: Any, *, chat: bool | None = None, seq_len: int = 512,
                 frame: Callable[[Any, str], list[dict[str, str]]] | None = None) -> None:
        """``frame(pair, message_text)``: the chat messages drafting would send for that
        message (``trainer.draft.prompt.reply_messages``), so that training sees the drafting
        prompt exactly; without it, a plain "Write my reply" turn."""
        self.tok = tokenizer
        self.seq_len = seq_len
        self.frame = frame
        self.chat = bool(getattr(tokenizer, "chat_template", None)) if chat is None else chat
        self.bos = tokenizer.bos_token_id
        self.eos = tokenizer.eos_token_id

    def _enc(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=False))

    def prompt_text(self, message: str, sender: str = "", subject: str = "", pair: Any = None) -> str:
        """The text the model sees before the reply."""
        if self.frame is not None and pair is not None:
            msgs = self.frame(pair, message)
            if self.chat:
                return self.tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            from trainer.runtime.llama import base_frame

            return base_frame(msgs)
        head = "".join([f"From: {sender}\n" if sender else "", f"Subject: {subject}\n" if subject else ""])
        body = f"{head}\n{message.strip()}" if head else message.strip()
        if self.chat:
            user = "Write my reply to this email.\n\n" + body
            return self.tok.apply_chat_template([{"role": "user", "content": user}],
                                                tokenize=False, add_generation_prompt=True)
        return f"{body}\n\nReply:\n"

    def reply_suffix(self, reply: str, message_prompt: str) -> str:
        """The reply as the model must produce it (end-of-turn marker included)."""
        if self.chat:
            full = self.tok.apply_chat_template(
                [{"role": "user", "content": "x"}, {"role": "assistant", "content": reply.strip()}],
                tokenize=False)
            pre = self.tok.apply_chat_template([{"role": "user", "content": "x"}],
                                               tokenize=False, add_generation_prompt=True)
            if full.startswith(pre):
                return full[len(pre):]
            return reply.strip() + "\n"
        return reply.strip() + "\n"

    def pair_example(self, pair: Any) -> Example | None:
        """A pair as an example, or None when the reply is empty."""
        reply = (pair.reply_text or "").strip()
        if not reply:
            return None
        message = (pair.message_text or "")[:MAX_MESSAGE_CHARS]
        prompt = self.prompt_text(message, pair.message_sender, pair.message_subject, pair)
        reply_ids = self._enc(self.reply_suffix(reply, prompt))
        if not self.chat and self.eos is not None:
            reply_ids.append(self.eos)
        reply_ids = reply_ids[: max(16, self.seq_len * 3 // 4)]
        prefix = [self.bos] if (not self.chat and self.bos is not None) else []
        prompt_ids = prefix + self._enc(prompt)
        budget = self.seq_len - len(reply_ids)
        if len(prompt_ids) > budget:
            # keep the frame: shorten the message, then cut the prompt's middle as a last resort
            words = message.split()
            while words and len(prompt_ids) > budget:
                words = words[: int(len(words) * 0.7)]
                prompt_ids = prefix + self._enc(self.prompt_text(" ".join(words) + " ...",
                                                                 pair.message_sender, pair.message_subject, pair))
            if len(prompt_ids) > budget:
                keep = max(1, budget)
                prompt_ids = prompt_ids[: keep // 2] + prompt_ids[len(prompt_ids) - (keep - keep // 2):]
        ids = prompt_ids + reply_ids
        labels = [IGNORE] * len(prompt_ids) + reply_ids
        return Example(tuple(ids), tuple(labels), key=str(pair.id))

    def document_examples(self, doc: Any) -> list[Example]:
        """A document as plain continuation text, in pieces of at most ``seq_len``."""
        text = (doc.text or "").strip()
        if not text:
            return []
        ids = self._enc(text)
        step = self.seq_len - 2
        out = []
        for i in range(0, len(ids), step):
            piece = ids[i:i + step]
            if len(piece) < 8:
                continue
            row = ([self.bos] if self.bos is not None else []) + piece
            if i + step >= len(ids) and self.eos is not None:
                row.append(self.eos)
            out.append(Example(tuple(row), tuple(row), key=f"{doc.id}#{i}"))
        return out


def build_examples(fmt: Formatter, pairs: Iterable[Any], documents: Iterable[Any] = ()) -> list[Example]:
    out = [e for p in pairs if (e := fmt.pair_example(p)) is not None]
    for d in documents:
        out.extend(fmt.document_examples(d))
    return out


def pack(examples: Sequence[Example], seq_len: int, pad_id: int, seed: int = 0) -> list[PackedRow]:
    """Pack examples into rows of ``seq_len`` tokens (best-fit decreasing).

    Each example keeps its own positions (restarting at 0); the tail of a row is
    padding with labels IGNORE and its own position run. Examples longer than
    ``seq_len`` are cut. The row order is shuffled with ``seed``.
    """
    items = sorted(((list(e.input_ids[:seq_len]), list(e.labels[:seq_len])) for e in examples),
                   key=lambda x: -len(x[0]))
    rows: list[list[tuple[list[int], list[int]]]] = []
    free: list[int] = []
    for ids, labels in items:
        best, best_free = -1, seq_len + 1
        for r, f in enumerate(free):
            if len(ids) <= f < best_free:
                best, best_free = r, f
        if best < 0:
            rows.append([]), free.append(seq_len)
            best = len(rows) - 1
        rows[best].append((ids, labels))
        free[best] -= len(ids)
    out = []
    for parts in rows:
        ids, labels, pos = [], [], []
        for i, l in parts:
            ids += i
            labels += [IGNORE] + l[1:]  # a row's first token is never a target (no leak across examples)
            pos += list(range(len(i)))
        n_real = len(ids)
        pad = seq_len - n_real
        ids += [pad_id] * pad
        labels += [IGNORE] * pad
        pos += list(range(pad))
        out.append(PackedRow(tuple(ids), tuple(labels), tuple(pos), n_real))
    random.Random(seed).shuffle(out)
    return out


def pad_batch(examples: Sequence[Example], pad_id: int) -> dict[str, Any]:
    """Right-pad examples to the longest one (the plain, unpacked way; used for
    held-out evaluation and as the bench baseline)."""
    import torch

    n = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), n), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), n), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), n), dtype=torch.long)
    for i, e in enumerate(examples):
        k = len(e.input_ids)
        ids[i, :k] = torch.tensor(e.input_ids)
        labels[i, :k] = torch.tensor(e.labels)
        mask[i, :k] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def row_batch(rows: Sequence[PackedRow]) -> dict[str, Any]:
    """Stack packed rows into tensors (no attention mask: the position resets are the mask).

    The padding tail that every row of the batch has is cut off: it holds no labels,
    and no real token attends to it, so computing it would be pure waste."""
    import torch

    n = max(r.n_real for r in rows)
    return {"input_ids": torch.tensor([r.input_ids[:n] for r in rows], dtype=torch.long),
            "labels": torch.tensor([r.labels[:n] for r in rows], dtype=torch.long),
            "position_ids": torch.tensor([r.position_ids[:n] for r in rows], dtype=torch.long)}
