"""The model architectures LoRA training supports, and what each one needs.

One row per GGUF ``general.architecture``: the families it covers, the torch module
names the adapter targets, and whether the adapter's q/k ``lora_B`` rows need
llama.cpp's RoPE permutation on export (``trainer.learn.lora.export``). Each row is proven
by ``tests/trainer/learn/lora/test_archs.py``: a tiny random model of that architecture,
written to GGUF, loaded by transformers and by llama.cpp, must agree with and without
an exported adapter.

- llama: transformers un-permutes q/k when it loads the GGUF, so the adapter's
  ``lora_B`` of q_proj / k_proj is permuted back. Mistral's GGUF files say "llama"
  too (and transformers loads them as Llama: the same maths without a sliding window,
  which the training rows never reach).
- phi3: q, k and v are one fused ``qkv_proj`` and gate and up one ``gate_up_proj``,
  both in torch and in GGUF (``attn_qkv``, ``ffn_up``), so those are the targets.
- qwen2, qwen3, gemma2, gemma3: the stock projections, no permutation.

Drafting needs none of this: llama.cpp drafts with any architecture it loads.

What it leaves out: mixture-of-experts models (qwen2moe, qwen3moe, mixtral's expert
tensors) and multimodal ones (mistral3, gemma3n, qwen2vl); their adapters would
need per-expert tensors or a vision tower left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.kernel.errors import UserError

_STOCK = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class Arch:
    name: str  # GGUF general.architecture
    families: str  # what a person knows it as
    targets: tuple[str, ...]  # torch module names the LoRA adapter wraps
    permute_qk: bool = False  # lora_B of q/k gets llama.cpp's RoPE row permutation


ARCHS: dict[str, Arch] = {a.name: a for a in (
    Arch("llama", "Llama 2/3.x, SmolLM2, Mistral 7B, TinyLlama", _STOCK, permute_qk=True),
    Arch("qwen2", "Qwen2, Qwen2.5", _STOCK),
    Arch("qwen3", "Qwen3", _STOCK),
    Arch("gemma2", "Gemma 2", _STOCK),
    Arch("gemma3", "Gemma 3", _STOCK),
    Arch("phi3", "Phi-3, Phi-3.5, Phi-4 mini", ("qkv_proj", "o_proj", "gate_up_proj", "down_proj")),
)}


def supported() -> str:
    """``"gemma2 (Gemma 2), ..."``: the list an error names."""
    return ", ".join(f"{a.name} ({a.families})" for a in sorted(ARCHS.values(), key=lambda a: a.name))


def is_supported(arch: str) -> bool:
    return arch in ARCHS


def arch_for(arch: str, model: str = "") -> Arch:
    """The row for ``arch``; an architecture without one is a UserError naming those
    that have one."""
    row = ARCHS.get(arch)
    if row is None:
        what = f"{model} is a {arch!r} model" if model else f"The architecture {arch!r}"
        raise UserError(f"LoRA training does not support this architecture: {what}. "
                        f"Supported: {supported()}.",
                        hint="Draft with this model as it is (retrieval and the style prompt work with "
                             "any model llama.cpp loads), or train the adapter on one of those.")
    return row
