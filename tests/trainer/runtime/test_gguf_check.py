"""check_gguf catches damaged model files before llama.cpp can crash on them."""

from __future__ import annotations

import os
import struct

import pytest

from ingest.kernel.errors import UserError
from tests.trainer.student_helpers import write_lora_adapter
from trainer.runtime.gguf_check import check_gguf
from trainer.runtime.llama import Runtime
from trainer.runtime.models import ModelInfo, resolve_model


@pytest.fixture(scope="module")
def smol():
    return resolve_model("smollm2").path


def test_the_embedded_model_passes(smol):
    h = check_gguf(smol)
    assert h.version == 3 and h.arch == "llama" and h.kind == "model"
    assert h.n_tensors == len(h.tensors) > 100
    assert h.has_chat_template
    assert h.data_offset % h.alignment == 0 and h.data_offset < h.file_size
    # the last tensor's data ends inside the file, close to its end
    assert h.file_size - h.data_offset - max(t[3] for t in h.tensors) < 10_000_000


def test_a_gguf_adapter_is_recognised(tmp_path):
    h = check_gguf(write_lora_adapter(tmp_path / "a.gguf"))
    assert h.kind == "adapter" and h.arch == "llama" and h.n_tensors == 8


def _bad(path, *needles):
    with pytest.raises(UserError) as e:
        check_gguf(path)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg
    for n in needles:
        assert n in msg, msg
    return msg


def test_text_file_renamed_gguf(tmp_path):
    p = tmp_path / "notes.gguf"
    p.write_text("Hello, these are my notes about cider. " * 10)
    _bad(p, "not a GGUF model file", "'Hell'")


def test_truncated_copies(tmp_path, smol):
    data = smol.read_bytes()
    one_mb = tmp_path / "first-1mb.gguf"
    one_mb.write_bytes(data[: 1 << 20])  # inside the tokenizer metadata
    _bad(one_mb, "past the end")
    header = tmp_path / "header-only.gguf"
    header.write_bytes(data[: check_gguf(smol).data_offset])  # metadata complete, no tensor data
    _bad(header, "truncated", "tensor")
    cut = tmp_path / "half.gguf"
    cut.write_bytes(data[: len(data) // 2])
    _bad(cut, "truncated")


def test_random_blob_and_tiny_files(tmp_path):
    rng = __import__("random").Random(7)
    blob = tmp_path / "blob.gguf"
    blob.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    _bad(blob, "not a GGUF model file")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    _bad(empty, "0 bytes")
    with pytest.raises(UserError, match="does not exist"):
        check_gguf(tmp_path / "missing.gguf")
    with pytest.raises(UserError, match="not a file"):
        check_gguf(tmp_path)


def test_forged_headers(tmp_path):
    v9 = tmp_path / "v9.gguf"
    v9.write_bytes(b"GGUF" + struct.pack("<IQQ", 9, 0, 0) + b"\0" * 16)
    _bad(v9, "version 9")
    huge = tmp_path / "huge.gguf"
    huge.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 1) + b"\0" * 64)
    _bad(huge, "implausible counts")
    long_key = tmp_path / "longkey.gguf"
    long_key.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 50) + b"abc")
    _bad(long_key, "past the end")
    bad_type = tmp_path / "badtype.gguf"
    bad_type.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"k"
                         + struct.pack("<I", 99) + b"\0" * 16)
    _bad(bad_type, "unknown value type 99")


def test_a_forged_vocabulary_on_a_4_gb_sparse_file_is_refused_without_walking_it(tmp_path):
    """A 4 GB file (sparse: no disk used) whose header claims a billion zero-length
    tokens: walking them would take minutes; the element bound refuses it at once."""
    p = tmp_path / "sparse.gguf"
    key = b"tokenizer.ggml.tokens"
    head = (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
            + struct.pack("<IIQ", 9, 8, 10 ** 9))
    with open(p, "wb") as f:
        f.write(head)
        f.truncate(4 << 30)
    assert p.stat().st_size == 4 << 30
    _bad(p, "claims 1000000000 elements")


def test_llama_cpp_never_sees_a_bad_file(tmp_path, monkeypatch):
    import llama_cpp

    def boom(*a, **k):  # noqa: ANN002, ANN003
        raise AssertionError("llama.cpp was handed a damaged file")

    monkeypatch.setattr(llama_cpp, "Llama", boom)
    p = tmp_path / "bad.gguf"
    p.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + b"\0" * 32)
    with pytest.raises(UserError):
        resolve_model(str(p))
    rt = Runtime(ModelInfo("bad", p, "base", "llama", os.path.getsize(p), "user"))
    with pytest.raises(UserError):
        rt.generate("hello", max_tokens=1)
