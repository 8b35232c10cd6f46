"""The search-embedding pass, in the background of the desktop app.

An import returns once learning can start (the reply pairs are embedded); the rest of
the archive, which only search reads, is embedded here (``app.workflows.archive.embed_rest``)
on a thread of its own. Every other job runs as foreground work of the workspace's
``ingest.kernel.jobs.Gate``, so this pass stops between batches while anything else runs (a
draft is not slowed by it; a write never shares the store's connection with it) and
goes on afterwards. It starts when the window has loaded the store and after each
import, forget or kept edit; a kill or a close leaves it where it was, and the next
start resumes it. The Archive page shows its progress and how much search covers.

What it leaves out: no pause button (it gives way by itself).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from app.gui.worker import Job
from app.workflows import archive


class Background(QObject):
    progress = Signal(object)  # ingest.kernel.jobs.Progress
    coverage = Signal(object)  # Store.coverage() when a pass ends
    failed = Signal(str, str)  # (title, text): the pass stopped (a full disk, another process writing)

    def __init__(self, ws: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.job: Job | None = None
        self.again = False

    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        """Start the pass (or run it once more after the current one, if one runs)."""
        if self.job is not None:
            self.again = True
            return
        job = Job(archive.embed_rest, (self.ws,), {}, name="embed older replies, then for search")
        job.signals.progress.connect(self.progress.emit)
        job.signals.done.connect(self._done)
        job.signals.failed.connect(self.failed.emit)
        job.signals.finished.connect(self._ended)
        self.job = job
        QTimer.singleShot(0, lambda: self.pool.start(job))

    def _done(self, done: archive.EmbedPass) -> None:
        self.coverage.emit(done.coverage)

    def _ended(self) -> None:
        self.job = None
        if self.again:
            self.again = False
            self.start()

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Cancel the pass and wait for its batch in flight (window close)."""
        self.again = False
        if self.job is not None:
            self.job.cancel()
        return self.pool.waitForDone(int(timeout_s * 1000))
