"""How the CLI talks to the terminal: a console, warnings and errors on stderr, JSON on
stdout, and a progress bar whose cancel token Ctrl-C sets.

What it leaves out: what any command does (``app.workflows``); Qt (the GUI has its own).
"""

from __future__ import annotations

import json
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, SpinnerColumn,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)

from ingest.kernel.jobs import CancelToken, Progress, ProgressFn


@dataclass
class Terminal:
    console: Console = field(default_factory=lambda: Console(stderr=False, highlight=False))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))

    def error(self, message: str) -> None:
        self.err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {message}", soft_wrap=True)

    def print_json(self, obj: Any) -> None:
        sys.stdout.write(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    @contextmanager
    def progress(self, *, quiet: bool = False) -> Iterator[tuple[ProgressFn, CancelToken]]:
        """A rich progress display (on stderr) and a cancel token wired to Ctrl-C.

        The first Ctrl-C sets the token, so the job stops cleanly at its next step;
        a second one interrupts at once.
        """
        token = CancelToken()
        prev = signal.getsignal(signal.SIGINT)

        def on_sigint(signum, frame):  # noqa: ANN001
            if token.cancelled:
                raise KeyboardInterrupt
            token.cancel()

        try:
            signal.signal(signal.SIGINT, on_sigint)
        except ValueError:  # not the main thread
            prev = None
        bar = RichProgress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                           MofNCompleteColumn(), TextColumn("{task.fields[msg]}"),
                           TimeElapsedColumn(), TimeRemainingColumn(),
                           console=self.err, transient=False, disable=quiet)
        tasks: dict[str, Any] = {}

        def on_progress(p: Progress) -> None:
            tid = tasks.get(p.stage)
            if tid is None:
                tid = tasks[p.stage] = bar.add_task(p.stage, total=p.total, msg="")
            msg = p.message
            if p.info:
                bits = [f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in p.info.items() if isinstance(v, (int, float, str))]
                msg = (msg + " " if msg else "") + " ".join(bits[:4])
            bar.update(tid, completed=p.done, total=p.total, msg=msg[:60])

        with bar:
            try:
                yield on_progress, token
            finally:
                if prev is not None:
                    signal.signal(signal.SIGINT, prev)
