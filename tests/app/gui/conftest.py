"""Fixtures for the GUI tests: a themed QApplication, a window over a real store.

``imported_dir`` imports the demo archive once per session with the core importer
(the Archive page's own import is tested in test_archive.py); tests that need a store
copy it, so each test still gets its own data directory.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DEMO, DEMO_ME

pytestmark = pytest.mark.gui


def pump_until(cond, timeout_s: float) -> bool:
    """Process Qt events until ``cond()`` holds (for session fixtures, which have no qtbot)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    end = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > end:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    return True


def _tick_gaps(go) -> list[float]:
    """Gaps between 10 ms QTimer ticks while ``go(t0)`` holds."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    gaps: list[float] = []
    t0 = time.monotonic()
    last = [t0]

    def tick() -> None:
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    while go(t0):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    timer.stop()
    return gaps


@dataclass
class GuiImport:
    window: object
    data_dir: Path
    gaps_s: list[float]
    progress: list
    outcomes: list[str]
    seconds: float
    warm_up_s: float
    idle_gaps_s: list[float]  # the same timer on an idle loop just before (the machine's own jitter)


@pytest.fixture(scope="session")
def gui_import(qapp, tmp_path_factory) -> GuiImport:
    """The demo archive imported once through the Archive page, as a user would.

    A 10 ms QTimer runs meanwhile; its gaps show whether the event loop stayed
    responsive. Afterwards the store is closed, so other tests can copy the folder.
    """
    from PySide6.QtCore import QTimer

    from app.gui.theme import apply_theme
    from app.gui.window import MainWindow
    from app.workflows.workspace import Workspace
    from ingest.kernel.config import Config

    base = tmp_path_factory.mktemp("gui_import")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OWNVOICE_CONFIG_DIR", str(base / "config"))
        mp.setenv("OWNVOICE_DATA_DIR", str(base / "data"))
        apply_theme(qapp, dark=False)
        w = MainWindow(Workspace(Config(data_dir=str(base / "data"))))
        w.show()
        page = w.pages["archive"]
        page.me_edit.setText(", ".join(DEMO_ME))
        # Load the libraries first, as the app does at start: a first import of torch and
        # chromadb holds the GIL for whole seconds, which no thread layout avoids. The
        # measurement below is about the import work itself.
        t0 = time.monotonic()
        w.warm_up()
        assert pump_until(lambda: not w.jobs.busy() and not w.background.running, 600), "warm-up did not finish"
        warm_up_s = time.monotonic() - t0
        idle_gaps = _tick_gaps(lambda t0: time.monotonic() - t0 < 2.0)
        gaps: list[float] = []
        last = [time.monotonic()]

        def tick() -> None:
            now = time.monotonic()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        timer.start()
        t0 = time.monotonic()
        page.import_paths([str(DEMO / "Sent.mbox"), str(DEMO / "Inbox.mbox")])
        job = page.import_job
        progress, outcomes = [], []
        job.signals.progress.connect(progress.append)
        job.signals.done.connect(lambda *_: outcomes.append("done"))
        job.signals.failed.connect(lambda t, m: outcomes.append(f"failed: {m}"))
        job.signals.cancelled.connect(lambda: outcomes.append("cancelled"))
        assert pump_until(lambda: not w.jobs.busy() and not w.background.running, 900), \
            "the demo import (and its search pass) did not finish in 15 min"
        seconds = time.monotonic() - t0
        timer.stop()
        w.ws.close()
        yield GuiImport(w, base / "data", gaps, progress, outcomes, seconds, warm_up_s, idle_gaps)
        w.close()


@pytest.fixture(scope="session")
def learned_dir(gui_import, tmp_path_factory) -> Path:
    """A copy of the imported store with the scorer and retrieval learned (core calls)."""
    from ingest.kernel.config import Config
    from ingest.store.store import Store
    from trainer.learn.routes import LearnContext, learn, parse_routes
    from trainer.voicepack import VoicePack

    d = tmp_path_factory.mktemp("learned") / "data"
    shutil.copytree(gui_import.data_dir, d)
    with Store.open(d, chroma_url="") as store:
        ctx = LearnContext(store, VoicePack.open(d), Config(me=DEMO_ME), d, {})
        learn(parse_routes("rag"), ctx)
    return d


@pytest.fixture
def themed(qapp):
    from app.gui.theme import apply_theme

    apply_theme(qapp, dark=False)
    return qapp


@pytest.fixture
def make_window(qtbot, themed, monkeypatch):
    """Build a MainWindow over a data dir (fresh, or a copy of ``src``)."""
    from app.gui.window import MainWindow
    from app.workflows.workspace import Workspace
    from ingest.kernel.config import Config

    made = []

    def make(data_dir: Path, src: Path | None = None, config: Config | None = None):
        if src is not None:
            shutil.copytree(src, data_dir)
        monkeypatch.setenv("OWNVOICE_DATA_DIR", str(data_dir))
        w = MainWindow(Workspace(config or Config(data_dir=str(data_dir), me=DEMO_ME)))
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.jobs.cancel_all()
        w.jobs.wait(60)
        w.ws.close()


def wait_idle(qtbot, window, timeout_ms: int = 120_000) -> None:
    """Wait until every job the window started has finished and its signals arrived,
    the background search-embedding pass included (app.gui.background)."""
    qtbot.waitUntil(lambda: not window.jobs.busy() and not window.background.running, timeout=timeout_ms)
