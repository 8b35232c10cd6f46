"""How a scored draft is shown: tints by bin, leak marked plainly, RC with several samples.

These use the core's real records (Atom, AtomScore, DraftScore via ``draft_score``, Draft)
with chosen scores, so each bin and the leak mark are checked without running a model;
test_draft.py runs the same display over real drafts and the real scorer.
"""

from __future__ import annotations

from PySide6.QtGui import QTextCharFormat

from app.gui.draftview import spans_for, utf16_offset
from app.workflows.drafting import Scored, ScoredDrafts
from app.gui.theme import HIGH_BIN
from ingest.kernel.records import Message
from trainer.draft.drafting import Draft, DraftResult
from trainer.score.atoms import AtomScore, split_atoms
from trainer.score.metrics import rc_atom
from trainer.score.scorer import draft_score

TEXT = "Hiya Sam,\n\nRight then — the barn's open Thursday 😀. Pick it up whenever suits.\n\ncheers, W."


def _scored(text: str, scores: list[float], leaked: int | None = None) -> Scored:
    atoms = split_atoms(text)
    assert len(atoms) == len(scores)
    ds = draft_score(text, atoms, [AtomScore(a, s, (s - 1) / 4) for a, s in zip(atoms, scores)], 50)
    return Scored(ds, (atoms[leaked],) if leaked is not None else ())


def test_spans_follow_atoms_in_qt_positions():
    sc = _scored(TEXT, [4.8, 2.0, 3.0, 4.5])
    spans = spans_for(TEXT, sc)
    assert [round(s.score, 1) for s in spans] == [4.8, 2.0, 3.0, 4.5]
    # the emoji counts as two UTF-16 units in Qt, so later spans shift by one
    third = sc.score.atoms[2]
    assert spans[2].start == utf16_offset(TEXT, third.start) == third.start + 1
    assert spans[0].tip.startswith("Score 4.80 / 5 (sounds like you)")
    assert "does not sound like you" in spans[1].tip


def test_page_tints_each_bin_marks_leaks_and_shows_rc(make_window, tmp_path):
    w = make_window(tmp_path / "data")
    page = w.pages["draft"]
    page.body_edit.setPlainText("Can I collect the order on Thursday?")
    page.message = page.current_message()
    page.n = 2
    page._reset_columns(["rag"])
    page.columns["rag"].set_samples(2)
    drafts = [Draft("rag", i, TEXT, 30, 0.5, 60.0, 100) for i in range(2)]
    s0 = _scored(TEXT, [4.8, 2.0, 3.0, 4.5], leaked=2)
    s1 = _scored(TEXT, [4.6, 4.4, 2.9, 4.9])
    rc = rc_atom([[a.score for a in s0.score.scores], [a.score for a in s1.score.scores]])
    result = DraftResult(Message("pasted", "pasted"), drafts, {"lora": "no adapter trained yet"})
    page.on_drafted(ScoredDrafts(result, {("rag", 0): s0, ("rag", 1): s1}, {"rag": rc}))
    col = page.columns["rag"]
    view = col.view
    colours = []
    for s in view.spans:
        cur = view.textCursor()
        cur.setPosition(s.start + 1)
        fmt = cur.charFormat()
        colours.append(fmt.background().color().name())
        assert (fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline) == s.leak
    assert [s.leak for s in view.spans] == [False, False, True, False]
    assert colours[0] == colours[3] != colours[1] != colours[2]  # high, low, middle bins differ
    assert view.tooltip_at(view.spans[2].start).startswith("LEAK")
    assert col.chips["leak"].text() == "1 leaked"
    high = sum(1 for s in s0.score.scores if s.score >= HIGH_BIN)
    assert col.chips["acc"].text() == f"ACC {high / 4:.0%}"
    assert col.chips["rc"].text() == f"RC {rc:.2f}"
    assert col.chips["tps"].text() == "60 tok/s"
    # switching to sample 2 shows its own tints; the leak chip goes away
    col.sample_box.setCurrentIndex(1)
    assert [s.leak for s in view.spans] == [False] * 4
    assert not col.chips["leak"].isVisibleTo(col)
    # an unavailable variant has no column here, and nothing crashed
    assert "lora" not in page.columns
    # an edit, then rescore input is the edited text
    view.setPlainText("Hiya Sam, Thursday is grand.")
    key, text = page._current("rag")
    assert key == ("rag", 1) and text == "Hiya Sam, Thursday is grand."
