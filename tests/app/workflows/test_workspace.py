"""The ``Workspace`` both faces hold. What the global config may hold: preferences only;
a data dir given by flag or environment is not saved as the default (the user's
addresses live in each store: tests/app/test_cli_import.py). Reading what may not
exist (the store, the learned pack) creates nothing."""

from __future__ import annotations


def test_a_data_dir_from_the_flag_or_env_is_not_saved_as_the_default(tmp_path, monkeypatch):
    """Saving a setting (the GUI's Settings page) must not make a --data-dir or
    OWNVOICE_DATA_DIR the default for every later run; a data dir chosen in Settings is."""
    from app.workflows.workspace import Workspace
    from ingest.kernel.config import config_path, load_config

    monkeypatch.setenv("OWNVOICE_DATA_DIR", str(tmp_path / "from-env"))
    s = Workspace(data_dir=str(tmp_path / "from-flag"))
    s.update_config(s.config.with_(greet=False))
    on_disk = load_config(overrides=False)
    assert on_disk.greet is False and on_disk.data_dir in ("", None)
    assert "from-flag" not in config_path().read_text() and "from-env" not in config_path().read_text()
    s.update_config(s.config.with_(data_dir=str(tmp_path / "chosen")))
    assert load_config(overrides=False).data_dir == str(tmp_path / "chosen")


def test_reading_what_may_not_exist_creates_nothing(tmp_path):
    """``store_if_exists`` and ``learned_pack`` (what drafting a pasted message uses)
    leave an empty data dir empty; ``store()`` and ``pack()`` create them, once."""
    from app.workflows.workspace import Workspace
    from ingest.kernel.config import Config

    data = tmp_path / "data"
    with Workspace(Config(data_dir=str(data))) as ws:
        assert ws.store_if_exists() is None and ws.learned_pack() is None
        assert not (data / "state.sqlite").exists() and not (data / "voicepacks").exists()
        assert not ws.store_open
        store = ws.store()
        assert ws.store() is store and ws.store_if_exists() is store and ws.store_open
        assert (data / "state.sqlite").exists()
        pack = ws.pack()
        assert ws.learned_pack().path == pack.path
    assert not ws.store_open  # the context manager closed it
    with Workspace(Config(data_dir=str(data))) as again:
        assert again.store_if_exists() is not None  # a store that exists is opened
