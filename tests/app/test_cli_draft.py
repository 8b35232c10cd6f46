"""``ownvoice draft`` and ``ownvoice models`` through the real CLI entry point."""

from __future__ import annotations

import email
import email.policy
import json
import struct

import pytest

from app.cli import main

# seeded drafts from the real model repeat exactly only with a fixed fence boundary
pytestmark = pytest.mark.usefixtures("fixed_fence")

EML = """From: Jo Pryce <jo@fair.example>
To: Wren <wren@halloway-cider.example>
Subject: Pitch at the fair
Message-ID: <pitch-1@fair.example>
References: <root@fair.example>
Date: Tue, 10 Mar 2026 09:00:00 +0000

Hi Wren, would you like the pitch by the hedge again this year? Jo
"""


@pytest.fixture(autouse=True)
def config(tmp_path):
    d = tmp_path / "config"
    d.mkdir()
    (d / "config.toml").write_text('me = ["wren@halloway-cider.example"]\nthreads = 1\n')


def _run(capsys, *argv):  # noqa: ANN001
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_draft_text_json(capsys):
    rc, out, err = _run(capsys, "draft", "--text", "Can you deliver on Friday?", "--variants", "base,pld",
                        "--max-tokens", "8", "--seed", "4", "--json", "--gpu-layers", "all", "--context", "1024")
    assert rc == 0, err
    res = json.loads(out)
    assert [(d["variant"], d["sample"]) for d in res["drafts"]] == [("base", 0)]
    d = res["drafts"][0]
    assert d["text"].strip() and d["tokens"] <= 8 and d["seed"] in (4, 4 + 104729)
    # the reply checks: a verdict, and flags only for what they found
    assert isinstance(d["usable"], bool) and d["checks"]["asks"] == 1
    assert set(d["flags"]) <= {"role", "prompt_leak", "invented", "unfinished", "trimmed"}  # 8 tokens: often cut
    assert d["usable"] == (not d["flags"] and (d["checks"]["answered"] or 0) >= 1.0)
    assert "pld" in res["unavailable"] and res["model"] == "smollm2"
    from trainer.runtime.pool import gpu_offload_available

    assert res["backend"] == ("GPU (all layers)" if gpu_offload_available() else "CPU")  # a CPU build offloads nothing


def test_draft_reply_to_streams_and_saves_eml(capsys, tmp_path):
    src = tmp_path / "in.eml"
    src.write_text(EML)
    before = src.read_bytes()
    rc, out, err = _run(capsys, "draft", "--reply-to", str(src), "--variants", "base", "--max-tokens", "6",
                        "--save", str(tmp_path / "out"))
    assert rc == 0, err
    assert "base #1" in out and "saved" in err
    (saved,) = list((tmp_path / "out").glob("*.eml"))
    e = email.message_from_bytes(saved.read_bytes(), policy=email.policy.default)
    assert e["In-Reply-To"] == "<pitch-1@fair.example>"
    assert e["References"] == "<root@fair.example> <pitch-1@fair.example>"
    assert e["To"] == "Jo Pryce <jo@fair.example>" and e["Subject"] == "Re: Pitch at the fair"
    assert e.get_content().strip() and e.get_content().strip() in out
    assert src.read_bytes() == before  # the source is only read


def test_bad_inputs_exit_2_with_one_line(capsys, tmp_path):
    rc, _, err = _run(capsys, "draft", "--message-id", "<nope@x>")
    assert rc == 2 and "No stored message" in err and "Traceback" not in err
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x01 not mail at all \xff")
    rc, _, err = _run(capsys, "draft", "--reply-to", str(tmp_path / "missing.eml"))
    assert rc == 2 and "not a file" in err
    rc, _, err = _run(capsys, "draft", "--reply-to", str(junk), "--max-tokens", "2")
    assert rc == 2 and "could not be read as a mail message" in err
    rc, _, err = _run(capsys, "draft", "--text", "hi", "--variants", "base,voice")
    assert rc == 2 and "Unknown variant" in err
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 5, 0) + b"\0" * 40)
    rc, _, err = _run(capsys, "draft", "--text", "hi", "--model", str(bad))
    assert rc == 2 and ("truncated" in err or "damaged" in err)
    rc, _, err = _run(capsys, "draft", "--text", "hi", "-n", "0")
    assert rc == 2 and "-n must be at least 1" in err
    rc, _, err = _run(capsys, "draft", "--text", "hi", "--gpu-layers", "many")
    assert rc == 2 and "gpu_layers must be auto, all or a number" in err


def test_models_json(capsys):
    rc, out, _ = _run(capsys, "models", "--json")
    assert rc == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["smollm2"]["default"] and rows["smollm2"]["kind"] == "instruct" and rows["smollm2"]["ready"]
    assert rows["gemma3"]["kind"] == "base"
    rc, out, _ = _run(capsys, "models")
    assert rc == 0 and "smollm2" in out and "embedded" in out
