"""Random-weight models of each supported architecture, written to GGUF.

No weights of these architectures can be downloaded here, so each model is random
weights from a transformers config (``TINY``: 2 layers, width 64, for the parity tests
in tests/trainer/learn/lora/test_archs.py; ``SMOLLM2`` and ``LLAMA_1B`` shapes for
bench/gpu_check.py, where only the speed matters), written to GGUF with the ``gguf``
package the way llama.cpp's own converter lays them out:

- tensor names from ``gguf.get_tensor_name_map``;
- llama (and Mistral, whose GGUF files say llama; transformers then loads it as
  Llama, the same maths without a sliding window): q/k rows permuted for llama.cpp's
  RoPE (transformers un-permutes them on load);
- gemma2/gemma3: every norm weight stored as ``1 + w`` (transformers subtracts the 1);
- phi3: the fused ``qkv_proj`` and ``gate_up_proj`` as they are;
- the hyper-parameters llama.cpp and transformers read for the architecture;
- SmolLM2's byte-level BPE tokenizer (with its chat template) copied from the embedded
  GGUF, so llama.cpp and transformers tokenize alike; phi3 (or any model, with
  ``tokenizer="spm"``, where the embedded model is not installed) gets a small
  sentencepiece vocabulary instead (``spm_vocab``), as Phi-3 files carry.

The tiny models' weights are float32, so any disagreement between the two runtimes is
the architecture handling, not quantisation.

    python bench/synth_models.py CASE OUT.gguf [--shape tiny|smollm2|llama-1b]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

VOCAB = 49152  # SmolLM2's tokenizer
CTX = 512


@dataclass(frozen=True)
class Shape:
    hidden: int
    ffn: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int


TINY = Shape(64, 128, 2, 4, 2, 16)
SMOLLM2 = Shape(576, 1536, 30, 9, 3, 64)  # SmolLM2-135M
LLAMA_1B = Shape(2048, 8192, 16, 32, 8, 64)  # Llama-3.2-1B
SHAPES = {"tiny": TINY, "smollm2": SMOLLM2, "llama-1b": LLAMA_1B}

ARCH_CASES = ("llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3", "phi3")


def hf_config(case: str, shape: Shape = TINY, vocab: int = VOCAB) -> Any:
    """The transformers config of a ``case`` model of ``shape``."""
    import transformers as tf

    hd = shape.head_dim
    common = dict(vocab_size=vocab, hidden_size=shape.hidden, intermediate_size=shape.ffn,
                  num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.kv_heads,
                  max_position_embeddings=CTX, rms_norm_eps=1e-6, initializer_range=0.08, bos_token_id=1,
                  eos_token_id=2, pad_token_id=2)
    if case == "llama":
        return tf.LlamaConfig(**common, head_dim=hd, tie_word_embeddings=False,
                              rope_parameters={"rope_type": "default", "rope_theta": 500000.0})
    if case == "mistral":
        return tf.MistralConfig(**common, head_dim=hd, sliding_window=None, tie_word_embeddings=False,
                                rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})
    if case == "qwen2":
        return tf.Qwen2Config(**common, tie_word_embeddings=True,
                              rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})
    if case == "qwen3":
        return tf.Qwen3Config(**common, head_dim=hd, tie_word_embeddings=True,
                              rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})
    if case == "gemma2":
        return tf.Gemma2Config(**common, head_dim=hd, query_pre_attn_scalar=hd, sliding_window=256,
                               attn_logit_softcapping=50.0, final_logit_softcapping=30.0,
                               hidden_activation="gelu_pytorch_tanh")
    if case == "gemma3":
        return tf.Gemma3TextConfig(**common, head_dim=hd, query_pre_attn_scalar=hd, sliding_window=256,
                                   hidden_activation="gelu_pytorch_tanh")
    if case == "phi3":
        return tf.Phi3Config(**common, tie_word_embeddings=False, rope_parameters={"rope_type": "default",
                                                                                   "rope_theta": 10000.0})
    raise ValueError(case)


def gguf_arch(case: str) -> str:
    return "llama" if case == "mistral" else case


def _permute(w: np.ndarray, n_head: int) -> np.ndarray:
    # convert_hf_to_gguf's LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _tokenizer_fields(src: Path) -> list[tuple[str, Any, Any, Any]]:
    import gguf

    reader = gguf.GGUFReader(str(src))
    out = []
    for name, f in reader.fields.items():
        if not name.startswith("tokenizer."):
            continue
        vtype = f.types[0]
        sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        out.append((name, f.contents(), vtype, sub))
    return out


WORDS = ("Thanks for the update on gas storage numbers Can you send me final version by Friday I will be out "
         "of office next week so please call Ina if anything comes up with West desk The meeting Houston team "
         "moved to pm Let know that works").split()


def spm_vocab(size: int = 0) -> list[str]:
    """A small sentencepiece vocabulary: specials, the 256 byte tokens, single letters and
    a few words. Phi-3 files carry a sentencepiece ("llama") tokenizer, which llama.cpp
    expects of the phi3 architecture (and, for a file whose name says phi3, the tokens
    it looks up by text: ``<unk>``, ``<s>``, ``</s>``, ``<|endoftext|>``)."""
    letters = sorted({c for w in WORDS for c in w})
    out = ["<unk>", "<s>", "</s>", "<|end|>", "<|endoftext|>", *[f"<0x{i:02X}>" for i in range(256)], "\u2581",
           *letters, *sorted({"\u2581" + w for w in WORDS})]
    # ``size``: padded with unused pieces to a realistic vocabulary (the logits' cost)
    return out + [f"\u2581unused{i}" for i in range(max(0, size - len(out)))]


def _spm_fields(size: int = 0) -> list[tuple[str, Any, Any, Any]]:
    import gguf

    T = gguf.GGUFValueType
    vocab = spm_vocab(size)
    types = [2, 3, 3, 3, 3, *[6] * 256, *[1] * (len(vocab) - 261)]
    scores = [0.0] * 261 + [-float(i) for i in range(len(vocab) - 261)]
    return [("tokenizer.ggml.model", "llama", T.STRING, None), ("tokenizer.ggml.pre", "default", T.STRING, None),
            ("tokenizer.ggml.tokens", vocab, T.ARRAY, T.STRING), ("tokenizer.ggml.scores", scores, T.ARRAY, T.FLOAT32),
            ("tokenizer.ggml.token_type", types, T.ARRAY, T.INT32),
            ("tokenizer.ggml.unknown_token_id", 0, T.UINT32, None), ("tokenizer.ggml.bos_token_id", 1, T.UINT32, None),
            ("tokenizer.ggml.eos_token_id", 2, T.UINT32, None), ("tokenizer.ggml.padding_token_id", 2, T.UINT32, None),
            ("tokenizer.ggml.add_bos_token", True, T.BOOL, None)]


def write_tiny_gguf(case: str, path: Path, *, seed: int = 0, shape: Shape = TINY, tokenizer: str = "",
                    vocab: int = 0, f16: bool = False) -> Path:
    """Build a random ``case`` model of ``shape`` and write it to ``path`` as a GGUF
    (float32, or float16 for the 2-D weights with ``f16``). ``tokenizer``: "smollm2"
    (the default, phi3 aside) or "spm"; ``vocab`` pads the spm vocabulary."""
    import gguf
    import torch
    from transformers import AutoModelForCausalLM

    tokenizer = tokenizer or ("spm" if case == "phi3" else "smollm2")
    cfg = hf_config(case, shape, len(spm_vocab(vocab)) if tokenizer == "spm" else VOCAB)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    with torch.no_grad():  # random norms, so a norm stored the wrong way shows
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
    arch = gguf_arch(case)
    enum = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch)
    name_map = gguf.get_tensor_name_map(enum, shape.layers)
    w = gguf.GGUFWriter(str(path), arch)
    w.add_string("general.name", f"tiny {case}")
    w.add_context_length(CTX)
    w.add_embedding_length(shape.hidden)
    w.add_block_count(shape.layers)
    w.add_feed_forward_length(shape.ffn)
    w.add_head_count(shape.heads)
    w.add_head_count_kv(shape.kv_heads)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    head_dim = getattr(cfg, "head_dim", None) or shape.hidden // shape.heads
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    rope = (getattr(cfg, "rope_parameters", None) or {}).get("rope_theta") if case != "gemma3" else None
    if case == "gemma3":
        params = cfg.rope_parameters
        rope = params.get("full_attention", params).get("rope_theta", 1000000.0)
    w.add_rope_freq_base(float(rope or 10000.0))
    w.add_rope_dimension_count(head_dim)
    w.add_vocab_size(cfg.vocab_size)
    if case in ("gemma2", "gemma3"):
        w.add_sliding_window(cfg.sliding_window)
    if case == "gemma2":
        w.add_attn_logit_softcapping(cfg.attn_logit_softcapping)
        w.add_final_logit_softcapping(cfg.final_logit_softcapping)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if f16 else gguf.LlamaFileType.ALL_F32)
    if tokenizer == "spm":
        fields = _spm_fields(vocab)
    else:
        from trainer.runtime.models import resolve_model

        fields = _tokenizer_fields(resolve_model("smollm2").path)
    for key, value, vtype, sub in fields:
        w.add_key_value(key, value, vtype, sub_type=sub)
    for name, t in model.state_dict().items():
        if "rotary_emb" in name:
            continue
        if name == "lm_head.weight" and cfg.tie_word_embeddings:
            continue
        arr = t.detach().float().numpy().copy()
        if arch == "llama" and name.endswith(("q_proj.weight", "k_proj.weight")):
            arr = _permute(arr, shape.heads if "q_proj" in name else shape.kv_heads)
        gname = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if gname is None:
            raise KeyError(f"no GGUF name for {name} ({arch})")
        if case in ("gemma2", "gemma3") and "norm.weight" in gname:
            arr = arr + 1.0
        half = f16 and arr.ndim == 2  # llama.cpp keeps norms and biases in float32
        w.add_tensor(gname, np.ascontiguousarray(arr, dtype=np.float16 if half else np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="write a random-weight GGUF model of one architecture")
    ap.add_argument("case", choices=ARCH_CASES)
    ap.add_argument("out")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    ap.add_argument("--tokenizer", choices=("smollm2", "spm"), default="")
    ap.add_argument("--f16", action="store_true")
    a = ap.parse_args(argv)
    write_tiny_gguf(a.case, Path(a.out), shape=SHAPES[a.shape], tokenizer=a.tokenizer, f16=a.f16)
    print(a.out)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
