"""Write a peft LoRA adapter as a llama.cpp GGUF LoRA adapter (``gguf`` package).

llama.cpp applies the adapter to the same quantized base file the user drafts with.
What has to be right, each of which fails silently when wrong:

- Names: peft's ``base_model.model.`` prefix is stripped, the module name is mapped
  with ``gguf.get_tensor_name_map(arch, n_layers)`` (``model.layers.3.self_attn.q_proj``
  -> ``blk.3.attn_q``) and ``.weight.lora_a`` / ``.weight.lora_b`` appended. peft's
  lora_A ``(r, in)`` and lora_B ``(out, r)`` are written as they are.
- ``general.architecture`` equals the base model's; ``general.type = adapter``,
  ``adapter.type = lora`` and ``adapter.lora.alpha`` (llama.cpp scales by
  alpha / rank; a missing alpha means scale 1).
- The llama architecture: llama.cpp's converter permutes the rows of q/k so that
  its RoPE sees interleaved pairs, and transformers un-permutes them on load. The
  adapter's lora_b of q_proj (``n_head``) and k_proj (``n_head_kv``) gets the same
  permutation; lora_a is left alone. Gemma-3 (and other archs whose q/k transformers
  does not un-permute) needs none; ``trainer.learn.lora.archs`` says which is which.

What it leaves out: DoRA, rank patterns per module, modules_to_save and LoRA on
embeddings or the output head (the trainer only targets linear projections).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_write_bytes
from trainer.learn.lora.archs import ARCHS
from trainer.learn.lora.hf_load import GGUFFacts

# Architectures whose q/k rows transformers un-permutes when it loads the GGUF
# (transformers' LlamaConverter); the adapter's lora_b must be permuted back.
PERMUTE_QK_ARCHS = frozenset(a.name for a in ARCHS.values() if a.permute_qk)

_LORA_KEY = re.compile(r"^(?P<mod>.+)\.lora_(?P<ab>[AB])(?:\.(?P<adapter>[^.]+))?\.weight$")


def llama_permute(w: np.ndarray, n_head: int, n_head_kv: int | None = None) -> np.ndarray:
    """llama.cpp's q/k row permutation (convert_hf_to_gguf ``LlamaModel.permute``).

    >>> llama_permute(np.arange(4.0).reshape(4, 1), 1)[:, 0].tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def _arch_enum(arch: str) -> Any:
    import gguf

    for enum, name in gguf.MODEL_ARCH_NAMES.items():
        if name == arch:
            return enum
    raise UserError(f"The gguf package does not know the architecture {arch!r}.",
                    hint="Upgrade the gguf package, or train on a built-in model.")


def gguf_lora_tensors(state: Mapping[str, Any], facts: GGUFFacts, *,
                      permute: bool | None = None) -> dict[str, np.ndarray]:
    """Map a peft LoRA state dict to ``{gguf tensor name: float32 array}``.

    ``state`` is what ``peft.get_peft_model_state_dict`` returns (or the model's own
    ``state_dict`` filtered to lora tensors). ``permute`` defaults to whether the
    architecture needs the q/k permutation; tests pass False to prove it matters.
    """
    import gguf

    need_perm = facts.arch in PERMUTE_QK_ARCHS if permute is None else permute
    name_map = gguf.get_tensor_name_map(_arch_enum(facts.arch), facts.n_layers)
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        m = _LORA_KEY.match(key)
        if not m:
            continue
        mod = m["mod"]
        if mod.startswith("base_model.model."):
            mod = mod[len("base_model.model."):]
        gname = name_map.get_name(mod + ".weight", try_suffixes=(".weight",))
        if gname is None:
            gname = name_map.get_name(mod)
        if gname is None:
            raise UserError(f"Cannot name the LoRA module {mod} in GGUF ({facts.arch}).",
                            hint="Train LoRA on attention/MLP projections only.")
        gname = gname.removesuffix(".weight")
        arr = value.detach().to("cpu").float().numpy() if hasattr(value, "detach") else np.asarray(value, np.float32)
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if m["ab"] == "B" and need_perm:
            if mod.endswith("q_proj"):
                arr = np.ascontiguousarray(llama_permute(arr, facts.n_head, facts.n_head))
            elif mod.endswith("k_proj"):
                arr = np.ascontiguousarray(llama_permute(arr, facts.n_head, facts.n_head_kv))
        out[f"{gname}.weight.lora_{m['ab'].lower()}"] = arr
    if not out:
        raise UserError("The adapter has no LoRA tensors to export.", hint="Train the adapter first.")
    return out


def write_gguf_adapter(path: str | os.PathLike[str], state: Mapping[str, Any], facts: GGUFFacts,
                       *, alpha: float, permute: bool | None = None) -> Path:
    """Write ``state`` as a GGUF LoRA adapter at ``path`` (atomically)."""
    import gguf

    tensors = gguf_lora_tensors(state, facts, permute=permute)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.writing")
    writer = gguf.GGUFWriter(str(tmp), facts.arch)
    try:
        writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
        writer.add_string("general.name", "ownvoice LoRA adapter")
        for name in sorted(tensors):
            writer.add_tensor(name, tensors[name])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    try:
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    return atomic_write_bytes(target, data)


def export_peft_model(model: Any, path: str | os.PathLike[str], facts: GGUFFacts, *,
                      alpha: float, permute: bool | None = None) -> Path:
    """Export the active adapter of a peft model to GGUF at ``path``."""
    from peft import get_peft_model_state_dict

    return write_gguf_adapter(path, get_peft_model_state_dict(model), facts, alpha=alpha, permute=permute)
