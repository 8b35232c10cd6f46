"""forget clears what a voice pack learned from the forgotten mail.

Real importer, Store and VoicePack; the scorer and retrieval routes are learned for
real (``learn``), the PLD explanations are written by the real ``explain_pairs`` with a
scripted teacher (it implements the teacher interface and echoes the mail it is
shown, as a careless model could: the slow real teacher adds nothing to what is
tested here), and the adapter is a real GGUF LoRA file. Then ``ownvoice forget``
runs through the CLI and every file in the data dir is scanned for the forgotten
source's distinctive strings."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from ingest.kernel.config import Config
from ingest.store.importer import import_sources
from ingest.store.store import Store
from tests.conftest import DEMO, DEMO_ME
from tests.ingest.store.test_import_standin import use_hash_embedder
from tests.trainer.student_helpers import write_lora_adapter
from trainer.learn.pld.explain import explain_pairs
from trainer.learn.routes import LearnContext, learn
from trainer.voicepack import VoicePack

SECRET = "the vault code is quartz heron nineteen lantern"
MAIL = f"""From bram@quarry.example Tue Mar 11 09:00:00 2025
From: Bram Quarry <bram@quarry.example>
To: Wren Halloway <wren@halloway-cider.example>
Subject: Cellar access
Message-ID: <q1@quarry.example>
Date: Tue, 11 Mar 2025 09:00:00 +0000

Wren, for the cellar next week {SECRET}. Can you confirm you will come on Tuesday?

From wren@halloway-cider.example Tue Mar 11 10:00:00 2025
From: Wren Halloway <wren@halloway-cider.example>
To: Bram Quarry <bram@quarry.example>
Subject: Re: Cellar access
Message-ID: <q2@halloway-cider.example>
In-Reply-To: <q1@quarry.example>
References: <q1@quarry.example>
Date: Tue, 11 Mar 2025 10:00:00 +0000

Tuesday it is - and noted, {SECRET}. cheers, W.
"""


class EchoTeacher:
    name, capable, remote = "echo", False, False

    def complete(self, messages, *, max_tokens=96, temperature=0.2, seed=0, cancel=None, prefix="", stop=()):
        return prefix + "Use short lines. " + messages[-1]["content"][-300:]


def test_forget_deletes_what_a_voice_pack_learned_from_the_source(tmp_path, capsys, monkeypatch):
    use_hash_embedder(monkeypatch)
    secret_box = tmp_path / "cellar.mbox"
    secret_box.write_text(MAIL)
    data = tmp_path / "data"
    with Store.open(data, chroma_url="") as store:
        import_sources([DEMO / "Sent.mbox", DEMO / "Inbox.mbox", secret_box], store, DEMO_ME)
        pack = VoicePack.open(data)
        learn(["scorer", "rag"], LearnContext(store, pack, Config(me=DEMO_ME), data))
        pairs = [p for p in store.reply_pairs() if SECRET in p.reply_text]
        assert pairs, "the secret's reply pair was not found"
        explain_pairs(pairs, EchoTeacher(), pack)
        write_lora_adapter(pack.file("adapter/adapter.gguf"), zero_b=True)
        pack.set_route("lora", {"adapter": "adapter/adapter.gguf"})
    blob = (pack.path / "pld" / "explanations.json").read_bytes()
    assert SECRET.encode() in blob  # the pack holds the secret before the forget
    assert str(secret_box.resolve()) in VoicePack.load(pack.path).manifest()["sources"]

    rc = main(["--data-dir", str(data), "forget", str(secret_box), "--yes", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["voicepacks_to_relearn"] == ["default"]
    cleared = out["voicepacks_cleared"]["default"]
    assert {"scorer", "judge", "pld", "adapter"} <= set(cleared["deleted"])
    assert sorted(cleared["routes"]) == ["lora", "rag", "scorer"]
    again = VoicePack.load(pack.path)
    assert again.stale and "forgotten" in again.stale["reason"] and again.manifest()["routes"] == {}
    needles = [SECRET.encode(), b"quartz heron", SECRET.encode("utf-16-le"), b"bram@quarry.example"]
    for f in data.rglob("*"):
        if f.is_file():
            content = f.read_bytes()
            assert not any(n in content for n in needles), f
    assert b"Halloway" in (data / "state.sqlite").read_bytes()  # the scan can see text


def test_an_edited_style_prompt_is_kept_and_a_learned_one_deleted(tmp_path):
    from trainer.voicepack import sha256_text

    pack = VoicePack.open(tmp_path / "data")
    text = "- Use short lines.\n"
    pack.write_text("style_prompt.md", text)
    pack.set_route("pld", {"prompt_sha256": sha256_text(text), "kept_user_edit": False})
    assert pack.forget_learned("test")["deleted"] == ["style_prompt.md"]
    pack.write_text("style_prompt.md", "- My own words.\n")  # no learned record of it: the user's
    pack.set_route("pld", {"prompt_sha256": sha256_text(text), "kept_user_edit": False})
    res = pack.forget_learned("test")
    assert res["kept"] == ["style_prompt.md"] and pack.file("style_prompt.md").exists()
