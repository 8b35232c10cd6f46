"""What the global config may hold: preferences only. A data dir given by flag or
environment is not saved as the default (the user's addresses live in each store:
tests/app/test_cli_import.py)."""

from __future__ import annotations


def test_a_data_dir_from_the_flag_or_env_is_not_saved_as_the_default(tmp_path, monkeypatch):
    """Saving a setting (the GUI's Settings page) must not make a --data-dir or
    OWNVOICE_DATA_DIR the default for every later run; a data dir chosen in Settings is."""
    from app.gui.session import Session
    from ingest.kernel.config import config_path, load_config

    monkeypatch.setenv("OWNVOICE_DATA_DIR", str(tmp_path / "from-env"))
    s = Session(data_dir=str(tmp_path / "from-flag"))
    s.update_config(s.config.with_(greet=False))
    on_disk = load_config(overrides=False)
    assert on_disk.greet is False and on_disk.data_dir in ("", None)
    assert "from-flag" not in config_path().read_text() and "from-env" not in config_path().read_text()
    s.update_config(s.config.with_(data_dir=str(tmp_path / "chosen")))
    assert load_config(overrides=False).data_dir == str(tmp_path / "chosen")
