"""Sampling with llama.cpp's own sampler chain, token by token: the chain
``Llama.generate`` builds, with an optional ban of tokens first, and a veto that
refuses a sampled token and samples the position again.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

VETO_TRIES = 16


def banned_tokens(llm: Any, chars: str) -> tuple[int, ...]:
    """Token ids whose text contains any of ``chars``."""
    m = llm._model
    return tuple(i for i in range(llm.n_vocab())
                 if any(c in m.token_to_piece(i).decode("utf-8", errors="ignore") for c in chars))


def make_sampler(llm: Any, *, temperature: float, top_p: float, top_k: int, min_p: float,
                 repeat_penalty: float, seed: int, banned: tuple[int, ...] = ()) -> Any:
    """The same sampler chain ``Llama.generate`` builds, with ``banned`` tokens at -inf first."""
    from llama_cpp import _internals

    n_vocab = llm.n_vocab()
    s = _internals.LlamaSampler()
    if banned:
        s.add_logit_bias(n_vocab, {t: float("-inf") for t in banned})
    s.add_penalties(n_vocab=n_vocab, penalty_last_n=64, penalty_repeat=repeat_penalty,
                    penalty_freq=0.0, penalty_present=0.0)
    if temperature <= 0:
        s.add_greedy()
    else:
        s.add_top_k(top_k)
        s.add_typical(1.0, 1)
        s.add_top_p(top_p, 1)
        s.add_min_p(min_p, 1)
        s.add_temp(temperature)
        s.add_dist(seed)
    return s


def sample_tokens(llm: Any, ids: list[int], sampler: Any,
                  refuse: Callable[[str], bool] | None = None) -> Iterator[int | None]:
    """Evaluate the prompt, then sample and evaluate one token at a time. ``refuse(piece)``
    vetoes a sampled token: its logit becomes -inf and the position is sampled again
    (None is yielded when ``VETO_TRIES`` samples were all refused)."""
    import llama_cpp

    llm.eval(ids)
    while True:
        tok = sampler.sample(llm._ctx, -1)
        if refuse is not None:
            tries = 0
            while refuse(llm.detokenize([tok]).decode("utf-8", errors="ignore")):
                tries += 1
                if tries >= VETO_TRIES:
                    tok = None
                    break
                logits = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
                logits[tok] = float("-inf")
                tok = sampler.sample(llm._ctx, -1)
        yield tok
        if tok is None:
            return
        llm.eval([tok])
