"""trainer.learn.lora.packed_attention against transformers' own masked sdpa path, on the
real embedded models: same hidden states for packed rows, for a sliding-window model
(Gemma-3, window shrunk so segments exceed it) and for padded batches (fallback)."""

from __future__ import annotations

import pytest
import torch

from trainer.learn.lora import packed_attention as PA


def test_segments_split_at_position_resets():
    pos = torch.tensor([[0, 1, 2, 0, 1, 0, 1, 2, 3], [0, 1, 2, 3, 4, 5, 6, 0, 1]])
    assert PA.segments(pos, 9) == [[(0, 3), (3, 5), (5, 9)], [(0, 7), (7, 9)]]
    assert PA.segments(None, 5) == [[(0, 5)]]
    assert PA.segments(torch.tensor([3, 4, 5]), 3) == [[(0, 3)]]  # an offset run is one sequence


def _hidden(model, impl, batch):  # noqa: ANN001, ANN202
    model.set_attn_implementation(impl)
    with torch.no_grad():
        return model.model(**batch, use_cache=False).last_hidden_state


def _packed_batch(tok, texts, pad_to):  # noqa: ANN001, ANN202
    ids, pos = [], []
    for t in texts:
        e = tok.encode(t)
        ids += e
        pos += list(range(len(e)))
    ids += [tok.pad_token_id or 0] * (pad_to - len(ids))
    pos += list(range(pad_to - len(pos)))
    return {"input_ids": torch.tensor([ids]), "position_ids": torch.tensor([pos])}


TEXTS = ["Hello there, how are you doing today? I hope the weather is kind to you.",
         "The quarterly numbers look fine, send them over when you can and I will sign.",
         "Call me."]


@pytest.mark.parametrize("name", ["smollm2", "gemma3"])
def test_same_hidden_states_as_the_masked_sdpa_path(name):
    from trainer.learn.lora.hf_load import load_hf
    from trainer.runtime.models import resolve_model

    model, tok = load_hf(resolve_model(name).path)
    PA.register()
    window = getattr(model.config, "sliding_window", None)
    if window:  # make the first two examples longer than the window: the window must hold inside them
        model.config.sliding_window = 6
        for layer in model.model.layers:
            if getattr(layer.self_attn, "sliding_window", None):
                layer.self_attn.sliding_window = 6
    batch = _packed_batch(tok, TEXTS, 64)
    ref = _hidden(model, "sdpa", batch)
    got = _hidden(model, PA.NAME, batch)
    scale = float(ref.abs().max())
    assert float((ref - got).abs().max()) < 1e-4 * scale
    # no position resets: the stock path's plain causal attention
    one = {"input_ids": batch["input_ids"][:, :20], "position_ids": torch.arange(20)[None]}
    assert torch.allclose(_hidden(model, "sdpa", one), _hidden(model, PA.NAME, one), atol=1e-4 * scale)
    # a left-padded batch carries an attention mask: the real tokens must not see the
    # padding, which they would if the mask were dropped (checked on the first line)
    ids = torch.tensor([batch["input_ids"][0, :12].tolist(), [0, 0, 0] + batch["input_ids"][0, :9].tolist()])
    pad = {"input_ids": ids, "attention_mask": torch.tensor([[1] * 12, [0] * 3 + [1] * 9])}
    unmasked = _hidden(model, "sdpa", {"input_ids": ids})
    a, b = _hidden(model, "sdpa", pad), _hidden(model, PA.NAME, pad)
    assert not torch.allclose(a[1, 3:], unmasked[1, 3:], atol=1e-2 * scale)
    assert torch.allclose(a[0], b[0], atol=1e-4 * scale) and torch.allclose(a[1, 3:], b[1, 3:], atol=1e-4 * scale)


def test_only_stock_sdpa_models_are_switched():
    from types import SimpleNamespace

    from trainer.learn.lora.hardware import use_packed_attention

    calls = []

    class M:
        def __init__(self, impl, cap=None):  # noqa: ANN001
            self.config = SimpleNamespace(_attn_implementation=impl, attn_logit_softcapping=cap)

        def set_attn_implementation(self, name):  # noqa: ANN001
            calls.append(name)

    assert use_packed_attention(M("sdpa")) and calls == [PA.NAME]
    for m in (M("eager"), M("flash_attention_2"), M("sdpa", cap=50.0)):
        assert not use_packed_attention(m)
    assert calls == [PA.NAME]
