"""Small building blocks every page uses: header, job bar, message banner, confirm.

``JobBar`` shows a running job: stage, a progress bar, live numbers and a Cancel
button wired to the job's CancelToken. ``Banner`` shows the outcome of the last job
inline (an error stays until dismissed), so no modal box blocks the keyboard path.
What it leaves out: no notification history; the status bar shows the last line.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QMessageBox, QProgressBar,
                               QPushButton, QVBoxLayout, QWidget)

from ingest.kernel.jobs import Progress


def header(title: str, subtitle: str) -> QWidget:
    w = QWidget()
    lay = QVBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 4)
    lay.setSpacing(2)
    t = QLabel(title)
    t.setObjectName("title")
    s = QLabel(subtitle)
    s.setObjectName("subtitle")
    s.setWordWrap(True)
    lay.addWidget(t)
    lay.addWidget(s)
    return w


def section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("section")
    return label


def chip(text: str = "", warn: bool = False) -> QLabel:
    label = QLabel(text)
    label.setObjectName("chipWarn" if warn else "chip")
    return label


def card() -> QFrame:
    f = QFrame()
    f.setObjectName("card")
    return f


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask yes/no; tests replace this function."""
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                  QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def describe_progress(p: Progress) -> str:
    """One line for a progress event: stage, counts, message, the numbers in ``info``."""
    bits = [p.stage]
    if p.total:
        bits.append(f"{p.done}/{p.total}")
    elif p.done:
        bits.append(str(p.done))
    if p.message:
        bits.append(p.message)
    for k, v in list(p.info.items())[:4]:
        if isinstance(v, float):
            bits.append(f"{k.replace('_', ' ')} {v:.3g}")
        elif isinstance(v, (int, str)):
            bits.append(f"{k.replace('_', ' ')} {v}")
    return " · ".join(bits)


class JobBar(QWidget):
    """Progress of the current job with a Cancel button; hidden when idle."""

    cancel_requested = Signal()

    def __init__(self, cancel_text: str = "&Cancel", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.label.setObjectName("hint")
        self.label.setMinimumWidth(240)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton(cancel_text)
        self.cancel_button.setObjectName("danger")
        self.cancel_button.clicked.connect(self._cancel)
        lay.addWidget(self.bar, 2)
        lay.addWidget(self.label, 3)
        lay.addWidget(self.cancel_button)
        self.job = None
        self.setVisible(False)

    def attach(self, job) -> None:
        self.job = job
        self.bar.setRange(0, 0)
        self.label.setText("starting…")
        self.cancel_button.setEnabled(True)
        self.setVisible(True)
        job.signals.progress.connect(self.on_progress)
        job.signals.finished.connect(self._finished)

    def on_progress(self, p: Progress) -> None:
        if p.total:
            self.bar.setRange(0, int(p.total))
            self.bar.setValue(min(int(p.done), int(p.total)))
        else:
            self.bar.setRange(0, 0)
        self.label.setText(describe_progress(p))

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("cancelling at the next step…")
        self.cancel_requested.emit()

    def _finished(self) -> None:
        self.job = None
        self.setVisible(False)


class Banner(QLabel):
    """An inline message: ``error`` (stays until the next job) or ``info``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)
        self.kind = ""

    def error(self, title: str, text: str) -> None:
        self.kind = "error"
        self.setObjectName("error")
        self._show(f"<b>{_esc(title)}.</b> {_esc(text)}".replace("\n", "<br>"))

    def info(self, text: str) -> None:
        self.kind = "info"
        self.setObjectName("chip")
        self._show(_esc(text))

    def warn(self, text: str) -> None:
        self.kind = "warning"
        self.setObjectName("warning")
        self._show(_esc(text))

    def clear_message(self) -> None:
        self.kind = ""
        self.setVisible(False)

    def _show(self, html: str) -> None:
        self.setText(html)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setVisible(True)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def page_layout(page: QWidget) -> QVBoxLayout:
    page.setObjectName("page")
    lay = QVBoxLayout(page)
    lay.setContentsMargins(22, 18, 22, 14)
    lay.setSpacing(10)
    return lay
