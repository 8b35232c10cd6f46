"""Draft page: the message on the left, drafts from the chosen variants side by side.

Tokens stream into each column as they come; when a draft is done it is scored and
each sentence tinted (tooltip: score and why). Above each draft: ACC_atom, IC_atom,
RC_atom (with several samples), length and tokens/s. Each draft can be regenerated,
edited and rescored, copied, saved as .eml or opened in the mail client. An edited
draft that leaves the page that way is kept as the user's writing (``app.workflows.drafting.record_edit``).
What it leaves out: sending mail. ownvoice never sends anything; the mail client does.
"""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from app.gui.draftview import DraftColumn, problem_spans, spans_for
from app.gui.pages.draft_actions import DraftActions
from app.gui.theme import is_dark
from app.gui.widgets import Banner, JobBar, card, header, page_layout, section
from app.workflows import archive, choices, drafting
from ingest.kernel.records import Message



class DraftPage(DraftActions, QWidget):
    title = "Draft"

    def __init__(self, ws, jobs, parent=None) -> None:
        super().__init__(parent)
        self.ws, self.jobs = ws, jobs
        self.picked: Message | None = None
        self.scored: dict = {}
        self.drafts: dict[tuple[str, int], object] = {}
        self.stream: dict[tuple[str, int], str] = {}
        self.edited: dict[tuple[str, int], str] = {}  # the user's edits, rescored
        self.rc: dict[str, float | None] = {}
        self.columns: dict[str, DraftColumn] = {}
        self.message: Message | None = None
        self.job = None
        self.n = 1
        lay = page_layout(self)
        lay.addWidget(header("Draft", "Answer a message in your voice. Each sentence is tinted "
                             "by how much it sounds like you: green yes, amber partly, red no. "
                             "Hover a sentence to see its score."))
        split = QSplitter(Qt.Orientation.Horizontal)

        self._message_pane(split)

        self._drafts_pane(split)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        lay.addWidget(split, 1)

        self.archive_combo.activated.connect(self._picked)
        self.open_eml.clicked.connect(self.choose_eml)
        self.draft_button.clicked.connect(lambda: self.start_draft())
        QShortcut(QKeySequence("Ctrl+Return"), self, lambda: self.start_draft())
        for a, b in ((self.archive_combo, self.open_eml), (self.open_eml, self.sender_edit),
                     (self.sender_edit, self.subject_edit), (self.subject_edit, self.body_edit),
                     (self.body_edit, self.samples), (self.samples, self.draft_button)):
            QWidget.setTabOrder(a, b)
        self.body_edit.setTabChangesFocus(True)

    def _message_pane(self, split) -> None:
        """The message to answer (from the archive, an .eml or pasted), the variants, Draft."""
        left = card()
        ll = QVBoxLayout(left)
        ll.addWidget(section("The message to answer"))
        pick_row = QHBoxLayout()
        self.archive_combo = QComboBox()
        self.archive_combo.setPlaceholderText("Pick a message from the archive…")
        self.archive_combo.setMinimumContentsLength(18)
        self.open_eml = QPushButton("Open .&eml…")
        pick_row.addWidget(self.archive_combo, 1)
        pick_row.addWidget(self.open_eml)
        ll.addLayout(pick_row)
        form = QFormLayout()
        self.sender_edit = QLineEdit()
        self.sender_edit.setPlaceholderText("sender@example.org")
        self.subject_edit = QLineEdit()
        form.addRow("F&rom:", self.sender_edit)
        form.addRow("Su&bject:", self.subject_edit)
        ll.addLayout(form)
        self.body_edit = QPlainTextEdit()
        self.body_edit.setPlaceholderText("…or paste the message here.")
        ll.addWidget(self.body_edit, 1)
        ll.addWidget(section("Variants"))
        vrow = QHBoxLayout()
        self.variant_boxes: dict[str, QCheckBox] = {}
        for v in choices.variant_choices():
            box = QCheckBox(v.label)
            box.setToolTip(v.help)
            box.setChecked(v.default)
            self.variant_boxes[v.name] = box
            vrow.addWidget(box)
        vrow.addStretch(1)
        ll.addLayout(vrow)
        arow = QHBoxLayout()
        n_label = QLabel("Sam&ples:")
        self.samples = QSpinBox()
        self.samples.setRange(1, 5)
        self.samples.setValue(1)
        self.samples.setToolTip("Several samples per variant give RC_atom (consistency)")
        n_label.setBuddy(self.samples)
        arow.addWidget(n_label)
        arow.addWidget(self.samples)
        arow.addStretch(1)
        self.draft_button = QPushButton("&Draft replies")
        self.draft_button.setObjectName("primary")
        self.draft_button.setToolTip("Ctrl+Enter")
        arow.addWidget(self.draft_button)
        ll.addLayout(arow)
        split.addWidget(left)

    def _drafts_pane(self, split) -> None:
        """The drafts, one column per variant, under the job bar and the notes."""
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        self.job_bar = JobBar("&Cancel")
        rl.addWidget(self.job_bar)
        self.banner = Banner()
        rl.addWidget(self.banner)
        self.edit_note = QLabel("")  # whether an edited draft was kept for learning (app.workflows.drafting.record_edit)
        self.edit_note.setObjectName("hint")
        self.edit_note.setWordWrap(True)
        rl.addWidget(self.edit_note)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.columns_host = QWidget()
        self.columns_layout = QHBoxLayout(self.columns_host)
        self.columns_layout.setContentsMargins(0, 0, 0, 0)
        self.columns_layout.setSpacing(10)
        self.empty = QLabel("Drafts appear here, one column per variant, as they are written.")
        self.empty.setObjectName("hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.columns_layout.addWidget(self.empty)
        self.scroll.setWidget(self.columns_host)
        rl.addWidget(self.scroll, 1)
        split.addWidget(right)

    # -- the message -------------------------------------------------------------------------
    def refresh(self) -> None:
        job = self.jobs.start(archive.received_messages, self.ws, name="messages")
        job.signals.done.connect(self._fill_archive)
        job.signals.failed.connect(lambda *_: None)  # an empty store: paste or open instead

    def _fill_archive(self, messages: list) -> None:
        self.archive_combo.clear()
        for m in messages:
            who = m.sender_name or m.sender or "?"
            self.archive_combo.addItem(f"{who} — {m.subject or '(no subject)'}", m)
        self.archive_combo.setCurrentIndex(-1)

    def _picked(self, index: int) -> None:
        m = self.archive_combo.itemData(index)
        if m is not None:
            self.set_message(m)

    def set_message(self, m: Message) -> None:
        self.picked = m
        self.sender_edit.setText(m.sender)
        self.subject_edit.setText(m.subject)
        self.body_edit.setPlainText(m.text or m.body)

    def choose_eml(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a message", "", "Mail (*.eml);;All files (*)")
        if path:
            self.open_eml_file(path)

    def open_eml_file(self, path: str) -> None:
        try:
            self.set_message(drafting.message_from_eml(path))
        except Exception as e:  # noqa: BLE001
            from app.gui.errors import describe

            self.banner.error(*describe(e))

    def current_message(self) -> Message | None:
        body = self.body_edit.toPlainText().strip()
        if not body:
            return None
        m = self.picked
        if m is not None and (m.text or m.body).strip() == body and m.sender == self.sender_edit.text().strip() \
                and m.subject == self.subject_edit.text():
            return m
        return Message(source="pasted", item="pasted", subject=self.subject_edit.text().strip(),
                       sender=self.sender_edit.text().strip().lower(), body=body, text=body)

    # -- drafting ----------------------------------------------------------------------------
    def variants(self) -> list[str]:
        return [v for v, box in self.variant_boxes.items() if box.isChecked()]

    def start_draft(self, only: list[str] | None = None) -> None:
        if self.job is not None:
            return
        message = self.current_message()
        if message is None:
            self.banner.error("No message", "Pick a message from the archive, open an .eml or paste one.")
            return
        variants = only or self.variants()
        if not variants:
            self.banner.error("No variant chosen", "Tick at least one variant.")
            return
        self.banner.clear_message()
        self.message = message
        self.n = self.samples.value()
        if only is None:
            self._reset_columns(variants)
        for v in variants:
            for key in [k for k in self.edited if k[0] == v]:
                del self.edited[key]
        for v in variants:
            col = self.columns[v]
            col.set_samples(self.n)
            col.view.set_streaming("")
            col.set_status("drafting…")
            col.set_enabled_actions(False)
            for s in range(self.n):
                self.stream[(v, s)] = ""
        job = self.jobs.start(drafting.draft, self.ws, message, variants, self.n, name="draft",
                              stream=True)
        self.job = job
        self.job_bar.attach(job)
        self.draft_button.setEnabled(False)
        job.signals.token.connect(self.on_token)
        job.signals.restart.connect(self.on_restart)
        job.signals.done.connect(self.on_drafted)
        job.signals.failed.connect(self.banner.error)
        job.signals.cancelled.connect(lambda: self.banner.warn("Drafting cancelled."))
        job.signals.finished.connect(self._finished)

    def _reset_columns(self, variants: list[str]) -> None:
        for col in self.columns.values():
            col.setParent(None)
            col.deleteLater()
        self.columns.clear()
        self.drafts.clear()
        self.scored.clear()
        self.rc.clear()
        self.edited.clear()
        self.empty.setVisible(False)
        titles = {c.name: c.label for c in choices.variant_choices()}
        for v in variants:
            col = DraftColumn(v, titles.get(v, v))
            col.regenerate.connect(lambda var: self.start_draft(only=[var]))
            col.rescore.connect(self.rescore)
            col.copy.connect(self.copy_text)
            col.save_eml.connect(self.choose_eml_target)
            col.open_mail.connect(self.open_in_mail)
            col.sample_box.currentIndexChanged.connect(lambda _i, var=v: self.show_draft(var))
            self.columns[v] = col
            self.columns_layout.addWidget(col, 1)

    def on_token(self, variant: str, sample: int, piece: str) -> None:
        key = (variant, sample)
        self.stream[key] = self.stream.get(key, "") + piece
        col = self.columns.get(variant)
        if col is not None and col.sample == sample:
            col.view.append_piece(piece)

    def on_restart(self, variant: str, sample: int, reason: str) -> None:
        """The leak guard threw this sample's streamed text away; its replacement follows."""
        self.stream[(variant, sample)] = ""
        col = self.columns.get(variant)
        if col is not None and col.sample == sample:
            col.view.set_streaming("")
            col.set_status(reason)

    def on_drafted(self, sd) -> None:
        result = sd.result
        for d in result.drafts:
            self.drafts[(d.variant, d.sample)] = d
        self.scored.update(sd.scores)
        self.rc.update({k: v for k, v in sd.rc.items()})
        for variant, reason in (result.unavailable or {}).items():
            col = self.columns.get(variant)
            if col is not None:
                col.view.set_streaming("")
                col.set_status(f"Unavailable: {reason}")
                col.set_enabled_actions(False)
                col.buttons["regenerate"].setEnabled(True)
        warnings = list(getattr(result, "notes", ()) or ())  # a stale voice pack, a fallback to base
        if sd.scorer_note:
            warnings.append(f"Drafts are not scored: {sd.scorer_note}")
        reg = getattr(result, "register", None)
        if warnings:
            self.banner.warn(" ".join(warnings + ([reg["describe"][:1].upper() + reg["describe"][1:] + "."]
                                                  if reg else [])))
        elif reg:  # "Writing to Megan as you usually do: ..."
            self.banner.info(reg["describe"][:1].upper() + reg["describe"][1:] + ".")
        for variant in {d.variant for d in result.drafts}:
            self.show_draft(variant)

    def show_draft(self, variant: str) -> None:
        col = self.columns.get(variant)
        if col is None:
            return
        key = (variant, col.sample)
        d = self.drafts.get(key)
        if d is None:
            return
        col.set_status("")
        col.set_enabled_actions(True)
        scored = self.scored.get(key)
        text = self.text_of(key)
        spans = spans_for(text, scored) if scored is not None else []
        checks = getattr(d, "checks", None)
        problems = problem_spans(text, checks) if key not in self.edited else []
        col.view.show_scored(text, problems + spans, is_dark())  # problems first: their tooltip wins
        if checks is not None and key not in self.edited:
            why = ([sp.reason for sp in checks.spans()] + [f"not answered: {a}" for a in checks.unanswered]
                   + (["stopped mid-sentence: it ran out of tokens"] if checks.unfinished else []))
            col.set_chip("usable", None if checks.usable else "not sendable as is",
                         "\n".join(dict.fromkeys(why)) or "")
        if scored is not None:
            score = scored.score
            col.set_chip("acc", _pct("ACC", score.acc), "share of sentences that sound like you")
            col.set_chip("ic", _num("IC", score.ic), "consistency across the draft's sentences")
            n_leak = sum(1 for s in spans if s.leak)
            col.set_chip("leak", f"{n_leak} leaked" if n_leak else None,
                         "sentences copying 8+ words from mail in another thread")
        rc = self.rc.get(variant)
        col.set_chip("rc", _num("RC", rc), f"consistency over {self.n} samples")
        words = len(text.split())
        col.set_chip("length", f"{words} words")
        tps = getattr(d, "tokens_per_second", None)
        col.set_chip("tps", f"{tps:.0f} tok/s" if tps else None, "decode speed")
        notes = []
        if "link" in d.flags:
            notes.append("Contains a link you never wrote yourself: check it before sending.")
        if "regenerated" in d.flags:
            notes.append("Drafted again: the first sample copied text from mail in another thread.")
        if "redacted" in d.flags:
            notes.append("Sentences copied from mail in another thread were cut.")
        if "trimmed" in d.flags:
            notes.append("Ran out of tokens mid-sentence: it ends at its last whole sentence.")
        col.set_status(" ".join(notes))

    def text_of(self, key) -> str:
        d = self.drafts[key]
        return self.edited.get(key) or d.text

    def _finished(self) -> None:
        self.job = None
        self.draft_button.setEnabled(True)


def _pct(name: str, v) -> str | None:
    return None if v is None else f"{name} {v:.0%}"


def _num(name: str, v) -> str | None:
    return None if v is None else f"{name} {v:.2f}"
