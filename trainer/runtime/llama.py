"""The student runtime: one llama-cpp-python model per GGUF file, loaded lazily.

``get_runtime(model)`` returns a process-wide ``Runtime`` per (model path, n_ctx, GPU
layers); ``runtime_for(config)`` is the same with the user's settings (context length,
threads, GPU layers: 0, a count, or -1 for auto, which offloads what the memory
estimate says fits when llama.cpp was built with a GPU backend, else nothing). It
streams tokens through a callback, stops on a cancel token (checked per token), a
stop string, an end-of-generation token or a hard token cap, samples with
temperature / top-p / a seed, and applies or removes a GGUF LoRA adapter on the live
context (``llama_set_adapters_lora``) without reloading the base model. A lock
serialises every call into llama.cpp, so GUI worker threads can share one runtime.

Prompts: a list of chat messages is rendered with the model's own chat template
(instruct models) or a plain "Message:/Reply:" frame (base models). Control-token
strings (``<|im_start|>`` and the like) are removed from message contents first, so
text inside an email can never forge a turn boundary. A plain string prompt is passed
through as is (special tokens parsed): the caller owns it.

What it leaves out: one sequence at a time (no
batching of samples), no speculative decoding, no prefix KV reuse between calls (each
generation starts from an empty cache, so a fixed seed gives the same text).
"""

from __future__ import annotations

import ctypes
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken
from trainer.runtime.gguf_check import check_gguf
from trainer.runtime.models import ModelInfo
from trainer.runtime.sampling import banned_tokens, make_sampler, sample_tokens
from trainer.runtime.stream import LineFilter, OnToken, StreamText

Messages = Sequence[dict[str, str]]
DEFAULT_N_CTX = 2048
BASE_STOPS = ("\nMessage:", "\nMessage from", "\n---")


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int  # generated tokens
    prompt_tokens: int
    seconds: float  # wall time of the whole call
    ttft: float  # seconds to the first generated token (prompt evaluation included)
    finish_reason: str  # "stop" | "length" | "cancelled" | "context"
    token_ids: tuple[int, ...] = ()
    cpu_seconds: float = 0.0  # process CPU time of the call (a fair measure on a busy machine)
    cpu_ttft: float = 0.0

    @property
    def decode_tokens_per_second(self) -> float:
        dt = self.seconds - self.ttft
        return (self.tokens - 1) / dt if self.tokens > 1 and dt > 0 else 0.0

    @property
    def prompt_tokens_per_second(self) -> float:
        return self.prompt_tokens / self.ttft if self.ttft > 0 else 0.0


