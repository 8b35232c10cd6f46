"""Evaluate page: the held-out evaluation with a progress bar, its table and its chart.

The evaluation drafts replies to held-out messages you really answered and compares
each variant: atomic fidelity (ACC/IC/RC), content, length ratio and leak.
What it leaves out: it computes nothing; rows come from ``trainer.evaluate``'s
EvalReport. The chart is drawn from those rows with pyqtgraph.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSpinBox, QSplitter, QTableView, QVBoxLayout, QWidget)
from PySide6.QtCore import Qt

from app.gui import tasks
from app.gui.models import EVAL_COLUMNS, RecordTable
from app.gui.pages.draft import DEFAULT_VARIANTS, VARIANTS
from app.gui.widgets import Banner, JobBar, card, header, page_layout, section

METRICS = (("acc", "ACC", "#4f9a84"), ("ic", "IC", "#6b8fd6"), ("rc", "RC", "#b07cc6"),
           ("content", "content", "#d99a1e"), ("leak", "leak", "#cc3b3b"))


class EvaluatePage(QWidget):
    title = "Evaluate"

    def __init__(self, session, jobs, parent=None) -> None:
        super().__init__(parent)
        self.session, self.jobs = session, jobs
        self.job = None
        self.report = None
        lay = page_layout(self)
        lay.addWidget(header("Evaluate", "Hold out messages you really answered, draft replies to "
                             "them with each variant, and compare: how much each draft sounds like "
                             "you, whether it answers, and whether it leaks other people's mail."))
        row = QHBoxLayout()
        self.variant_boxes: dict[str, QCheckBox] = {}
        for name, label, tip in VARIANTS:
            box = QCheckBox(label)
            box.setToolTip(tip)
            box.setChecked(name in DEFAULT_VARIANTS or name == "base")
            self.variant_boxes[name] = box
            row.addWidget(box)
        row.addSpacing(12)
        h_label = QLabel("&Held out:")
        self.holdout = QDoubleSpinBox()
        self.holdout.setRange(0.05, 0.5)
        self.holdout.setSingleStep(0.05)
        self.holdout.setValue(0.2)
        h_label.setBuddy(self.holdout)
        n_label = QLabel("Sam&ples:")
        self.n = QSpinBox()
        self.n.setRange(1, 5)
        self.n.setValue(2)
        n_label.setBuddy(self.n)
        l_label = QLabel("&Messages:")
        self.limit = QSpinBox()
        self.limit.setRange(1, 1000)
        self.limit.setValue(20)
        l_label.setBuddy(self.limit)
        for w in (h_label, self.holdout, n_label, self.n, l_label, self.limit):
            row.addWidget(w)
        row.addStretch(1)
        self.run_button = QPushButton("&Run evaluation")
        self.run_button.setObjectName("primary")
        row.addWidget(self.run_button)
        lay.addLayout(row)
        self.job_bar = JobBar("&Cancel")
        lay.addWidget(self.job_bar)
        self.banner = Banner()
        lay.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Vertical)
        tcard = card()
        tl = QVBoxLayout(tcard)
        tl.addWidget(section("Results per variant"))
        self.table = RecordTable(EVAL_COLUMNS)
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
        self.plot = pg.PlotWidget()
        self.plot.setYRange(0, 1)
        self.plot.showGrid(y=True, alpha=0.2)
        self.plot.addLegend(offset=(-10, 10))
        cl.addWidget(self.plot)
        split.addWidget(ccard)
        lay.addWidget(split, 1)
        self.run_button.clicked.connect(self.start)

    def refresh(self) -> None:
        """Show the last report kept in the pack, if the core left one (eval/report.json)."""

    def start(self) -> None:
        variants = [v for v, b in self.variant_boxes.items() if b.isChecked()]
        if not variants:
            self.banner.error("No variant chosen", "Tick at least one variant to evaluate.")
            return
        self.banner.clear_message()
        job = self.jobs.start(tasks.evaluate, self.session, self.holdout.value(), variants,
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

    def show_report(self, report) -> None:
        self.report = report
        rows = list(getattr(report, "rows", report) or [])
        self.table.set_rows(rows)
        self.draw(rows)

    def draw(self, rows: list) -> None:
        self.plot.clear()
        if not rows:
            return
        width = 0.8 / len(METRICS)
        for j, (attr, label, colour) in enumerate(METRICS):
            xs, hs = [], []
            for i, r in enumerate(rows):
                v = getattr(r, attr, None)
                if v is not None:
                    xs.append(i - 0.4 + width * (j + 0.5))
                    hs.append(float(v))
            if xs:
                self.plot.addItem(pg.BarGraphItem(x=xs, height=hs, width=width * 0.9, brush=colour,
                                                  pen=pg.mkPen(None), name=label))
                self.plot.plot([], [], pen=None, symbol="s", symbolBrush=colour, name=label)
        ax = self.plot.getAxis("bottom")
        ax.setTicks([[(i, r.variant) for i, r in enumerate(rows)]])
