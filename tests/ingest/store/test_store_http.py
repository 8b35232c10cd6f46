"""``Config.chroma_url``: the same Store over a Chroma server (HttpClient).

Starts the ``chroma`` server that the chromadb package installs, on a free local port
with its own folder, and runs an import + search through it. Nothing changes in the
code path but the client; the local ``data_dir/chroma`` folder is never created.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.store.importer import run_import
from ingest.store.store import Store
from tests.ingest.store.test_import_standin import parser, use_hash_embedder
from tests.ingest.store.test_store import MAIL, ME


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    exe = Path(sys.executable).with_name("chroma")
    exe = str(exe) if exe.exists() else shutil.which("chroma")
    assert exe, "the chromadb package installs a `chroma` command"
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server"), "--port", str(port),
                             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the chroma server did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_store_over_a_chroma_server(chroma_server, tmp_path, monkeypatch):
    use_hash_embedder(monkeypatch)
    (tmp_path / "m.mbox").write_text(MAIL)
    data = tmp_path / "data"
    with Store.open(data, chroma_url=chroma_server) as s:
        run_import([tmp_path / "m.mbox"], s, [ME], parser=parser())
        s.embed_rest()
        assert s.vector_ids("messages") == {m.id for m in s.messages()}
        hits = s.search("pour the foundation for the barn", k=1)
        assert hits[0].message.sender == "carol@farm.example"
        assert len(s.similar_pairs("gas storage report", k=3)) == 3
    assert not (data / "chroma").exists()
    assert (tmp_path / "server").is_dir()
