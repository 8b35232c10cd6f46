"""The widgets that show one draft: sentences tinted by score, metric chips, actions.

``DraftView`` is a QTextEdit that tints each atom's span by its atomic score and
keeps the score and the scorer's reason as the span's tooltip; a leaked sentence
gets a red wavy underline and says so in its tooltip. ``DraftColumn`` stacks a
variant's metric chips, the view, a sample switcher and the buttons.
What it leaves out: it computes no metric; ACC/IC come from the core's DraftScore and
RC from ``trainer.score.metrics.rc_atom`` (in ``app.workflows.drafting``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QTextEdit,
                               QToolTip, QVBoxLayout, QWidget)

from app.gui.theme import HIGH_BIN, LOW_BIN, leak_colour, tint
from app.gui.widgets import chip


def utf16_offset(text: str, index: int) -> int:
    """Python str index -> QTextDocument position (Qt counts UTF-16 code units).

    >>> utf16_offset("a😀b", 2)
    3
    """
    return len(text[:index].encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Span:
    """One tinted stretch of a draft: document positions, score, tooltip, leak."""

    start: int
    end: int
    score: float | None
    tip: str
    leak: bool = False
    problem: bool = False  # a reply check flagged it (role, prompt residue, invented)


def spans_for(text: str, scored: Any) -> list[Span]:
    """Spans (in Qt positions) for each atom of ``scored`` (an ``app.workflows.drafting.Scored``) over ``text``."""
    out = []
    leaked = set(scored.leaked)
    for a in scored.score.scores:
        atom = a.atom
        start, end = atom.start, atom.end
        if text[start:end] != atom.text:  # offsets into another text: find the sentence
            found = text.find(atom.text)
            if found < 0:
                continue
            start, end = found, found + len(atom.text)
        leak = atom in leaked
        if a.score is None:
            tip = "No valid score for this sentence."
        else:
            band = "sounds like you" if a.score >= HIGH_BIN else (
                "partly like you" if a.score >= LOW_BIN else "does not sound like you")
            tip = f"Score {a.score:.2f} / 5 ({band})"
            if a.p is not None:
                tip += f", p = {a.p:.2f}"
        if a.reason:
            tip += f"\nWhy: {a.reason}"
        if leak:
            tip = "LEAK: this sentence copies 8+ words from mail in another thread.\n" + tip
        out.append(Span(utf16_offset(text, start), utf16_offset(text, end), a.score, tip, leak))
    return out


def problem_spans(text: str, checks: Any) -> list[Span]:
    """Spans for what the reply checks flagged (``trainer.draft.replycheck.ReplyChecks``), each
    with its reason as the tooltip; offsets are checked against ``text`` (an edited draft
    keeps only the spans still found where they were)."""
    out = []
    for sp in (checks.spans() if checks is not None else ()):
        if text[sp.start:sp.end] != sp.text:
            continue
        out.append(Span(utf16_offset(text, sp.start), utf16_offset(text, sp.end), None,
                        f"NOT SENDABLE AS IS: {sp.reason}.", problem=True))
    return out


class DraftView(QTextEdit):
    """A draft's text with tinted sentences; editable (edits clear the tints)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.spans: list[Span] = []
        self.setMinimumWidth(260)
        self.setFont(QFont(self.font().family(), self.font().pointSize() + 1))

    def set_streaming(self, text: str) -> None:
        self.spans = []
        self.setPlainText(text)
        self.moveCursor(QTextCursor.MoveOperation.End)

    def append_piece(self, piece: str) -> None:
        cur = QTextCursor(self.document())
        cur.movePosition(QTextCursor.MoveOperation.End)
        cur.insertText(piece)

    def show_scored(self, text: str, spans: list[Span], dark: bool) -> None:
        self.blockSignals(True)
        self.setPlainText(text)
        self.spans = spans
        for s in spans:
            cur = QTextCursor(self.document())
            cur.setPosition(s.start)
            cur.setPosition(s.end, QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            if s.score is not None:
                fmt.setBackground(tint(s.score, dark))
            if s.leak or s.problem:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                fmt.setUnderlineColor(leak_colour(dark))
                fmt.setFontWeight(QFont.Weight.DemiBold)
            fmt.setToolTip(s.tip)
            cur.mergeCharFormat(fmt)
        self.blockSignals(False)

    def tooltip_at(self, position: int) -> str:
        for s in self.spans:
            if s.start <= position < s.end:
                return s.tip
        return ""

    def event(self, e) -> bool:
        if e.type() == QEvent.Type.ToolTip:
            pos = self.viewport().mapFromGlobal(e.globalPos())
            tip = self.tooltip_at(self.cursorForPosition(pos).position())
            if tip:
                QToolTip.showText(e.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)


class DraftColumn(QFrame):
    """One variant: chips, the (tinted) draft, sample switcher and actions."""

    regenerate = Signal(str)
    rescore = Signal(str)
    save_eml = Signal(str)
    open_mail = Signal(str)
    copy = Signal(str)

    def __init__(self, variant: str, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("draftColumn")
        self.variant = variant
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 10, 10)
        top = QHBoxLayout()
        heading = QLabel(title or variant)
        heading.setObjectName("section")
        heading.setToolTip(f"variant: {variant}")
        top.addWidget(heading)
        top.addStretch(1)
        self.sample_box = QComboBox()
        self.sample_box.setToolTip("Switch between samples of this variant")
        self.sample_box.setVisible(False)
        top.addWidget(self.sample_box)
        lay.addLayout(top)
        self.chips: dict[str, QLabel] = {}
        for keys in (("usable", "acc", "ic", "rc"), ("length", "tps", "leak")):  # two rows: columns stay narrow
            row = QHBoxLayout()
            row.setSpacing(4)
            for key in keys:
                c = chip("", warn=(key in ("leak", "usable")))
                c.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
                c.setVisible(False)
                self.chips[key] = c
                row.addWidget(c)
            row.addStretch(1)
            lay.addLayout(row)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        lay.addWidget(self.status)
        self.view = DraftView()
        lay.addWidget(self.view, 1)
        buttons = QGridLayout()
        buttons.setHorizontalSpacing(4)
        buttons.setVerticalSpacing(4)
        self.buttons: dict[str, QPushButton] = {}
        for key, label, tip, sig in (
                ("regenerate", "Regenerate", "Draft this variant again", self.regenerate),
                ("rescore", "Rescore", "Score your edited text", self.rescore),
                ("copy", "Copy", "Copy the draft text", self.copy),
                ("save", "Save .eml…", "Save as a reply .eml", self.save_eml),
                ("mail", "Open in mail", "Open a reply in your mail client", self.open_mail)):
            b = QPushButton(label)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, s=sig: s.emit(self.variant))
            self.buttons[key] = b
            i = len(self.buttons) - 1
            buttons.addWidget(b, i // 3, i % 3)
        lay.addLayout(buttons)

    def set_chip(self, key: str, text: str | None, tip: str = "") -> None:
        c = self.chips[key]
        c.setText(text or "")
        c.setToolTip(tip)
        c.setVisible(bool(text))

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def set_samples(self, n: int) -> None:
        self.sample_box.blockSignals(True)
        self.sample_box.clear()
        for i in range(n):
            self.sample_box.addItem(f"sample {i + 1}", i)
        self.sample_box.setVisible(n > 1)
        self.sample_box.blockSignals(False)

    @property
    def sample(self) -> int:
        return int(self.sample_box.currentData() or 0)

    def set_enabled_actions(self, enabled: bool) -> None:
        for b in self.buttons.values():
            b.setEnabled(enabled)
