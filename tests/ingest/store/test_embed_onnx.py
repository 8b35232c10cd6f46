"""The ONNX int8 embedder: built offline from the shipped MiniLM weights into the cache,
vectors within cosine 0.98 of the torch path on real mail, a damaged cache file rebuilt,
and the store using it when asked (``OWNVOICE_EMBEDDER=onnx``)."""

from __future__ import annotations

import socket
import stat

import numpy as np
import pytest

from ingest.kernel.records import Message
from ingest.sources import iter_source
from ingest.store.embed import Embedder, model_dir
from ingest.store.embed_onnx import OnnxEmbedder, onnx_path
from tests.conftest import DEMO
from tests.privacy_job import make_guard


@pytest.fixture(scope="module")
def texts(corpora) -> list[str]:
    """What the store embeds: message texts from the demo archive and both Enron users."""
    out = []
    for path in (DEMO / "Inbox.mbox", DEMO / "Sent.mbox", corpora / "enron" / "allen-p" / "_sent_mail.mbox",
                 corpora / "enron" / "germany-c" / "inbox.mbox"):
        msgs = [r for r in iter_source(path) if isinstance(r, Message) and (r.text or r.body).strip()]
        out += [(m.text or m.body)[:4000] for m in msgs[:150]]
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> OnnxEmbedder:
    """Built with every non-loopback connection and name lookup refused."""
    attempts: list[str] = []
    real = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = make_guard(attempts)
    try:
        e = OnnxEmbedder(model_dir(), tmp_path_factory.mktemp("cache"), threads=2)
        e.encode(["warm up"])
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = real
    assert attempts == []
    return e


@pytest.mark.slow
@pytest.mark.corpora
def test_onnx_vectors_match_the_torch_path(built, texts):
    """Measured on these 600 texts: cosine min 0.991, mean 0.998 (int8 attention, float
    feed-forward layers); int8 everywhere gave 0.965 ("FYI" was the worst)."""
    a = built.encode(texts)
    b = Embedder().encode(texts)
    assert a.shape == b.shape == (len(texts), 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    cos = (a * b).sum(1)
    assert cos.min() >= 0.98, (float(cos.min()), texts[int(cos.argmin())][:200])
    # another batch changes a text's vector only a little: dynamic quantisation scales the
    # activations per batch (measured: cosine >= 0.994 between batches, or alone)
    again = built.encode(texts[::-1][:200])[::-1]
    assert ((a[-200:] * again).sum(1)).min() >= 0.99
    assert built.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_the_built_model_is_private_reused_and_rebuilt_when_damaged(built):
    path = onnx_path(built.model, built.cache)
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no build leftovers
    before = path.stat().st_mtime_ns
    OnnxEmbedder(built.model, built.cache).encode(["reused"])
    assert path.stat().st_mtime_ns == before
    path.write_bytes(b"not an onnx model")
    v = OnnxEmbedder(built.model, built.cache).encode(["rebuilt after damage"])
    assert v.shape == (1, 384) and path.stat().st_size > 1_000_000


@pytest.mark.slow
def test_the_store_embeds_with_onnx_by_default(built, tmp_path, monkeypatch):
    import ingest.store.embed
    from ingest.store.importer import run_import
    from ingest.store.store import Store

    monkeypatch.delenv("OWNVOICE_EMBEDDER", raising=False)  # the default
    monkeypatch.setenv("OWNVOICE_CACHE_DIR", str(built.cache))
    monkeypatch.setattr(ingest.store.embed, "_EMBEDDER", None)
    assert ingest.store.embed.get_embedder().kind == "onnx-int8"
    with Store.open(tmp_path / "data", chroma_url="") as store:
        run_import([DEMO / "Inbox.mbox"], store, ("wren@halloway-cider.example",))
        store.embed_rest()
        hits = store.search("apples for the pressing day", k=3)
        assert hits and all(h.text for h in hits)
    monkeypatch.setattr(ingest.store.embed, "_EMBEDDER", None)


def test_torch_when_asked_or_when_the_onnx_model_cannot_be_built(tmp_path, monkeypatch):
    import ingest.store.embed
    from ingest.kernel.errors import UserError

    assert ingest.store.embed._make_embedder("torch").kind == "torch"
    with pytest.raises(UserError, match="Unknown embedder"):
        ingest.store.embed._make_embedder("tensorflow")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "embedder").write_text("a file where the cache folder should be")  # the build cannot write
    e = OnnxEmbedder(model_dir(), cache)
    v = e.encode(["Pick up the apples on Friday."])
    assert e.kind.startswith("torch (ONNX unavailable") and v.shape == (1, 384)
    assert np.allclose(v, Embedder().encode(["Pick up the apples on Friday."]), atol=1e-5)
