"""Voice page: choose routes and the student, learn, watch LoRA's loss, read the voice card.

The voice card shows the pack: the style prompt (editable, saved atomically through
the pack), the stylometric traits, the scorer's held-out AUC/ECE and the adapter's
held-out loss against the base model's.
What it leaves out: it does not explain individual PLD rules; the style prompt is
their merged result.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QPlainTextEdit, QPushButton, QSpinBox,
                               QTableView, QVBoxLayout, QWidget)

from app.gui.models import TRAIT_COLUMNS, RecordTable, profile_rows
from app.gui.widgets import Banner, JobBar, card, header, page_layout, section
from app.workflows import choices, voice



class VoicePage(QWidget):
    title = "Voice"

    def __init__(self, ws, jobs, parent=None) -> None:
        super().__init__(parent)
        self.ws, self.jobs = ws, jobs
        self.learn_job = None
        self.last_routes: list[str] = []
        self.extra_options: dict = {}  # passed through to the routes (LearnContext.options)
        lay = page_layout(self)
        lay.addWidget(header("Voice", "Learn how you write. Retrieval and the style prompt take "
                             "minutes; a LoRA adapter takes longer and can be cancelled and resumed."))

        self._controls(lay)

        self.job_bar = JobBar("&Cancel")
        lay.addWidget(self.job_bar)
        self.banner = Banner()
        lay.addWidget(self.banner)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        self._prompt_card(grid)
        self._numbers_card(grid)
        self._plot_card(grid)
        self._traits_card(grid)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)
        lay.addLayout(grid, 1)

        self.steps: list[float] = []
        self.losses: list[float] = []
        self.heldout_steps: list[float] = []
        self.heldout: list[float] = []

        self.learn_button.clicked.connect(lambda: self.start_learn(resume=False))
        self.resume_button.clicked.connect(lambda: self.start_learn(resume=True))
        self.save_prompt.clicked.connect(self.save_style_prompt)
        self.prompt_edit.textChanged.connect(lambda: self.save_prompt.setEnabled(True))
        self.browse_model.clicked.connect(self.choose_gguf)
        QShortcut(QKeySequence.StandardKey.Save, self.prompt_edit, self.save_style_prompt)
        self._fill_models([])

    def _controls(self, lay) -> None:
        """The routes to learn, the student model, LoRA steps, Learn and Resume."""
        controls = QHBoxLayout()
        self.route_boxes: dict[str, QCheckBox] = {}
        for route in choices.route_choices():
            box = QCheckBox(route.label)
            box.setToolTip(route.help)
            box.setChecked(route.default)
            self.route_boxes[route.name] = box
            controls.addWidget(box)
        controls.addSpacing(16)
        model_label = QLabel("Student &model:")
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(220)
        model_label.setBuddy(self.model_combo)
        self.browse_model = QPushButton("GGUF…")
        self.browse_model.setToolTip("Use a GGUF model file you have")
        controls.addWidget(model_label)
        controls.addWidget(self.model_combo)
        controls.addWidget(self.browse_model)
        controls.addSpacing(16)
        steps_label = QLabel("LoRA s&teps:")
        self.max_steps = QSpinBox()
        self.max_steps.setRange(0, 100000)
        self.max_steps.setSpecialValueText("auto")
        steps_label.setBuddy(self.max_steps)
        controls.addWidget(steps_label)
        controls.addWidget(self.max_steps)
        controls.addStretch(1)
        self.learn_button = QPushButton("&Learn")
        self.learn_button.setObjectName("primary")
        self.resume_button = QPushButton("Res&ume")
        self.resume_button.setEnabled(False)
        self.resume_button.setToolTip("Continue the last cancelled run from its checkpoint")
        controls.addWidget(self.resume_button)
        controls.addWidget(self.learn_button)
        lay.addLayout(controls)

    def _prompt_card(self, grid) -> None:
        """The style prompt, editable."""
        # style prompt card
        prompt_card = card()
        pl = QVBoxLayout(prompt_card)
        prow = QHBoxLayout()
        prow.addWidget(section("Style prompt"))
        prow.addStretch(1)
        self.save_prompt = QPushButton("Sa&ve prompt")
        self.save_prompt.setEnabled(False)
        prow.addWidget(self.save_prompt)
        pl.addLayout(prow)
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setPlaceholderText("Learn with the style prompt route to get one; you can "
                                            "edit it here afterwards.")
        pl.addWidget(self.prompt_edit)
        grid.addWidget(prompt_card, 0, 0, 2, 1)

    def _numbers_card(self, grid) -> None:
        """How well it learned: the scorer, the adapter, the routes."""
        # numbers card
        nums = card()
        nl = QVBoxLayout(nums)
        nl.addWidget(section("How well it learned"))
        self.auc_label = QLabel("Scorer: not learned yet")
        self.auc_label.setWordWrap(True)
        self.lora_label = QLabel("Adapter: not trained")
        self.lora_label.setWordWrap(True)
        self.routes_label = QLabel("")
        self.routes_label.setObjectName("hint")
        self.routes_label.setWordWrap(True)
        nl.addWidget(self.auc_label)
        nl.addWidget(self.lora_label)
        nl.addWidget(self.routes_label)
        nl.addStretch(1)
        grid.addWidget(nums, 0, 1)

    def _plot_card(self, grid) -> None:
        """The LoRA training loss (train and held-out)."""
        # loss curve
        plot_card = card()
        ll = QVBoxLayout(plot_card)
        ll.addWidget(section("LoRA training loss"))
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(160)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.plot.addLegend(offset=(-10, 10))
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.loss_curve = self.plot.plot([], [], name="train", pen=pg.mkPen("#4f9a84", width=2))
        self.heldout_curve = self.plot.plot([], [], name="held-out", pen=pg.mkPen("#d99a1e", width=2),
                                            symbol="o", symbolSize=5, symbolBrush="#d99a1e")
        ll.addWidget(self.plot)
        grid.addWidget(plot_card, 1, 1)

    def _traits_card(self, grid) -> None:
        """The profile's measured traits of the user's writing."""
        traits_card = card()
        tl = QVBoxLayout(traits_card)
        tl.addWidget(section("Your writing, measured"))
        self.traits = RecordTable(TRAIT_COLUMNS)
        self.traits_view = QTableView()
        self.traits_view.setModel(self.traits)
        self.traits_view.verticalHeader().setVisible(False)
        self.traits_view.horizontalHeader().setStretchLastSection(True)
        self.traits_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.traits_view.setWordWrap(True)
        self.traits_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.traits_view.setAlternatingRowColors(True)
        tl.addWidget(self.traits_view)
        grid.addWidget(traits_card, 0, 2, 2, 1)

    # -- models ------------------------------------------------------------------------------
    def _fill_models(self, models: list) -> None:
        current = self.ws.config.model
        self.model_combo.clear()
        names = []
        for m in models:
            label = f"{m.name} ({getattr(m, 'arch', '') or getattr(m, 'kind', '')})".replace(" ()", "")
            self.model_combo.addItem(label, m.name)
            names.append(m.name)
        for name in ("smollm2", "gemma3"):
            if name not in names:
                self.model_combo.addItem(name, name)
                names.append(name)
        if current and current not in names:
            self.model_combo.addItem(current, current)
        idx = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(0, idx))

    def choose_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "", "GGUF models (*.gguf)")
        if path:
            self.model_combo.addItem(path, path)
            self.model_combo.setCurrentIndex(self.model_combo.count() - 1)

    def refresh(self) -> None:
        job = self.jobs.start(voice.list_models, name="list models")
        job.signals.done.connect(self._fill_models)
        job.signals.failed.connect(lambda *_: None)  # the built-in names stay listed
        self.load_card()

    # -- learning ----------------------------------------------------------------------------
    def routes(self) -> list[str]:
        return [name for name, box in self.route_boxes.items() if box.isChecked()]

    def start_learn(self, resume: bool = False) -> None:
        routes = self.last_routes if resume and self.last_routes else self.routes()
        if not routes:
            self.banner.error("No route chosen", "Tick at least one of Retrieval, Style prompt or LoRA.")
            return
        model = self.model_combo.currentData() or self.ws.config.model
        if model != self.ws.config.model:
            self.ws.update_config(self.ws.config.with_(model=model))
        options = {**self.extra_options, "resume": resume}
        if self.max_steps.value():
            options["max_steps"] = self.max_steps.value()
        if not resume and "lora" in routes:
            self._clear_curve()
        self.last_routes = routes
        self.banner.clear_message()
        job = self.jobs.start(voice.learn, self.ws, routes, options, name="learn")
        self.learn_job = job
        self.job_bar.attach(job)
        self._busy(True)
        job.signals.progress.connect(self.on_progress)
        job.signals.done.connect(self._learned)
        job.signals.failed.connect(self.banner.error)
        job.signals.cancelled.connect(self._cancelled)
        job.signals.finished.connect(self._finished)

    def cancel_learn(self) -> None:
        if self.learn_job is not None:
            self.learn_job.cancel()

    def on_progress(self, p) -> None:
        if p.stage != "train" or not p.info:
            return
        if "loss" in p.info and p.info["loss"] is not None:
            self.steps.append(float(p.done))
            self.losses.append(float(p.info["loss"]))
            self.loss_curve.setData(self.steps, self.losses)
        if p.info.get("heldout_loss") is not None:
            if not self.heldout_steps or self.heldout_steps[-1] != p.done:
                self.heldout_steps.append(float(p.done))
                self.heldout.append(float(p.info["heldout_loss"]))
                self.heldout_curve.setData(self.heldout_steps, self.heldout)

    def show_curve(self, curve) -> None:
        """Draw a finished run's records (the adapter's losses.json), replacing the live curve."""
        def points(key: str) -> list[tuple[float, float]]:
            out = []
            for r in curve:
                try:
                    out.append((float(r["step"]), float(r[key])))
                except (KeyError, TypeError, ValueError):
                    continue  # a record without this figure (or a damaged one) is not drawn
            return out

        pts, held = points("loss"), points("heldout_loss")
        self.steps, self.losses = [s for s, _ in pts], [v for _, v in pts]
        self.heldout_steps, self.heldout = [s for s, _ in held], [v for _, v in held]
        self.loss_curve.setData(self.steps, self.losses)
        self.heldout_curve.setData(self.heldout_steps, self.heldout)

    def _clear_curve(self) -> None:
        self.steps, self.losses, self.heldout_steps, self.heldout = [], [], [], []
        self.loss_curve.setData([], [])
        self.heldout_curve.setData([], [])

    def _learned(self, result: dict) -> None:
        self.resume_button.setEnabled(False)
        ready = result.get("ready_s") or {}
        done = [f"{k} ({_ago(ready[k])})" if k in ready else k for k in result
                if k not in ("voicepack", "edits", "ready_s")]
        self.banner.info(f"Learned: {', '.join(done)}. The voice card below is up to date.")
        self.load_card()

    def _cancelled(self) -> None:
        self.resume_button.setEnabled(True)
        self.banner.warn("Learning cancelled. Finished routes are kept; Resume continues the "
                         "rest from the last checkpoint.")
        self.load_card()

    def _finished(self) -> None:
        self.learn_job = None
        self._busy(False)

    def _busy(self, busy: bool) -> None:
        self.learn_button.setEnabled(not busy)
        self.resume_button.setEnabled(not busy and self.resume_button.isEnabled())
        for box in self.route_boxes.values():
            box.setEnabled(not busy)

    # -- voice card --------------------------------------------------------------------------
    def load_card(self) -> None:
        try:
            vc = voice.read_voice_card(self.ws)
        except Exception as e:  # noqa: BLE001 - a damaged pack is shown, not raised
            from app.gui.errors import describe

            self.banner.error(*describe(e))
            return
        self.prompt_edit.blockSignals(True)
        self.prompt_edit.setPlainText(vc.style_prompt)
        self.prompt_edit.blockSignals(False)
        self.save_prompt.setEnabled(False)
        self.traits.set_rows(profile_rows(vc.profile))
        self.traits_view.resizeRowsToContents()
        scorer = vc.routes.get("scorer") or {}
        if scorer.get("auc") is not None:
            auc = float(scorer["auc"])
            verdict = ("tells you from others well" if auc >= 0.8 else
                       "tells you from others only roughly" if auc >= 0.65 else
                       "cannot tell you from others: fidelity figures are not trustworthy")
            ece, msg = scorer.get("ece"), scorer.get("auc_message")
            judge = scorer.get("judge") or {}
            self.auc_label.setText(f"<b>Scorer AUC {auc:.2f}</b>"
                                   + (f" · messages {float(msg):.2f}" if msg is not None else "")
                                   + (f" · ECE {float(ece):.3f}" if ece is not None else "")
                                   + (f" · judge AUC {float(judge['auc']):.2f}" if judge.get("auc") is not None
                                      else "")
                                   + f"<br><span>{verdict}</span>")
        else:
            self.auc_label.setText("Scorer: not learned yet")
        lora = vc.routes.get("lora") or {}
        lora = {**lora, **(lora.get("metrics") or {})}  # trainer.learn.lora records its figures under "metrics"
        if lora.get("heldout_loss") is not None:
            base = lora.get("base_heldout_loss")
            text = f"<b>Adapter held-out loss {float(lora['heldout_loss']):.3f}</b>"
            if base is not None:
                gain = float(base) - float(lora["heldout_loss"])
                text += f" vs base {float(base):.3f} ({'better' if gain > 0 else 'no better'} by {abs(gain):.3f})"
            self.lora_label.setText(text)
        else:
            self.lora_label.setText("Adapter: not trained")
        if self.learn_job is None and vc.loss_curve:
            self.show_curve(vc.loss_curve)
        learned = [r for r in vc.routes if r != "scorer"]
        text = (("Learned routes: " + ", ".join(learned)) if learned
                else "Nothing learned yet: tick routes and press Learn.")
        if (vc.edits or {}).get("saved"):
            text += "\n" + voice.describe_edits(vc.edits)
        self.routes_label.setText(text)

    def save_style_prompt(self) -> None:
        try:
            voice.save_style_prompt(self.ws, self.prompt_edit.toPlainText())
        except Exception as e:  # noqa: BLE001
            from app.gui.errors import describe

            self.banner.error(*describe(e))
            return
        self.save_prompt.setEnabled(False)
        self.banner.info("Style prompt saved; new drafts use it.")


def _ago(seconds: float) -> str:
    """When a route was ready, from the start of the learn: "4 s", "3.2 min"."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
