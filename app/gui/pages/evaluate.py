"""Evaluate page: the held-out evaluation with a progress bar, its table and its chart.

The evaluation drafts replies to held-out messages you really answered and compares
each variant with your real replies (the "real" row is the ceiling): atomic fidelity
(ACC/IC/RC), content, length ratio and leak.
What it leaves out: it computes and draws nothing itself; rows come from
``app.workflows.evaluation`` (the harness's rows) and the chart is the report.png the
harness's report renders.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSizePolicy, QSpinBox, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from app.gui.models import RecordTable, eval_columns
from app.gui.widgets import Banner, JobBar, card, header, page_layout, section
from app.workflows import choices, evaluation


class ChartLabel(QLabel):
    """A picture that scales to its box, keeping its aspect ratio."""

    def __init__(self) -> None:
        super().__init__()
        self.source = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumHeight(160)

    def set_file(self, path) -> bool:
        self.source = QPixmap(str(path)) if path else QPixmap()
        self._rescale()
        return not self.source.isNull()

    def resizeEvent(self, e) -> None:
        self._rescale()
        super().resizeEvent(e)

    def _rescale(self) -> None:
        if self.source.isNull():
            return  # keep the placeholder text
        self.setPixmap(self.source.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))


class EvaluatePage(QWidget):
    title = "Evaluate"

    def __init__(self, ws, jobs, parent=None) -> None:
        super().__init__(parent)
        self.ws, self.jobs = ws, jobs
        self.job = None
        self.view_data = None
        lay = page_layout(self)
        lay.addWidget(header("Evaluate", "Hold out messages you really answered, draft replies to "
                             "them with each variant, and compare with what you wrote: how much "
                             "each sounds like you, whether it answers, whether it leaks."))
        self._run_row(lay)
        self.job_bar = JobBar("&Cancel")
        lay.addWidget(self.job_bar)
        self.banner = Banner()
        lay.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Vertical)
        tcard = card()
        tl = QVBoxLayout(tcard)
        tl.addWidget(section("Results per variant"))
        self.summary = QLabel("No evaluation yet.")
        self.summary.setObjectName("hint")
        tl.addWidget(self.summary)
        self.table = RecordTable(eval_columns())
        self.view = QTableView()
        self.view.setModel(self.table)
        self.view.verticalHeader().setVisible(False)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        tl.addWidget(self.view)
        split.addWidget(tcard)
        ccard = card()
        cl = QVBoxLayout(ccard)
        cl.addWidget(section("Chart"))
        self.chart = ChartLabel()
        self.chart.setText("The chart appears after an evaluation.")
        cl.addWidget(self.chart, 1)
        split.addWidget(ccard)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        lay.addWidget(split, 1)
        self.run_button.clicked.connect(self.start)

    def _run_row(self, lay) -> None:
        """The variants, held-out share, samples, messages and Run."""
        row = QHBoxLayout()
        self.variant_boxes: dict[str, QCheckBox] = {}
        for v in choices.variant_choices():
            box = QCheckBox(v.label)
            box.setToolTip(v.help)
            box.setChecked(v.default or v.name == "base")
            self.variant_boxes[v.name] = box
            row.addWidget(box)
        row.addSpacing(12)
        h_label = QLabel("&Held out:")
        self.holdout = QDoubleSpinBox()
        self.holdout.setRange(0.05, 0.5)
        self.holdout.setSingleStep(0.05)
        self.holdout.setValue(0.1)
        self.holdout.setToolTip("the newest share of your replies, kept out of learning")
        h_label.setBuddy(self.holdout)
        n_label = QLabel("Sam&ples:")
        self.n = QSpinBox()
        self.n.setRange(1, 5)
        self.n.setValue(2)
        n_label.setBuddy(self.n)
        l_label = QLabel("&Messages:")
        self.limit = QSpinBox()
        self.limit.setRange(1, 1000)
        self.limit.setValue(10)
        l_label.setBuddy(self.limit)
        for w in (h_label, self.holdout, n_label, self.n, l_label, self.limit):
            row.addWidget(w)
        row.addStretch(1)
        self.run_button = QPushButton("&Run evaluation")
        self.run_button.setObjectName("primary")
        row.addWidget(self.run_button)
        lay.addLayout(row)

    def refresh(self) -> None:
        try:
            last = evaluation.last_evaluation(self.ws)
        except Exception as e:  # noqa: BLE001 - a damaged report is shown, not raised
            from app.gui.errors import describe

            self.banner.error(*describe(e))
            return
        if last is not None:
            self.show_report(last)

    def start(self) -> None:
        variants = [v for v, b in self.variant_boxes.items() if b.isChecked()]
        if not variants:
            self.banner.error("No variant chosen", "Tick at least one variant to evaluate.")
            return
        self.banner.clear_message()
        job = self.jobs.start(evaluation.evaluate, self.ws, self.holdout.value(), variants,
                              self.n.value(), self.limit.value(), name="evaluate")
        self.job = job
        self.job_bar.attach(job)
        self.run_button.setEnabled(False)
        job.signals.done.connect(self.show_report)
        job.signals.failed.connect(self.banner.error)
        job.signals.cancelled.connect(lambda: self.banner.warn("Evaluation cancelled."))
        job.signals.finished.connect(self._finished)

    def _finished(self) -> None:
        self.job = None
        self.run_button.setEnabled(True)

    def show_report(self, ev) -> None:
        self.view_data = ev
        self.table.set_rows(list(ev.rows))
        text = f"{ev.heldout} held-out message(s), {ev.n} sample(s) per variant."
        if ev.unavailable:
            text += " Not run: " + "; ".join(f"{k} ({v})" for k, v in ev.unavailable.items())
        self.summary.setText(text)
        if ev.folder is not None and not self.chart.set_file(ev.folder / "report.png"):
            self.chart.setText("No chart in the report.")
