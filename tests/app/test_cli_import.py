"""``ownvoice import | sources | search | forget`` through app.cli.main.

Real parser, SQLite and chromadb; the hash embedder stands in for MiniLM to keep this
fast (the store tests use the real model). Bad inputs must exit 2 with one line on
stderr and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.cli import main
from tests.ingest.store.test_import_standin import use_hash_embedder, use_parser

ME = "phillip.allen@enron.com"


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    use_hash_embedder(monkeypatch)
    use_parser(monkeypatch)


def _cli(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_import_json_shape_and_identity(corpora, tmp_path, capsys):
    data = str(tmp_path / "d")
    inbox = corpora / "enron" / "allen-p" / "inbox.mbox"
    sent = corpora / "enron" / "allen-p" / "sent.mbox"
    rc, out, err = _cli(capsys, "--data-dir", data, "import", str(inbox), str(sent), "--me", ME,
                        "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert set(doc) >= {"sources", "totals"}
    for s in doc["sources"]:
        assert {"path", "kind", "seen", "own", "others", "duplicates", "pairs", "skipped"} <= set(s)
        assert s["seen"] == s["own"] + s["others"] + s["duplicates"] + len(s["skipped"])
        assert all(set(k) == {"item", "reason"} for k in s["skipped"])
        assert s["kind"] == "mbox"
    by = {s["path"].rsplit("/", 1)[-1]: s for s in doc["sources"]}
    assert by["inbox.mbox"]["others"] > 50 and by["sent.mbox"]["own"] > 500
    assert doc["totals"]["seen"] == sum(s["seen"] for s in doc["sources"])
    # --me was saved in the store; a second import adds nothing and says so
    rc, out, _ = _cli(capsys, "--data-dir", data, "import", str(inbox), "--json")
    again = json.loads(out)
    assert rc == 0 and again["sources"][0]["unchanged"] and again["me"] == [ME]
    assert again["sources"][0]["seen"] == by["inbox.mbox"]["seen"]
    rc, out, _ = _cli(capsys, "--data-dir", data, "sources", "--json")
    assert rc == 0 and len(json.loads(out)["sources"]) == 2
    rc, out, _ = _cli(capsys, "--data-dir", data, "search", "approval request", "-k", "3", "--json")
    hits = json.loads(out)["hits"]
    assert rc == 0 and len(hits) == 3 and hits[0]["score"] >= hits[-1]["score"]
    rc, out, _ = _cli(capsys, "--data-dir", data, "search", "approval", "--mine", "--json")
    assert rc == 0 and all(h["sender"] == ME for h in json.loads(out)["hits"])
    # a human-readable table too
    rc, out, _ = _cli(capsys, "--data-dir", data, "sources")
    assert rc == 0 and "allen-p/inbox.mbox" in out


def test_forget_reports_voicepacks_and_needs_confirmation(corpora, tmp_path, capsys, monkeypatch):
    data = tmp_path / "d"
    inbox = corpora / "enron" / "allen-p" / "inbox.mbox"
    assert _cli(capsys, "--data-dir", str(data), "import", str(inbox), "--me", ME, "--json")[0] == 0
    pack = data / "voicepacks" / "default"
    pack.mkdir(parents=True)
    (pack / "manifest.json").write_text(json.dumps(
        {"format": "ownvoice-voicepack", "version": 1,
         "routes": {"rag": {"sources": [str(inbox.resolve())]}}}))
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    rc, _, err = _cli(capsys, "--data-dir", str(data), "forget", str(inbox))
    assert rc == 2 and "--yes" in err and len(err.strip().splitlines()) == 1
    rc, out, _ = _cli(capsys, "--data-dir", str(data), "forget", "allen-p/inbox.mbox", "--yes",
                      "--json")
    doc = json.loads(out)
    assert rc == 0 and doc["removed"] == 66 and doc["voicepacks_to_relearn"] == ["default"]
    rc, out, _ = _cli(capsys, "--data-dir", str(data), "sources", "--json")
    assert json.loads(out)["sources"] == []
    rc, _, err = _cli(capsys, "--data-dir", str(data), "forget", str(inbox), "--yes")
    assert rc == 2 and "not an imported source" in err


def _bad_inputs(tmp_path, corpora):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8)
    (photos / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    notmail = tmp_path / "table.csv"
    notmail.write_text("a,b,c\n1,2,3\n")
    return {"missing": tmp_path / "nope.mbox", "photos": photos, "not mail": notmail}


def test_bad_inputs_exit_2_with_one_line(corpora, tmp_path, capsys):
    for what, path in _bad_inputs(tmp_path, corpora).items():
        rc, out, err = _cli(capsys, "--data-dir", str(tmp_path / "d"), "import", str(path))
        assert rc == 2, (what, out, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (what, err)
        assert str(path.name) in err, (what, err)
    rc, out, _ = _cli(capsys, "--data-dir", str(tmp_path / "d"), "sources", "--json")
    assert json.loads(out)["sources"] == []  # nothing was half-imported


def test_truncated_mbox_is_a_recorded_skip(corpora, tmp_path, capsys):
    raw = (corpora / "enron" / "allen-p" / "inbox.mbox").read_bytes()
    cut = tmp_path / "cut.mbox"
    at = raw.index(b"\nFrom ", len(raw) // 2)
    cut.write_bytes(raw[: at + 80])  # ends inside the headers of a message
    rc, out, err = _cli(capsys, "--data-dir", str(tmp_path / "d"), "import", str(cut), "--json")
    assert rc == 0, err
    s = json.loads(out)["sources"][0]
    assert s["skipped"] and s["seen"] == s["own"] + s["others"] + s["duplicates"] + len(s["skipped"])
    assert all(k["reason"] for k in s["skipped"])


def test_a_real_process_prints_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "app", "--data-dir", str(tmp_path / "d"), "import",
                        str(tmp_path / "missing.mbox")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "missing.mbox" in r.stderr


def test_two_stores_each_count_only_their_own_user(tmp_path, capsys):
    """--me belongs to the store it was given for: importing Wren's mail into one data
    dir must not make her mail "own" in another person's store (it did when --me went
    into the global config)."""
    demo = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "demo")
    inbox, sent = os.path.join(demo, "Inbox.mbox"), os.path.join(demo, "Sent.mbox")
    a, b = str(tmp_path / "wren"), str(tmp_path / "dai")
    rc, out, err = _cli(capsys, "--data-dir", a, "import", sent, "--me", "wren@halloway-cider.example", "--json")
    assert rc == 0, err
    assert json.loads(out)["totals"]["own"] > 50
    rc, out, err = _cli(capsys, "--data-dir", b, "import", inbox, sent, "--me", "dai@morgans-farm.example",
                        "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["me"] == ["dai@morgans-farm.example"]
    assert doc["totals"]["own"] == 2  # Dai's two messages, none of Wren's
    cfg = os.path.join(os.environ["OWNVOICE_CONFIG_DIR"], "config.toml")
    assert not os.path.exists(cfg) or "wren@" not in open(cfg).read()
    rc, out, _ = _cli(capsys, "--data-dir", a, "import", sent, "--json")  # A keeps its own user
    assert json.loads(out)["me"] == ["wren@halloway-cider.example"]
