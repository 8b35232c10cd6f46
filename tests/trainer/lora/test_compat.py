"""A voice pack's adapter is refused on a base model other than the one it was trained on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ingest.errors import UserError
from trainer.lora import check_adapter_compat
from trainer.voicepack import VoicePack, sha256_file


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
