"""A voice pack's adapter is refused on a base model other than the one it was trained on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import sha256_file
from trainer.learn.lora import check_adapter_compat
from trainer.voicepack import VoicePack


def test_adapter_on_other_base_model_is_a_user_error(tmp_path):
    pack = VoicePack.open(tmp_path / "data")
    base = tmp_path / "base.gguf"
    base.write_bytes(b"GGUF pretend base model")
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF another model")
    with pytest.raises(UserError, match="no LoRA adapter"):
        check_adapter_compat(pack, SimpleNamespace(path=base))
    pack.write_bytes("adapter/adapter.gguf", b"GGUF adapter")
    pack.set_route("lora", {"adapter": "adapter/adapter.gguf",
                            "base_model": {"name": "base", "sha256": sha256_file(base)}})
    assert check_adapter_compat(pack, SimpleNamespace(path=base)) == pack.path / "adapter/adapter.gguf"
    with pytest.raises(UserError) as e:
        check_adapter_compat(pack, SimpleNamespace(path=other))
    assert "trained on base" in str(e.value) and "--model base" in str(e.value)
    (pack.path / "adapter/adapter.gguf").unlink()
    with pytest.raises(UserError, match="missing"):
        check_adapter_compat(pack, SimpleNamespace(path=base))


def test_not_a_gguf_is_a_user_error(tmp_path):
    from trainer.learn.lora.hf_load import gguf_facts

    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"PK\x03\x04 not a gguf at all")
    with pytest.raises(UserError, match="not a readable GGUF"):
        gguf_facts(bad)
    with pytest.raises(UserError, match="does not exist"):
        gguf_facts(tmp_path / "missing.gguf")


@pytest.mark.slow
def test_gguf_header_reader_matches_gguf_package():
    """The fast header reader agrees with gguf.GGUFReader on the built-in SmolLM2."""
    import gguf

    from trainer.learn.lora.hf_load import read_gguf_kv
    from trainer.runtime.models import resolve_model

    path = resolve_model("smollm2").path
    kv = read_gguf_kv(path)
    ref = gguf.GGUFReader(str(path))
    for key in ("general.architecture", "llama.block_count", "llama.attention.head_count",
                "llama.attention.head_count_kv", "tokenizer.chat_template"):
        assert kv[key] == ref.fields[key].contents(), key


def test_an_adapter_entry_without_a_base_model_is_refused_not_guessed(tmp_path):
    """An adapter whose base model the pack does not record cannot be checked: drafting
    says why (the same check as ``check_adapter_compat``), instead of loading it blind."""
    pack = VoicePack.open(tmp_path / "data")
    pack.write_bytes("adapter/adapter.gguf", b"GGUF adapter")
    pack.set_route("lora", {"adapter": "adapter/adapter.gguf"})
    entry = pack.adapter()
    assert entry is not None and entry.path == pack.path / "adapter/adapter.gguf"
    assert "records no base model" in entry.refusal("smollm2", "ab" * 32)
    base = tmp_path / "base.gguf"
    base.write_bytes(b"GGUF pretend base model")
    with pytest.raises(UserError, match="records no base model"):
        check_adapter_compat(pack, SimpleNamespace(path=base))
