"""Shared fixtures.

- Every test gets its own data, config and cache dirs (``OWNVOICE_*`` env vars), so no
  test touches the user's real store.
- ``corpora`` is ../shared/corpora; tests that need it skip with a reason where it is
  absent (a user's machine). CI has it.
- Qt runs offscreen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.kernel.privacy import lock_down

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
lock_down()  # what every entry point does first: offline, no telemetry, umask 077

ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("OWNVOICE_CORPORA", ROOT.parent / "shared" / "corpora"))
DEMO = ROOT / "resources" / "demo"
DEMO_ME = ("wren@halloway-cider.example", "wren.halloway@fastmail.example")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One cache dir for the whole run (assembled Gemma GGUF and the like)."""
    env = os.environ.get("OWNVOICE_TEST_CACHE")
    return Path(env) if env else tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch, shared_cache):
    data = tmp_path / "data"
    monkeypatch.setenv("OWNVOICE_DATA_DIR", str(data))
    monkeypatch.setenv("OWNVOICE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("OWNVOICE_CACHE_DIR", str(shared_cache))
    yield


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"real-mail corpora not found at {CORPORA} (CI has them; set OWNVOICE_CORPORA)")
    return CORPORA


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return DEMO


FIXED_FENCE = "5eed5eed5eed"


@pytest.fixture
def fixed_fence(monkeypatch) -> str:
    """Pin the prompt's random fence boundary, so a seeded draft from the real model is
    the same on every run (the fence's tokens are part of the prompt)."""
    from trainer.draft import drafting, prompt

    monkeypatch.setattr(drafting, "new_boundary", lambda: FIXED_FENCE)
    monkeypatch.setattr(prompt, "new_boundary", lambda: FIXED_FENCE)
    return FIXED_FENCE
