"""Config, atomic writes, private dirs, cancel tokens: the foundation every layer uses."""

from __future__ import annotations

import os
import stat

import pytest

from ingest.kernel.config import Config, dumps_toml, load_config, resolve_data_dir, save_config
from ingest.kernel.errors import Cancelled, UserError
from ingest.kernel.fsutil import atomic_replace_dir, atomic_write_json, atomic_write_text, private_dir
from ingest.kernel.jobs import CancelToken, Progress, check
from ingest.kernel.records import Message, content_hash


def _mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_data_dir_precedence_and_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("OWNVOICE_DATA_DIR", str(tmp_path / "env"))
    assert load_config().data_dir == str(tmp_path / "env")
    cfg = load_config(data_dir=str(tmp_path / "flag"))
    assert cfg.data_dir == str(tmp_path / "flag")
    p = resolve_data_dir(cfg)
    assert p.is_dir() and _mode(p) == 0o700


def test_existing_world_readable_data_dir_is_tightened(tmp_path):
    d = tmp_path / "loose"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    private_dir(d, tighten=True)
    assert _mode(d) == 0o700
    e = tmp_path / "data"
    e.mkdir()
    os.chmod(e, 0o755)
    assert _mode(resolve_data_dir(Config(data_dir=str(e)))) == 0o700  # the data dir is ownvoice's


def test_a_users_existing_folder_is_never_chmodded(tmp_path):
    """``draft --save DIR`` / ``eval --report DIR`` write through atomic_write_*: the
    user's folder keeps its mode (a sticky 1777 like /tmp too); the files are 0600; the
    folders ownvoice creates below it are 0700, parents included."""
    desk = tmp_path / "Desktop"
    desk.mkdir()
    os.chmod(desk, 0o755)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    atomic_write_text(desk / "draft.eml", "x")
    atomic_write_json(shared / "report.json", {"a": 1})
    atomic_write_text(desk / "new" / "deeper" / "r.md", "y")
    assert _mode(desk) == 0o755 and _mode(shared) == 0o1777
    assert _mode(desk / "draft.eml") == 0o600 and _mode(shared / "report.json") == 0o600
    assert _mode(desk / "new") == 0o700 and _mode(desk / "new" / "deeper") == 0o700
    private_dir(desk)
    assert _mode(desk) == 0o755


def test_data_dir_that_is_a_file_is_a_clear_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        resolve_data_dir(Config(data_dir=str(f)))


def test_config_round_trip(tmp_path):
    cfg = Config(me=("a@x.example", "b@y.example"), model="gemma3", temperature=0.5, retrieval_k=4)
    path = tmp_path / "c" / "config.toml"
    save_config(cfg, path)
    assert _mode(path) == 0o600
    back = load_config(path)
    assert back.me == cfg.me and back.model == "gemma3" and back.temperature == 0.5 and back.retrieval_k == 4


def test_broken_config_is_a_user_error(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text("me = [unclosed")
    with pytest.raises(UserError, match="not valid TOML"):
        load_config(p)


def test_toml_writer_escapes_strings():
    import tomllib

    text = dumps_toml({"s": 'quote " and \\ and\nnewline', "b": True, "l": ["x", "y"]})
    assert tomllib.loads(text) == {"s": 'quote " and \\ and\nnewline', "b": True, "l": ["x", "y"]}


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    atomic_write_json(target, {"v": 1})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text().strip().startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temp file left behind


def test_atomic_replace_dir(tmp_path):
    dst = tmp_path / "pack"
    dst.mkdir()
    (dst / "old").write_text("old")
    src = tmp_path / "tmp-pack"
    src.mkdir()
    (src / "new").write_text("new")
    atomic_replace_dir(src, dst)
    assert sorted(p.name for p in dst.iterdir()) == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]


def test_cancel_token_and_progress():
    t = CancelToken()
    check(t)
    check(None)
    t.cancel()
    with pytest.raises(Cancelled):
        check(t)
    assert Progress("x", 5, 10).fraction == 0.5
    assert Progress("x", 5).fraction is None


def test_content_hash_ignores_whitespace_and_case_not_words():
    a = Message(source="s", item="1", sender="a@x", subject="Hi", text="Hello  there,\nfriend")
    b = Message(source="s", item="2", sender="a@x", subject="hi", text="hello there, friend", message_id="other")
    c = Message(source="s", item="3", sender="a@x", subject="hi", text="hello there, enemy")
    assert a.id == b.id != c.id
    assert content_hash("x") != content_hash("y")
