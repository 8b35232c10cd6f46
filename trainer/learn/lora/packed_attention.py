"""Attention for packed rows that computes only each example's own causal block.

A packed row holds several examples one after another, each with positions that
restart at 0 (``trainer.learn.lora.dataset.pack``). transformers' stock ``sdpa`` path turns
those position resets into a dense block-diagonal (seq_len x seq_len) float mask, so
SDPA computes the attention of every token against every other token of the row and
then throws most of it away, on the slower masked kernel. On the GPU, flash-attention's
variable-length kernel avoids that; on the CPU (and on GPUs without flash-attn) this
module does the same job: it splits the row at the position resets and runs SDPA with
``is_causal=True`` on each example alone. The result is the same attention (the
tests compare it with the masked path), with less work and no mask.

It is registered with transformers as the attention implementation
``"ownvoice_packed"`` together with a mask function that builds no mask only for
training rows (no padding mask, queries and keys the same tokens); anything else
(held-out evaluation's padded batches, cached decoding) gets transformers' own sdpa
mask and the stock sdpa path. Sliding-window layers (Gemma-3) keep their window inside
a segment longer than it. ``trainer.learn.lora.train.use_packed_attention`` switches only
models that run stock sdpa (not eager soft-capping models, not flash-attention).
"""

from __future__ import annotations

from typing import Any

NAME = "ownvoice_packed"
_registered = False
_last: tuple[Any, int, list] = (None, 0, [])  # (position_ids, length, segments): every layer gets the same tensor


def register() -> str:
    """Register the attention implementation with transformers (idempotent); its name."""
    global _registered
    if _registered:
        return NAME
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    def mask(*args: Any, attention_mask: Any = None, q_length: int = 0, kv_length: int = 0,
             q_offset: int = 0, kv_offset: int = 0, **kwargs: Any) -> Any:
        if attention_mask is None and q_length == kv_length and not q_offset and not kv_offset:
            return None  # causal or packed training rows: packed_attention splits the row itself
        return sdpa_mask(*args, attention_mask=attention_mask, q_length=q_length, kv_length=kv_length,
                         q_offset=q_offset, kv_offset=kv_offset, **kwargs)

    AttentionInterface.register(NAME, packed_attention)
    AttentionMaskInterface.register(NAME, mask)
    _registered = True
    return NAME


def segments(position_ids: Any, length: int) -> list[list[tuple[int, int]]]:
    """Per batch row, the [start, end) runs of an example: a new one starts wherever
    the position does not follow the previous one."""
    import torch

    if position_ids is None:
        return [[(0, length)]]
    pos = position_ids.detach().to("cpu")
    if pos.dim() == 1:
        pos = pos.unsqueeze(0)
    out = []
    for row in pos:
        starts = [0] + (torch.nonzero(row[1:] != row[:-1] + 1).flatten() + 1).tolist()
        out.append(list(zip(starts, starts[1:] + [length])))
    return out


def packed_attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any,
                     dropout: float = 0.0, scaling: float | None = None, is_causal: bool | None = None,
                     **kwargs: Any) -> tuple[Any, None]:
    """transformers attention interface: query [B, H, L, D], key/value [B, Hkv, L, D];
    returns ([B, L, H, D], None)."""
    import torch
    import torch.nn.functional as F
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    length = query.shape[2]
    if (attention_mask is not None or key.shape[2] != length or kwargs.get("softcap") is not None
            or is_causal is False or not getattr(module, "is_causal", True)):
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, is_causal=is_causal, **kwargs)
    window = getattr(module, "sliding_window", None)
    gqa = key.shape[1] != query.shape[1]
    p = dropout if module.training else 0.0
    rows = []
    global _last
    pos = kwargs.get("position_ids")
    if pos is None or _last[0] is not pos or _last[1] != length:  # once per forward, not once per layer
        _last = (pos, length, segments(pos, length))
    segs = _last[2]
    if len(segs) != query.shape[0]:
        segs = segs[:1] * query.shape[0]  # one position row shared by the batch
    for b, row_segs in enumerate(segs):
        parts = []
        for s, e in row_segs:
            q, k, v = query[b:b + 1, :, s:e], key[b:b + 1, :, s:e], value[b:b + 1, :, s:e]
            if window and e - s > window:
                n = e - s
                i = torch.arange(n, device=query.device)
                allowed = (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] < window)
                parts.append(F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p,
                                                            scale=scaling, enable_gqa=gqa))
            else:
                parts.append(F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=p,
                                                            scale=scaling, enable_gqa=gqa))
        rows.append(parts[0] if len(parts) == 1 else torch.cat(parts, dim=2))
    out = rows[0] if len(rows) == 1 else torch.cat(rows, dim=0)
    return out.transpose(1, 2).contiguous(), None
