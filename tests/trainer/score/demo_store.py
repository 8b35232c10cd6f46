"""The demo archive imported through the real importer into a real Store, once per
test process, then copied per test module (importing takes about a minute here).

Used by the fidelity, evaluation and CLI tests (a conftest fixture would not reach
across those folders).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo"
DEMO_ME = ("wren@halloway-cider.example", "wren.halloway@fastmail.example")
_BUILT: dict[str, Path] = {}


def _build() -> Path:
    if "store" in _BUILT:
        return _BUILT["store"]
    if not (DEMO / "Sent.mbox").is_file():
        pytest.skip(f"the demo archive is missing at {DEMO}")
    from ingest.store.importer import run_import
    from ingest.store.store import Store

    base = Path(tempfile.mkdtemp(prefix="ownvoice-demo-store-"))
    atexit.register(shutil.rmtree, base, True)
    data = base / "data"
    with Store.open(data) as st:
        run_import([DEMO], st, me=DEMO_ME)
    _BUILT["store"] = data
    return data


def demo_data_dir(dest: Path) -> Path:
    """A private copy of the imported demo data dir at ``dest``."""
    shutil.copytree(_build(), dest)
    return dest
