"""Voice pack: versioned manifest, atomic files, clear errors, never unpickles."""

from __future__ import annotations

import json

import pytest

from ingest.kernel.errors import UserError
from trainer.voicepack import VERSION, VoicePack


def test_open_creates_manifest_and_records_routes(data_dir):
    pack = VoicePack.open(data_dir)
    m = pack.manifest()
    assert m["format"] == "ownvoice-voicepack" and m["version"] == VERSION and m["routes"] == {}
    pack.write_text("style_prompt.md", "Write short.")
    pack.set_route("pld", {"prompt": str(pack.file("style_prompt.md"))})
    again = VoicePack.load(pack.path)
    assert again.route("pld")["prompt"].endswith("style_prompt.md")
    assert (pack.path / "style_prompt.md").stat().st_mode & 0o077 == 0


def test_damaged_manifest_is_a_clear_error(data_dir):
    pack = VoicePack.open(data_dir)
    (pack.path / "manifest.json").write_text('{"format": "ownvoice-voicepack", "vers')
    with pytest.raises(UserError, match="damaged"):
        VoicePack.load(pack.path)


def test_not_a_pack_and_newer_version(tmp_path):
    with pytest.raises(UserError, match="not a voice pack"):
        VoicePack.load(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "ownvoice-voicepack", "version": VERSION + 1}))
    with pytest.raises(UserError, match="newer ownvoice"):
        VoicePack.load(tmp_path)
