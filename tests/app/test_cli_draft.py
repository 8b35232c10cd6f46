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


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """The imported demo data dir with the voice scorer fitted (the real core calls)."""
    from ingest.kernel.config import Config
    from ingest.store.store import Store
    from tests.trainer.score.demo_store import demo_data_dir
    from trainer.learn import scorer_fit
    from trainer.learn.routes import LearnContext
    from trainer.voicepack import VoicePack

    data = demo_data_dir(tmp_path_factory.mktemp("scored") / "data")
    with Store.open(data) as store:
        scorer_fit.learn(LearnContext(store, VoicePack.open(data), Config(), data))
    return data


@pytest.mark.slow
def test_draft_json_carries_the_scores_the_draft_page_shows(learned, capsys):
    """``draft --json`` scores each draft through the workflow the Draft page runs
    (``app.workflows.drafting``): the same atom scores, ACC and RC the page's rescoring
    gives for the same texts, and the summary prints ACC per draft."""
    from app.workflows import drafting
    from app.workflows.workspace import Workspace
    from ingest.kernel.config import load_config
    from ingest.store.store import Store

    with Store.open(learned) as store:
        m = next(m for m in store.messages(own=False) if m.message_id and (m.text or m.body).strip())
    rc, out, err = _run(capsys, "--data-dir", str(learned), "draft", "--message-id", m.message_id,
                        "--variants", "base", "-n", "2", "--max-tokens", "16", "--seed", "3", "--json")
    assert rc == 0, err
    res = json.loads(out)
    assert res["scorer_note"] == "" and [(d["variant"], d["sample"]) for d in res["drafts"]] == [("base", 0), ("base", 1)]
    texts = {(d["variant"], d["sample"]): d["text"] for d in res["drafts"]}
    with Workspace(load_config(data_dir=str(learned))) as ws:
        scores, rc_by_variant, note = drafting.score_texts(ws, texts, m.thread or None)
    assert note == "" and set(scores) == set(texts)
    for d in res["drafts"]:
        got, want = d["score"], scores[(d["variant"], d["sample"])].score
        assert got["atoms"] and all(isinstance(a["score"], float) and 1 <= a["score"] <= 5 for a in got["atoms"])
        assert [a["score"] for a in got["atoms"]] == [a.score for a in want.scores]
        assert got["acc"] == want.acc and got["ic"] == want.ic
        assert got["leaked"] == [a.text for a in scores[(d["variant"], d["sample"])].leaked]
    assert set(res["rc"]) == {"base"} and res["rc"]["base"] == rc_by_variant["base"]

    rc, out, err = _run(capsys, "--data-dir", str(learned), "draft", "--message-id", m.message_id,
                        "--variants", "base", "--max-tokens", "16", "--seed", "3")
    assert rc == 0, err
    acc = res["drafts"][0]["score"]["acc"]
    assert f"base #1: " in err and (f"ACC {acc:.2f}" if acc is not None else "ACC n/a") in err


def test_draft_without_a_learned_voice_says_why_it_is_unscored(capsys, tmp_path):
    """No store and no voice pack: the draft is written, unscored, and nothing is created."""
    data = tmp_path / "empty"
    rc, out, err = _run(capsys, "--data-dir", str(data), "draft", "--text", "Can you deliver on Friday?",
                        "--variants", "base", "--max-tokens", "4", "--json")
    assert rc == 0, err
    res = json.loads(out)
    assert res["drafts"][0]["score"] is None and "ownvoice learn" in res["scorer_note"] and res["rc"] == {}
    assert not (data / "state.sqlite").exists() and not (data / "voicepacks").exists()
