"""Where LoRA training runs: the device (CUDA, MPS or the CPU), the CPU threads, and
whether the packed attention path applies to the model.
"""

from __future__ import annotations

import os
from typing import Any
from ingest.kernel.errors import UserError


def pick_device(choice: str = "auto") -> str:
    import torch

    choice = (choice or "auto").lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise UserError("CUDA was asked for but no CUDA GPU is available.", hint="Use --device auto or cpu.")
    if choice == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError("MPS was asked for but is not available.", hint="Use --device auto or cpu.")
    if choice not in ("cuda", "mps", "cpu"):
        raise UserError(f"Unknown training device {choice!r}.", hint="Use auto, cuda, mps or cpu.")
    return choice


def set_threads(threads: int = 0) -> int:
    import torch

    if threads <= 0:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = threads
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def use_packed_attention(model: Any) -> bool:
    """Switch ``model`` from stock ``sdpa`` to ``trainer.learn.lora.packed_attention`` (each
    packed example's own causal block, no dense mask). Any other implementation is left
    alone: flash-attention handles packing itself, and a model on ``eager`` (e.g. one
    with attention-logit soft-capping, which SDPA cannot do) needs its own masks.
    False where the model is left as it is."""
    from trainer.learn.lora import packed_attention

    config = getattr(model, "config", None)
    if getattr(config, "_attn_implementation", None) != "sdpa" or getattr(config, "attn_logit_softcapping", None):
        return False
    try:
        model.set_attn_implementation(packed_attention.register())
    except (ValueError, ImportError, AttributeError):
        return False
    return True
