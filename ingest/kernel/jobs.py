"""Progress reporting and cancellation for long jobs.

Every long job (import, learn, evaluate, draft) has the signature::

    fn(..., progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> Result

The CLI turns ``Progress`` events into a rich bar; the GUI turns them into Qt signals.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from ingest.kernel.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress event.

    ``stage`` names the step ("parse", "embed", "train"); ``done``/``total`` count units
    of work in that stage (``total`` is None when unknown); ``info`` carries numbers a
    surface may plot (loss, tokens/s, eta_s ...).
    """

    stage: str
    done: int = 0
    total: int | None = None
    message: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressFn = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """A thread-safe flag a surface sets to stop a job at its next step.

    >>> t = CancelToken(); t.cancelled
    False
    >>> t.cancel(); t.cancelled
    True
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


def check(cancel: CancelToken | None) -> None:
    """Raise ``Cancelled`` when ``cancel`` is set; a None token never cancels."""
    if cancel is not None:
        cancel.raise_if_cancelled()


class Gate:
    """Background work gives way to foreground work, in one process.

    A background batch (``with gate.background(cancel):``) starts only when no
    foreground job runs; a foreground job (``with gate.foreground():``) waits for the
    batch in flight, then runs alone. The GUI runs search embedding as background work
    and every other job as foreground, so a draft is not slowed by it and no two
    writes share the store's connection.

    >>> g = Gate()
    >>> with g.foreground():
    ...     g.busy
    True
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._fg = 0
        self._bg = False

    @property
    def busy(self) -> bool:
        return self._fg > 0

    def background(self, cancel: CancelToken | None = None) -> Any:
        import contextlib

        @contextlib.contextmanager
        def batch() -> Any:
            with self._cond:
                while self._fg:
                    self._cond.wait(0.2)
                    check(cancel)
                self._bg = True
            try:
                yield
            finally:
                with self._cond:
                    self._bg = False
                    self._cond.notify_all()

        return batch()

    def foreground(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def job() -> Any:
            with self._cond:
                self._fg += 1
                while self._bg:
                    self._cond.wait()
            try:
                yield
            finally:
                with self._cond:
                    self._fg -= 1
                    self._cond.notify_all()

        return job()
