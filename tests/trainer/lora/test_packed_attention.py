"""trainer.lora.packed_attention against transformers' own masked sdpa path, on the
real embedded models: same hidden states for packed rows, for a sliding-window model
(Gemma-3, window shrunk so segments exceed it) and for padded batches (fallback)."""

from __future__ import annotations

import pytest
import torch

from trainer.lora import packed_attention as PA


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
    from trainer.lora.hf_load import load_hf
    from trainer.models import resolve_model

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
    # a padded batch carries an attention mask: the fallback gives the stock result
    ids = torch.tensor([batch["input_ids"][0, :12].tolist(), batch["input_ids"][0, :9].tolist() + [0, 0, 0]])
    pad = {"input_ids": ids, "attention_mask": torch.tensor([[1] * 12, [1] * 9 + [0] * 3])}
    a, b = _hidden(model, "sdpa", pad), _hidden(model, PA.NAME, pad)
    assert torch.allclose(a[0], b[0], atol=1e-4 * scale) and torch.allclose(a[1, :9], b[1, :9], atol=1e-4 * scale)
