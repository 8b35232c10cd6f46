"""How much memory a model needs, before it is loaded: drafting and LoRA training.

``estimate(path, n_ctx=..., batch_tokens=..., rank=...)`` reads the GGUF header only
(``gguf_check``: no weights are read) and returns a ``MemoryEstimate``:

- **drafting** (llama.cpp): the weights as stored (per layer, so a partial offload can
  be priced), the KV cache at the chosen context (f16 keys and values:
  2 x layers x context x kv heads x head size x 2 bytes), and the compute buffer
  (one micro-batch's activations, the vocabulary's structures, llama.cpp's contexts);
- **training** (peft + torch): the weights dequantised to the training dtype (float32 on
  a CPU, bfloat16 on CUDA), the LoRA weights with their gradients and AdamW state
  (float32: 16 bytes a parameter), the activations kept for the backward pass at the
  batch's tokens (per layer and token: ``ACT_PER_LAYER`` hidden-size vectors and
  ``FFN_PER_LAYER`` feed-forward-size ones), the logits with their softmax and
  gradient (3 x tokens x vocabulary x 4 bytes), and, on a CPU, the process itself
  (``CPU_BASE``: Python, torch and transformers loaded).

``verdict(est, gpu_bytes=..., ram_bytes=...)`` says, in plain words: fits in GPU
memory; fits with n layers offloaded; CPU only; or too big, with the largest batch of
tokens that fits for training. The constants were fitted to peak RSS measured on the
two embedded models (``bench/bench_memory.py``; ``tests/trainer/runtime/test_memory.py`` checks
the estimate against a measured run): two models, so a third architecture or size is
the real test of them.

What it leaves out: fragmentation and allocator slack (CUDA's caching allocator keeps
more than is live), flash-attention savings, KV cache quantisation, and mmap sharing of
the weights between processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.runtime.gguf_check import GGUFHeader, check_gguf

GiB = 1 << 30
MiB = 1 << 20
ACT_PER_LAYER = 18  # hidden-size vectors a decoder layer keeps per token for backward (fitted)
FFN_PER_LAYER = 4  # feed-forward-size vectors per layer and token (gate, up, their product, act)
CPU_BASE = 900 * MiB  # Python + torch + transformers + peft resident before the model (measured ~0.85 GiB)
CUDA_CONTEXT = 500 * MiB  # the CUDA context and cuBLAS workspace
VOCAB_BYTES = 256  # per vocabulary entry in llama.cpp: token text, maps, the last logits (fitted)
LLAMA_FIXED = 48 * MiB  # llama.cpp's contexts and graph beyond the above (fitted)
LORA_TARGETS = ("q", "k", "v", "o", "gate", "up", "down")


@dataclass(frozen=True)
class Shape:
    arch: str
    layers: int
    hidden: int
    ffn: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    params: int
    layer_bytes: tuple[int, ...]  # stored bytes of each block's tensors
    other_bytes: int  # embeddings, output head, final norm
    context_length: int

    @property
    def stored_bytes(self) -> int:
        return sum(self.layer_bytes) + self.other_bytes


def shape_of(h: GGUFHeader) -> Shape:
    """The model's sizes from its header (metadata, and tensor shapes where metadata is missing)."""
    md, a = h.metadata, h.arch

    def g(key: str, default: int = 0) -> int:
        v = md.get(f"{a}.{key}")
        if isinstance(v, (list, tuple)):
            v = max(v) if v else default
        return int(v) if isinstance(v, (int, float)) else default

    layers = g("block_count")
    hidden = g("embedding_length")
    heads = g("attention.head_count", 1) or 1
    kv = g("attention.head_count_kv", heads) or heads
    head_dim = g("attention.key_length", hidden // heads if heads else 0) or (hidden // heads)
    ffn = g("feed_forward_length")
    per = [0] * layers
    other = 0
    vocab = g("vocab_size")
    from trainer.runtime.gguf_check import _type_sizes, tensor_elements

    sizes = _type_sizes()
    for name, dims, typ, _off in h.tensors:
        n = tensor_elements(dims)
        block, elems = sizes.get(typ, (1, 4))
        nbytes = n * elems // max(1, block)
        m = re.match(r"blk\.(\d+)\.", name)
        if m and int(m.group(1)) < layers:
            per[int(m.group(1))] += nbytes
        else:
            other += nbytes
        if name == "token_embd.weight" and not vocab:
            vocab = int(dims[-1])
    return Shape(a, layers, hidden, ffn, heads, kv, head_dim, vocab, h.n_params, tuple(per), other,
                 g("context_length"))


def _lora_params(s: Shape, rank: int) -> int:
    """LoRA parameters on the attention and MLP projections of every layer."""
    kv_out = s.kv_heads * s.head_dim
    q_out = s.heads * s.head_dim
    if s.arch == "phi3":  # fused projections (trainer.learn.lora.archs): one adapter on qkv, one on gate+up
        fused = [(s.hidden, q_out + 2 * kv_out), (q_out, s.hidden), (s.hidden, 2 * s.ffn), (s.ffn, s.hidden)]
        return s.layers * sum(rank * (i + o) for i, o in fused)
    dims = {"q": (s.hidden, q_out), "k": (s.hidden, kv_out), "v": (s.hidden, kv_out), "o": (q_out, s.hidden),
            "gate": (s.hidden, s.ffn), "up": (s.hidden, s.ffn), "down": (s.ffn, s.hidden)}
    return s.layers * sum(rank * (i + o) for i, o in (dims[t] for t in LORA_TARGETS))


@dataclass(frozen=True)
class MemoryEstimate:
    shape: Shape
    n_ctx: int
    batch_tokens: int
    rank: int
    device: str  # the training device the training figures are for: "cpu" | "cuda"
    weights: int  # drafting: stored weights
    kv_cache: int
    compute: int
    train_weights: int
    train_lora: int
    train_activations: int
    train_logits: int
    train_base: int

    @property
    def drafting(self) -> int:
        return self.weights + self.kv_cache + self.compute

    @property
    def training(self) -> int:
        return (self.train_weights + self.train_lora + self.train_activations + self.train_logits
                + self.train_base)

    def training_at(self, batch_tokens: int) -> int:
        """The training figure at another batch size (activations and logits scale)."""
        k = batch_tokens / max(1, self.batch_tokens)
        return int(self.train_weights + self.train_lora + self.train_base
                   + k * (self.train_activations + self.train_logits))

    def to_json(self) -> dict[str, Any]:
        return {"arch": self.shape.arch, "params": self.shape.params, "layers": self.shape.layers,
                "n_ctx": self.n_ctx, "batch_tokens": self.batch_tokens, "rank": self.rank, "device": self.device,
                "drafting_bytes": self.drafting, "weights_bytes": self.weights, "kv_cache_bytes": self.kv_cache,
                "compute_bytes": self.compute, "training_bytes": self.training,
                "training_parts": {"weights": self.train_weights, "lora_and_optimizer": self.train_lora,
                                   "activations": self.train_activations, "logits": self.train_logits,
                                   "process": self.train_base}}


def estimate(path: str | Path | GGUFHeader, *, n_ctx: int = 4096, batch_tokens: int = 512, rank: int = 8,
             device: str = "cpu", n_ubatch: int = 512) -> MemoryEstimate:
    h = path if isinstance(path, GGUFHeader) else check_gguf(path)
    s = shape_of(h)
    kv = 2 * s.layers * n_ctx * s.kv_heads * s.head_dim * 2
    # the compute buffer a micro-batch touches, the vocabulary's structures and last logits, and
    # llama.cpp's own contexts (LLAMA_FIXED): fitted to the peak RSS measured on both embedded
    # models (bench_memory); llama.cpp reserves more than it touches (a GPU would hold all of it)
    compute = n_ubatch * (4 * s.hidden + 2 * s.ffn) * 4 + s.vocab * VOCAB_BYTES + LLAMA_FIXED
    dtype = 2 if device == "cuda" else 4
    lora = _lora_params(s, rank) * 16
    acts = batch_tokens * s.layers * (ACT_PER_LAYER * s.hidden + FFN_PER_LAYER * s.ffn) * dtype
    logits = 3 * batch_tokens * s.vocab * 4
    base = CUDA_CONTEXT if device == "cuda" else CPU_BASE
    return MemoryEstimate(s, n_ctx, batch_tokens, rank, device, s.stored_bytes, kv, compute, s.params * dtype, lora,
                          acts, logits, base)


@dataclass(frozen=True)
class Verdict:
    drafting: str  # "gpu" | "partial" | "cpu" | "too big"
    gpu_layers: int  # layers to offload (all, some, or 0)
    training: str  # "gpu" | "cpu" | "too big"
    max_batch_tokens: int  # the largest training batch that fits where it trains (0: none)
    text: str


def verdict(est: MemoryEstimate, *, gpu_bytes: int = 0, ram_bytes: int = 0, headroom: float = 0.9) -> Verdict:
    """A plain answer for drafting and for training, given free GPU memory and RAM."""
    s = est.shape
    gpu, ram = int(gpu_bytes * headroom), int(ram_bytes * headroom)
    fixed = est.kv_cache + est.compute + est.shape.other_bytes
    if gpu and est.drafting + CUDA_CONTEXT <= gpu:
        d, n, dt = "gpu", s.layers, f"drafting fits in GPU memory ({_g(est.drafting)} of {_g(gpu_bytes)})"
    elif gpu and fixed + CUDA_CONTEXT < gpu:
        room = gpu - fixed - CUDA_CONTEXT
        n = 0
        for b in s.layer_bytes:
            if room < b:
                break
            room -= b
            n += 1
        if n:
            d, dt = "partial", f"drafting fits with {n} of {s.layers} layers on the GPU (--gpu-layers {n})"
        else:
            d, dt = ("cpu", "drafting runs on the CPU") if est.drafting <= ram else ("too big", "")
    elif est.drafting <= ram or not ram:
        d, n, dt = "cpu", 0, f"drafting runs on the CPU ({_g(est.drafting)})"
    else:
        d, n, dt = "too big", 0, ""
    if d == "too big":
        dt = f"too big to draft with: it needs {_g(est.drafting)}, {_g(ram_bytes)} RAM is free"

    def largest(budget: int) -> int:
        fixed_t = est.train_weights + est.train_lora + est.train_base
        per_tok = (est.train_activations + est.train_logits) / max(1, est.batch_tokens)
        return max(0, int((budget - fixed_t) / per_tok)) if per_tok else 0

    where = gpu if est.device == "cuda" else ram
    if not where or est.training <= where:
        t, mb = ("gpu" if est.device == "cuda" else "cpu"), largest(where) if where else est.batch_tokens
        tt = (f"LoRA training fits on the {'GPU' if t == 'gpu' else 'CPU'} ({_g(est.training)} at "
              f"{est.batch_tokens} tokens a batch; up to about {mb} tokens a batch fit)")
    else:
        mb = largest(where)
        if mb >= 64:
            t, tt = ("gpu" if est.device == "cuda" else "cpu"), (f"LoRA training fits with batches of at most "
                                                                  f"about {mb} tokens (asked: {est.batch_tokens})")
        else:
            t, tt = "too big", f"too big to train here: it needs at least {_g(est.training_at(64))}"
    return Verdict(d, n, t, mb, f"{dt}; {tt}.")


def _g(n: int) -> str:
    return f"{n / GiB:.1f} GB" if n >= GiB / 10 else f"{n / MiB:.0f} MB"


def machine_memory() -> tuple[int, int, str]:
    """(free GPU bytes, available RAM bytes, the GPU's name): what ``verdict`` weighs
    against. No GPU: (0, RAM, ""). The GPU is asked through ``nvidia-smi``, not torch:
    a CUDA context would hold GPU memory for the rest of the process."""
    import shutil
    import subprocess

    import psutil

    ram = int(psutil.virtual_memory().available)
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            r = subprocess.run([smi, "--query-gpu=memory.free,name", "--format=csv,noheader,nounits"],
                               capture_output=True, text=True, timeout=10)
            first = r.stdout.strip().splitlines()[0] if r.returncode == 0 and r.stdout.strip() else ""
            free, _, name = first.partition(",")
            if free.strip().isdigit():
                return int(free.strip()) * MiB, ram, name.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return 0, ram, ""


def model_memory(path: str | Path, *, n_ctx: int = 4096, batch_tokens: int = 512,
                 machine: tuple[int, int, str] | None = None) -> dict[str, Any]:
    """The estimate and the verdict for one model file on this machine (``models``, Settings)."""
    gpu, ram, name = machine or machine_memory()
    e = estimate(path, n_ctx=n_ctx, batch_tokens=batch_tokens, device="cuda" if gpu else "cpu")
    v = verdict(e, gpu_bytes=gpu, ram_bytes=ram)
    return {**e.to_json(), "verdict": v.text, "drafting_fit": v.drafting, "gpu_layers": v.gpu_layers,
            "training_fit": v.training, "max_batch_tokens": v.max_batch_tokens, "gpu": name}
