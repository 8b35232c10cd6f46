"""The main window: a sidebar of pages, a status bar, persistent state.

Window geometry, the splitter state and the last page persist in a QSettings INI file
at ``config_dir()/gui.ini`` (so tests, which point the config dir at a temp dir, stay
isolated). Ctrl+1..5 switch pages; every page is reachable by keyboard.
What it leaves out: no tray icon, no multiple windows.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QStackedWidget, QVBoxLayout, QWidget)

from app.gui.background import Background
from app.gui.pages.archive import ArchivePage
from app.gui.pages.draft import DraftPage
from app.gui.pages.evaluate import EvaluatePage
from app.gui.pages.settings import SettingsPage
from app.gui.pages.voice import VoicePage
from app.gui.theme import icon, is_dark
from app.gui.worker import Jobs
from ingest.kernel.config import config_dir

PAGES = (("archive", ArchivePage), ("voice", VoicePage), ("draft", DraftPage),
         ("evaluate", EvaluatePage), ("settings", SettingsPage))


def gui_settings() -> QSettings:
    d = config_dir()
    d.mkdir(parents=True, exist_ok=True)
    return QSettings(str(d / "gui.ini"), QSettings.Format.IniFormat)


def style_plots(dark: bool) -> None:
    pg.setConfigOptions(antialias=True, background="#242a29" if dark else "#ffffff",
                        foreground="#c9d3cf" if dark else "#4a5551")


# jobs after which the search-embedding pass runs (it resumes whatever is left)
EMBED_AFTER = frozenset({"loading the store", "import", "forget", "keep edit"})


class MainWindow(QMainWindow):
    def __init__(self, ws, jobs: Jobs | None = None) -> None:
        super().__init__()
        self.ws = ws
        self.jobs = jobs or Jobs(parent=self)
        if self.jobs.gate is None:
            self.jobs.gate = ws.gate  # every job is foreground work: the search pass waits for it
        self.background = Background(ws, self)
        ws.before_close = self.background.stop
        self.setWindowTitle("ownvoice")
        self.setWindowIcon(icon("ownvoice"))
        style_plots(is_dark())
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        side = QWidget()
        side_l = QVBoxLayout(side)
        side_l.setContentsMargins(0, 0, 0, 0)
        side_l.setSpacing(0)
        brand = QLabel("ownvoice")
        brand.setObjectName("brand")
        tagline = QLabel("your voice, on your machine")
        tagline.setObjectName("tagline")
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(200)
        side_l.addWidget(brand)
        side_l.addWidget(tagline)
        side_l.addWidget(self.sidebar, 1)
        side.setFixedWidth(200)
        self.stack = QStackedWidget()
        outer.addWidget(side)
        outer.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.pages: dict[str, QWidget] = {}
        for i, (name, cls) in enumerate(PAGES):
            page = cls(ws, self.jobs)
            self.pages[name] = page
            self.stack.addWidget(page)
            item = QListWidgetItem(icon(name), f"{page.title}")
            item.setToolTip(f"{page.title} (Ctrl+{i + 1})")
            self.sidebar.addItem(item)
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, lambda i=i: self.show_page(i))
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        QShortcut(QKeySequence.StandardKey.Quit, self, self.close)
        self.jobs.started.connect(lambda j: self.statusBar().showMessage(f"{j.name}…"))
        self.jobs.ended.connect(self._job_ended)
        archive = self.pages.get("archive")
        if archive is not None and hasattr(archive, "on_background"):
            self.background.progress.connect(archive.on_background)
            self.background.coverage.connect(archive.show_coverage)
            self.background.failed.connect(archive.background_failed)
        self.statusBar().showMessage(f"Data: {ws.data_dir}")
        self.restore_state()

    def show_page(self, index: int | str) -> None:
        if isinstance(index, str):
            index = [n for n, _ in PAGES].index(index)
        self.sidebar.setCurrentRow(index)
        self.stack.widget(index).setFocus()

    def current_page(self) -> str:
        return PAGES[self.stack.currentIndex()][0]

    def refresh_all(self) -> None:
        """Load what each page shows from the store and pack (in jobs)."""
        for page in self.pages.values():
            page.refresh()

    def warm_up(self):
        """Load the store and embedder in the background (``app.workflows.archive.warm_up``)."""
        from app.workflows import archive

        return self.jobs.start(archive.warm_up, self.ws, name="loading the store")

    def _job_ended(self, job) -> None:
        if job.name in EMBED_AFTER and not (job.cancelled or job.error):
            self.background.start()  # what those jobs stored, embedded for search behind everything else
        if job.cancelled or job.error:
            state = "cancelled" if job.cancelled else "failed"
            self.statusBar().showMessage(f"{job.name}: {state}", 8000)
        elif not self.jobs.busy():
            self.statusBar().showMessage(f"Ready · data in {self.ws.data_dir}")

    # -- state ---------------------------------------------------------------------------------
    def restore_state(self) -> None:
        s = gui_settings()
        geo = s.value("window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1280, 820)
        st = s.value("window/state")
        if st is not None:
            self.restoreState(st)
        self.show_page(int(s.value("window/page", 0) or 0))

    def save_state(self) -> None:
        s = gui_settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/page", self.stack.currentIndex())
        s.sync()

    def closeEvent(self, event) -> None:
        self.save_state()
        self.background.stop()
        self.jobs.cancel_all()
        self.jobs.wait(30)
        self.ws.close()
        super().closeEvent(event)
