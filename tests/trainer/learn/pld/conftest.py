"""A demo-archive store imported once for this folder's real-store tests."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_ME


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory, demo_dir):
    from ingest.store.importer import run_import
    from ingest.store.store import Store

    if not (demo_dir / "Sent.mbox").exists():
        pytest.skip("resources/demo is missing")
    d = tmp_path_factory.mktemp("pld-demo")
    store = Store.open(d, chroma_url="")
    run_import([demo_dir / "Sent.mbox", demo_dir / "Inbox.mbox", demo_dir / "documents"], store, me=DEMO_ME)
    yield store
    store.close()
