"""The generic worker: results, errors, cancellation and progress arrive as signals on the UI thread."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread

from app.gui.worker import Jobs
from ingest.kernel.errors import UserError
from ingest.kernel.jobs import Progress, check


def test_result_and_progress_arrive_on_the_ui_thread(qtbot):
    jobs = Jobs()
    seen, threads = [], []

    def work(n, progress, cancel):
        threads.append(threading.get_ident())
        for i in range(n):
            progress(Progress("count", i + 1, n))
        return n * 2

    def on_progress(p):
        seen.append((p.done, QThread.currentThread() is qtbot_thread))

    qtbot_thread = QThread.currentThread()
    job = jobs.start(work, 5)
    job.signals.progress.connect(on_progress)
    with qtbot.waitSignal(job.signals.done, timeout=10_000) as blocker:
        pass
    assert blocker.args == [10]
    qtbot.waitUntil(lambda: not jobs.busy())
    assert [d for d, _ in seen] == [1, 2, 3, 4, 5]
    assert all(on_ui for _, on_ui in seen)
    assert threads and threads[0] != threading.get_ident()


def test_user_error_text_is_shown_as_is(qtbot):
    jobs = Jobs()

    def bad(progress, cancel):
        raise UserError("No mail found in x.mbox.", hint="Pick an mbox file.")

    job = jobs.start(bad)
    with qtbot.waitSignal(job.signals.failed, timeout=10_000) as blocker:
        pass
    assert blocker.args == ["Cannot continue", "No mail found in x.mbox. Pick an mbox file."]


def test_unexpected_error_says_what_to_do(qtbot, capsys):
    jobs = Jobs()

    def boom(progress, cancel):
        raise KeyError("sources")

    job = jobs.start(boom)
    with qtbot.waitSignal(job.signals.failed, timeout=10_000) as blocker:
        pass
    title, text = blocker.args
    assert title == "Unexpected error"
    assert "KeyError" in text and "What to do" in text
    assert "Traceback" in capsys.readouterr().err  # the bug report goes to stderr


def test_cancel_stops_a_job_at_its_next_step(qtbot):
    jobs = Jobs()
    steps = []

    def slow(progress, cancel):
        for i in range(1000):
            check(cancel)
            steps.append(i)
            time.sleep(0.01)
        return "finished"

    job = jobs.start(slow)
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=10_000)
    with qtbot.waitSignal(job.signals.cancelled, timeout=10_000):
        job.cancel()
    qtbot.waitUntil(lambda: not jobs.busy())
    assert len(steps) < 1000
    assert job.result is None


def test_streaming_callbacks_become_the_token_and_restart_signals(qtbot):
    jobs = Jobs()

    def draft(progress, cancel, on_token, on_restart):
        on_token("rag", 0, "leaky")
        on_restart("rag", 0, "copied text")
        for piece in ("Hiya", " Sam", ","):
            on_token("rag", 0, piece)
        return "ok"

    events = []
    job = jobs.start(draft, stream=True)
    job.signals.token.connect(lambda v, s, p: events.append(("token", v, s, p)))
    job.signals.restart.connect(lambda v, s, r: events.append(("restart", v, s, r)))
    with qtbot.waitSignal(job.signals.finished, timeout=10_000):
        pass
    assert events[:2] == [("token", "rag", 0, "leaky"), ("restart", "rag", 0, "copied text")]
    assert "".join(e[3] for e in events[2:]) == "Hiya Sam,"
    assert {e[0] for e in events[2:]} == {"token"}


@pytest.mark.parametrize("exc", [ValueError("x"), UserError("y")])
def test_finished_always_comes_last(qtbot, exc):
    jobs = Jobs()
    order = []

    def fail(progress, cancel):
        raise exc

    job = jobs.start(fail)
    job.signals.failed.connect(lambda *a: order.append("failed"))
    job.signals.finished.connect(lambda: order.append("finished"))
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=10_000)
    assert order == ["failed", "finished"]
