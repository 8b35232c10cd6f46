"""ONE generic worker: run any core call off the UI thread, report through signals.

``Jobs.start(fn, *args, **kwargs)`` returns a ``Job`` whose signals the caller
connects; it starts when control returns to the event loop, and runs ``fn(*args, progress=..., cancel=..., **kwargs)``
on the global QThreadPool. The core's ``progress`` callback (called on the worker
thread) becomes the ``progress`` signal; the result, a cancellation or an error each
become one signal; ``finished`` always comes last. Signals are emitted from the worker
and delivered on the UI thread (the signal object lives there), so no widget is
touched off the UI thread. ``Job.cancel()`` sets the core's CancelToken.

Pass ``stream=True`` to also give ``fn`` an ``on_token(variant, sample, piece)``
callback wired to the ``token`` signal (drafting streams tokens), and an
``on_restart(variant, sample, reason)`` callback wired to ``restart`` (the text streamed
so far for that sample is void; its replacement streams next).

Jobs run one at a time on their own one-thread pool, in the order started: the store
shares one SQLite connection, so a search started during an import runs after it.
The one exception is the search-embedding pass (``app.gui.background``), on a thread
of its own: every job here runs as foreground work of the workspace's ``Gate``, so the
pass waits while one runs and a job waits only for the pass's batch in flight.
What it leaves out: no priorities and no process isolation: a core call that never
checks its token cannot be stopped.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from app.gui.errors import describe, log_exception
from ingest.kernel.errors import Cancelled, UserError
from ingest.kernel.jobs import CancelToken, Progress


class JobSignals(QObject):
    progress = Signal(object)  # ingest.kernel.jobs.Progress
    token = Signal(str, int, str)  # variant, sample, text piece
    restart = Signal(str, int, str)  # variant, sample, reason
    done = Signal(object)  # the core call's return value
    failed = Signal(str, str)  # title, text (UserError text as-is)
    cancelled = Signal()
    finished = Signal()


class Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, *,
                 name: str = "", stream: bool = False, pass_progress: bool = True, gate: Any = None) -> None:
        super().__init__()
        self.gate = gate  # ingest.kernel.jobs.Gate: run as foreground work (background embedding waits)
        self.setAutoDelete(False)  # Jobs keeps the Python reference until finished
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.name = name or getattr(fn, "__name__", "job")
        self.stream = stream
        self.pass_progress = pass_progress
        self.token = CancelToken()
        self.signals = JobSignals()
        self.result: Any = None
        self.error: BaseException | None = None
        self.running = False

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def _progress(self, p: Progress) -> None:
        self.signals.progress.emit(p)

    def _on_token(self, variant: str, sample: int, piece: str) -> None:
        self.signals.token.emit(str(variant), int(sample), str(piece))

    def _on_restart(self, variant: str, sample: int, reason: str) -> None:
        self.signals.restart.emit(str(variant), int(sample), str(reason))

    def run(self) -> None:  # worker thread
        self.running = True
        kwargs = dict(self.kwargs)
        if self.pass_progress:
            kwargs.setdefault("progress", self._progress)
            kwargs.setdefault("cancel", self.token)
        if self.stream:
            kwargs.setdefault("on_token", self._on_token)
            kwargs.setdefault("on_restart", self._on_restart)
        try:
            with self.gate.foreground() if self.gate is not None else contextlib.nullcontext():
                self.result = self.fn(*self.args, **kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except BaseException as e:  # noqa: BLE001 - every error becomes a message
            self.error = e
            log_exception(e)
            if self.token.cancelled and not isinstance(e, UserError):
                self.signals.cancelled.emit()
            else:
                title, text = describe(e)
                self.signals.failed.emit(title, text)
        else:
            if self.token.cancelled and self.result is None:
                self.signals.cancelled.emit()
            else:
                self.signals.done.emit(self.result)
        finally:
            self.running = False
            self.signals.finished.emit()


class Jobs(QObject):
    """Starts jobs on a thread pool and keeps them alive until they finish."""

    started = Signal(object)  # Job
    ended = Signal(object)  # Job

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None, gate: Any = None) -> None:
        super().__init__(parent)
        self.gate = gate  # every job here is foreground work for this gate
        if pool is None:  # one store connection: core calls run one after another
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)
        self.pool = pool
        self.active: list[Job] = []

    def start(self, fn: Callable[..., Any], *args: Any, name: str = "", stream: bool = False,
              pass_progress: bool = True, **kwargs: Any) -> Job:
        job = Job(fn, args, kwargs, name=name, stream=stream, pass_progress=pass_progress, gate=self.gate)
        self.active.append(job)
        job.signals.finished.connect(lambda j=job: self._finished(j))
        self.started.emit(job)
        # Start on the next turn of the event loop, so the caller connects its slots first:
        # a signal emitted before a slot is connected is lost.
        QTimer.singleShot(0, lambda: self.pool.start(job))
        return job

    def _finished(self, job: Job) -> None:
        if job in self.active:
            self.active.remove(job)
        self.ended.emit(job)

    def busy(self) -> bool:
        return bool(self.active)

    def cancel_all(self) -> None:
        for job in list(self.active):
            job.cancel()

    def wait(self, timeout_s: float = 60.0) -> bool:
        """Block (processing events) until every job is done; for screenshots and exit."""
        from PySide6.QtCore import QCoreApplication

        end = time.monotonic() + timeout_s
        while self.active and time.monotonic() < end:
            QCoreApplication.processEvents()
            self.pool.waitForDone(20)
        QCoreApplication.processEvents()
        return not self.active