class Runtime:
    """A lazily loaded llama.cpp model. Use ``get_runtime`` rather than the constructor."""

    def __init__(self, info: ModelInfo, *, n_ctx: int = DEFAULT_N_CTX, threads: int | None = None,
                 gpu_layers: int = 0) -> None:
        self.info = info
        self._n_ctx = int(n_ctx)
        self.threads = max(1, int(threads or os.cpu_count() or 1))
        self.gpu_layers = int(gpu_layers)  # as llama.cpp takes it: 0 none, -1 all, n the first n
        self._lock = threading.RLock()
        self._llm: Any = None
        self._controls: tuple[str, ...] | None = None
        self._adapters: dict[str, Any] = {}
        self._bans: dict[str, tuple[int, ...]] = {}  # path -> llama_adapter_lora_p (freed with the model)
        self.adapter: tuple[Path, float] | None = None

    # -- loading ----------------------------------------------------------------------
    @property
    def llm(self) -> Any:
        """The ``llama_cpp.Llama`` instance (loaded on first use)."""
        if self._llm is None:
            with self._lock:
                if self._llm is None:
                    self._llm = self._load()
        return self._llm

    def _load(self) -> Any:
        import llama_cpp  # heavy: imported on first use only

        check_gguf(self.info.path)  # never hand llama.cpp a damaged file
        try:
            return llama_cpp.Llama(model_path=str(self.info.path), n_ctx=self._n_ctx, n_batch=512,
                                   n_threads=self.threads, n_threads_batch=self.threads,
                                   n_gpu_layers=self.gpu_layers, logits_all=False, verbose=False)
        except (ValueError, RuntimeError, OSError) as e:
            raise UserError(f"llama.cpp could not load {self.info.path} ({e}).",
                            hint="Check that the model's architecture is supported, or use --model smollm2.") from e

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    @property
    def backend(self) -> str:
        """Where drafting runs: "CPU", "GPU (all layers)" or "GPU (n layers)"."""
        if not self.gpu_layers:
            return "CPU"
        return "GPU (all layers)" if self.gpu_layers < 0 else f"GPU ({self.gpu_layers} layers)"

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            self._llm = None
            self._adapters.clear()

    # -- tokens -----------------------------------------------------------------------
    def tokenize(self, text: str, *, add_bos: bool = False, special: bool = False) -> list[int]:
        with self._lock:
            return self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)

    def detokenize(self, ids: Sequence[int]) -> str:
        with self._lock:
            return self.llm.detokenize(list(ids)).decode("utf-8", errors="replace")

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text)) if text else 0

    def control_tokens(self) -> tuple[str, ...]:
        """The texts of the vocabulary's control tokens (``<|im_start|>``, ``<bos>`` ...)."""
        if self._controls is None:
            import llama_cpp

            with self._lock:
                m = self.llm._model
                found = set()
                for i in range(self.llm.n_vocab()):
                    attr = m.token_get_attr(i)
                    # control tokens only: user-defined ones are markup or whitespace runs
                    # (Gemma: "<table>", "\n\n\n"), which cannot open or close a turn
                    if attr & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL:
                        t = m.token_get_text(i)
                        if len(t) >= 3:
                            found.add(t)
                self._controls = tuple(sorted(found, key=len, reverse=True))
        return self._controls

    def sanitize(self, text: str) -> str:
        """Remove control-token strings, so data can never open or close a turn."""
        controls = self.control_tokens()
        prev = None
        while prev != text:  # removing one may join the halves of another
            prev = text
            for c in controls:
                if c in text:
                    text = text.replace(c, "")
        return text

    # -- prompts ----------------------------------------------------------------------
    def chat_format_prompt(self, messages: Messages) -> str:
        """Render ``messages`` with the model's own chat template (instruct models) or a
        plain completion frame (base models). Contents are sanitized first."""
        msgs = [{"role": m["role"], "content": self.sanitize(m.get("content", ""))} for m in messages]
        template = self.llm.metadata.get("tokenizer.chat_template") if self.info.kind == "instruct" else None
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            m = self.llm._model
            bos = m.token_get_text(self.llm.token_bos()) if self.llm.token_bos() >= 0 else ""
            eos = m.token_get_text(self.llm.token_eos()) if self.llm.token_eos() >= 0 else ""
            try:
                text = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)(messages=msgs).prompt
            except Exception as e:  # a user's model with a template jinja cannot render
                raise UserError(f"The chat template of {self.info.path.name} failed to render ({e}).",
                                hint="Use a base model frame: pass a different --model.") from e
            if bos and text.startswith(bos) and m.add_bos_token():  # tokenize(add_bos=True) adds it
                text = text[len(bos):]
            return text
        return base_frame(msgs)

    def _prompt_ids(self, prompt: str | Messages) -> tuple[list[int], tuple[str, ...]]:
        if isinstance(prompt, str):
            return self.tokenize(prompt, add_bos=True, special=True), ()
        text = self.chat_format_prompt(prompt)
        stops = () if self.info.kind == "instruct" and self.llm.metadata.get("tokenizer.chat_template") else BASE_STOPS
        return self.tokenize(text, add_bos=True, special=True), stops

    # -- generation -------------------------------------------------------------------
    def generate(self, prompt_or_messages: str | Messages, *, max_tokens: int = 200,
                 temperature: float = 0.7, top_p: float = 0.9, seed: int | None = 0,
                 stop: Sequence[str] | None = None, on_token: OnToken | None = None,
                 cancel: CancelToken | None = None, top_k: int = 40, min_p: float = 0.05,
                 repeat_penalty: float = 1.1, drop_lines_with: str | None = None,
                 ban_chars: str = "", prefix: str = "", soft_max_tokens: int | None = None,
                 veto: Callable[[str, str], bool] | None = None) -> Generation:
        """Generate up to ``max_tokens`` tokens. ``on_token`` gets text pieces whose
        concatenation is exactly ``Generation.text``.

        ``prefix``: text the answer starts with (the prompt is continued from it); it is
        the first piece streamed and part of ``Generation.text``.
        ``soft_max_tokens``: past this many tokens, stop at the next sentence end.

        ``drop_lines_with``: a marker (the prompt's random fence boundary) whose lines are
        left out of the text - a small model sometimes echoes the prompt's frame.
        ``ban_chars``: tokens containing any of these characters are never sampled
        (drafting bans "[": the fence syntax, and markdown links and images).
        ``veto(text_so_far, piece)``: a sampled token whose piece it refuses is never
        emitted; its logit is set to -inf and the position is sampled again (at most
        ``VETO_TRIES`` times, then the stream ends there, finish_reason "stop")."""
        # long: one pass under the runtime lock, from the prompt to the last token, with the
        # sampler and the token generator closed in one finally; split, the lock would span calls
        import llama_cpp

        t0, c0 = time.perf_counter(), time.process_time()
        with self._lock:
            llm = self.llm
            ids, frame_stops = self._prompt_ids(prompt_or_messages)
            if prefix:
                ids += self.tokenize(prefix, add_bos=False, special=False)
            if len(ids) >= self._n_ctx:
                raise UserError(f"The prompt has {len(ids)} tokens; the model's context holds {self._n_ctx}.",
                                hint="Shorten the message or raise the context size.")
            budget = min(int(max_tokens), self._n_ctx - len(ids))
            stops = tuple(s for s in (*(stop or ()), *frame_stops) if s)
            sampler = self._sampler(temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
                                    repeat_penalty=repeat_penalty, ban_chars=ban_chars,
                                    seed=int(seed) if seed is not None else random.randrange(1 << 31))
            llm.reset()
            vocab = llm._model.vocab
            sink = LineFilter(drop_lines_with, on_token) if drop_lines_with else None
            out = StreamText(stops, sink or on_token)
            token_ids: list[int] = []
            ttft = cpu_ttft = 0.0
            finish = "length" if budget == max_tokens else "context"
            if budget <= 0:
                return Generation("", 0, len(ids), time.perf_counter() - t0, 0.0, finish)
            if cancel is not None and cancel.cancelled:
                return Generation("", 0, len(ids), time.perf_counter() - t0, 0.0, "cancelled")
            if prefix:  # streamed first, and only once there will be a text to stream it into
                out.feed(prefix.encode("utf-8"))
            gen = sample_tokens(llm, ids, sampler, veto and (lambda piece: veto(out.text + out.pending, piece)))
            try:
                for tok in gen:
                    if tok is None:  # every candidate the veto saw was refused
                        finish = "stop"
                        break
                    if not token_ids:
                        ttft, cpu_ttft = time.perf_counter() - t0, time.process_time() - c0
                    if llama_cpp.llama_vocab_is_eog(vocab, tok):
                        finish = "stop"
                        break
                    piece = llm.detokenize([tok])
                    if (soft_max_tokens and len(token_ids) >= soft_max_tokens
                            and out.at_sentence_end(next_piece=piece)):
                        finish = "length"  # the sentence before this token is the last one
                        break
                    token_ids.append(tok)
                    if out.feed(piece):
                        finish = "stop"
                        break
                    if len(token_ids) >= budget:
                        break
                    if cancel is not None and cancel.cancelled:
                        finish = "cancelled"
                        break
            finally:
                gen.close()
                sampler.close()
            out.finish()
            if sink is not None:
                sink.flush()
            text = "".join(sink.parts) if sink is not None else out.text
            return Generation(text, len(token_ids), len(ids), time.perf_counter() - t0, ttft,
                              finish, tuple(token_ids), time.process_time() - c0, cpu_ttft)

    def _sampler(self, *, temperature: float, top_p: float, top_k: int, min_p: float,
                 repeat_penalty: float, seed: int, ban_chars: str) -> Any:
        banned = ()
        if ban_chars:  # token ids whose text holds a banned character, cached per character set
            if ban_chars not in self._bans:
                self._bans[ban_chars] = banned_tokens(self.llm, ban_chars)
            banned = self._bans[ban_chars]
        return make_sampler(self.llm, temperature=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
                            repeat_penalty=repeat_penalty, seed=seed, banned=banned)

    # -- logits -----------------------------------------------------------------------
    def logits(self, text_or_tokens: str | Sequence[int]) -> np.ndarray:
        """Full-vocabulary logits at every position: float32 array (n_tokens, n_vocab).

        A string is tokenized as ``generate`` does with a plain prompt (BOS where the
        model wants one, special tokens parsed)."""
        with self._lock:
            llm = self.llm
            ids = (self.tokenize(text_or_tokens, add_bos=True, special=True)
                   if isinstance(text_or_tokens, str) else [int(t) for t in text_or_tokens])
            if not ids:
                raise UserError("Nothing to score: the text has no tokens.", hint="Pass some text.")
            if len(ids) > self._n_ctx:
                raise UserError(f"{len(ids)} tokens do not fit the context of {self._n_ctx}.",
                                hint="Score a shorter text.")
            n_vocab = llm.n_vocab()
            out = np.empty((len(ids), n_vocab), dtype=np.float32)
            llm.reset()
            llm._ctx.kv_cache_clear()
            for i in range(0, len(ids), llm.n_batch):
                chunk = ids[i:i + llm.n_batch]
                llm._batch.set_batch(batch=chunk, n_past=i, logits_all=True)
                llm._ctx.decode(llm._batch)
                out[i:i + len(chunk)] = np.ctypeslib.as_array(
                    llm._ctx.get_logits(), shape=(len(chunk) * n_vocab,)).reshape(len(chunk), n_vocab)
            llm._ctx.kv_cache_clear()
            llm.reset()
            return out

    # -- adapters ---------------------------------------------------------------------
    def set_adapter(self, path: str | os.PathLike[str] | None, scale: float = 1.0) -> None:
        """Apply a GGUF LoRA adapter to the live context, or remove it (``None``).

        The base model is not reloaded; a loaded adapter is kept for re-use."""
        import llama_cpp

        with self._lock:
            llm = self.llm
            if path is None:
                if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, None, 0, None) != 0:
                    raise UserError("llama.cpp refused to remove the LoRA adapter.", hint="Restart ownvoice.")
                self.adapter = None
            else:
                p = Path(path).expanduser().resolve()
                try:  # a retrained adapter at the same path is another adapter
                    st = p.stat()
                    key = f"{p}:{st.st_mtime_ns}:{st.st_size}"
                except OSError:
                    key = str(p)
                ptr = self._adapters.get(key)
                if ptr is None:
                    h = check_gguf(p)
                    if h.kind != "adapter":
                        raise UserError(f"{p} is not a LoRA adapter (general.type is {h.kind or 'unset'!r}).",
                                        hint="Point to the adapter.gguf that `ownvoice learn --routes lora` wrote.")
                    if h.arch and self.info.arch and h.arch != self.info.arch:
                        raise UserError(f"The adapter {p.name} is for {h.arch}, but the model is {self.info.arch}.",
                                        hint="Train the adapter on this model, or pick its base with --model.")
                    ptr = llama_cpp.llama_adapter_lora_init(llm._model.model, str(p).encode("utf-8"))
                    if not ptr:
                        raise UserError(f"llama.cpp could not load the adapter {p} (it does not match "
                                        f"{self.info.name}'s tensors).", hint="Retrain it with `ownvoice learn --routes lora`.")
                    self._adapters[key] = ptr
                arr = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(ptr)
                scales = (ctypes.c_float * 1)(float(scale))
                if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, arr, 1, scales) != 0:
                    raise UserError(f"llama.cpp refused the adapter {p}.", hint="Retrain it.")
                self.adapter = (p, float(scale))
            llm._ctx.kv_cache_clear()  # cached keys/values were computed with the old weights
            llm.reset()


def base_frame(msgs: Messages) -> str:
    """A completion frame for base models: instructions, then Message:/Reply: turns."""
    out: list[str] = []
    for m in msgs:
        c = m["content"].strip()
        if m["role"] == "system":
            out.append(c + "\n\n")
        elif m["role"] == "user":
            out.append(f"Message:\n{c}\n\n")
        else:
            out.append(f"Reply:\n{c}\n\n")
    out.append("Reply:\n")
    return "".join(out)


