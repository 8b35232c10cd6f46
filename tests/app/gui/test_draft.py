"""The Draft page: two variants side by side, streamed, every sentence tinted, saved as .eml."""

from __future__ import annotations

import email
import os
from pathlib import Path
from email import policy

import pytest
from PySide6.QtCore import QUrl, QUrlQuery, Qt

from tests.app.gui.conftest import wait_idle
from trainer.draft.samples import RESAMPLE_REASON

# seeded drafts from the real model repeat exactly only with a fixed fence boundary
pytestmark = pytest.mark.usefixtures("fixed_fence")


@pytest.mark.slow
def test_draft_two_variants_tinted_with_metrics_and_save_eml(make_window, learned_dir, tmp_path, qtbot):
    w = make_window(tmp_path / "data", src=learned_dir)
    w.ws.config = w.ws.config.with_(max_tokens=48)
    page = w.pages["draft"]
    w.show_page("draft")
    page.refresh()
    wait_idle(qtbot, w)
    assert page.archive_combo.count() > 10
    # answer a message someone sent Wren
    page.archive_combo.setCurrentIndex(0)
    page._picked(0)
    msg = page.archive_combo.itemData(0)
    assert page.body_edit.toPlainText() == (msg.text or msg.body)
    for name, box in page.variant_boxes.items():
        box.setChecked(name in ("base", "rag"))
    pieces = []
    qtbot.mouseClick(page.draft_button, Qt.MouseButton.LeftButton)
    assert set(page.columns) == {"base", "rag"}
    page.job.signals.token.connect(lambda v, s, p: pieces.append(v))
    wait_idle(qtbot, w, timeout_ms=600_000)
    assert page.banner.kind in ("", "info"), page.banner.text()
    assert set(pieces) == {"base", "rag"}, "tokens did not stream for both variants"
    for variant, col in page.columns.items():
        d = page.drafts[(variant, 0)]
        text = col.view.toPlainText()
        assert text == d.text and text.strip()
        # streamed pieces add up to the final text
        assert page.stream[(variant, 0)].strip() == d.text.strip()
        scored = page.scored[(variant, 0)]
        spans = [s for s in col.view.spans if not s.problem]  # the reply checks' marks come first
        assert len(spans) == len(scored.score.scores) > 0
        for s in spans:  # every sentence tinted, with its score in the tooltip
            assert s.score is not None
            cur = col.view.textCursor()
            cur.setPosition(s.start + 1)
            assert cur.charFormat().background().color().alpha() > 0
            assert col.view.tooltip_at(s.start).startswith(("Score", "LEAK", "NOT SENDABLE"))
        assert d.checks is not None
        assert col.chips["acc"].isVisible() and col.chips["acc"].text().startswith("ACC ")
        assert col.chips["length"].text().endswith("words")
        assert col.chips["tps"].text().endswith("tok/s")
        if len(spans) >= 2:
            assert col.chips["ic"].text().startswith("IC ")
    if os.environ.get("OWNVOICE_GUI_SHOTS"):  # for a person to look at the page
        w.grab().save(str(Path(os.environ["OWNVOICE_GUI_SHOTS"]) / "draft-page.png"))
    # save the rag draft as .eml: a reply to the message
    out = tmp_path / "reply.eml"
    page.save_eml("rag", str(out))
    assert page.banner.kind == "info"
    saved = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert saved["Subject"].lower().startswith("re:")
    assert msg.sender in saved["To"]
    assert page.drafts[("rag", 0)].text.strip()[:20] in saved.get_content()
    # mailto carries the same text
    url = page.mailto_url("rag")
    assert url.scheme() == "mailto" and url.path() == msg.sender
    assert QUrlQuery(url).queryItemValue("subject", QUrl.FullyDecoded) == saved["Subject"]  # the .eml's subject
    # the leak guard's restart voids what streamed; the replacement streams into a clean view
    col = page.columns["base"]
    page.on_restart("base", 0, RESAMPLE_REASON)
    assert page.stream[("base", 0)] == "" and col.view.toPlainText() == ""
    assert col.status.text() == RESAMPLE_REASON
    page.on_token("base", 0, "Hiya Kit,")
    assert col.view.toPlainText() == page.stream[("base", 0)] == "Hiya Kit,"


def test_draft_without_a_message_asks_for_one(make_window, tmp_path):
    w = make_window(tmp_path / "data")
    page = w.pages["draft"]
    page.body_edit.setPlainText("")
    page.start_draft()
    assert page.job is None and page.banner.kind == "error"


@pytest.mark.slow
def test_demo_drafts_show_what_the_reply_checks_flag(make_window, learned_dir, tmp_path, qtbot):
    """The demo's two unanswered messages drafted with the defaults: every draft carries
    its reply checks, and each flagged span is marked in the view with its reason."""
    from dataclasses import replace

    from trainer.draft.replycheck import CheckContext

    w = make_window(tmp_path / "data", src=learned_dir)
    w.ws.config = w.ws.config.with_(max_tokens=60)
    page = w.pages["draft"]
    w.show_page("draft")
    page.refresh()
    wait_idle(qtbot, w)
    for mid in ("i0086@thesaltcellar.example", "i0087@mendipcheeseandcider.example"):
        i = next(i for i in range(page.archive_combo.count())
                 if getattr(page.archive_combo.itemData(i), "message_id", "") == mid)
        page.archive_combo.setCurrentIndex(i)
        page._picked(i)
        for name, box in page.variant_boxes.items():
            box.setChecked(name == "base")
        qtbot.mouseClick(page.draft_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, w, timeout_ms=600_000)
        d = page.drafts[("base", 0)]
        assert d.checks is not None and d.checks.to_json()["asks"] >= 1
        col = page.columns["base"]
        marked = [s for s in col.view.spans if s.problem]
        assert len(marked) == len(d.checks.spans())
        for s in marked:
            assert col.view.tooltip_at(s.start).startswith("NOT SENDABLE")
        assert col.chips["usable"].isVisible() == (not d.checks.usable)
    # a draft that speaks as the sender, judged by the real checks over the real store
    msg = page.archive_combo.itemData(page.archive_combo.currentIndex())
    store = w.ws.store()
    bad = "Dear Wren,\n\nI'm Joanna and the pitch is £317.\n\nBest wishes,\nJoanna Pryce"
    ctx = CheckContext.build(msg, store=store, me=w.ws.config.me, thread=store.thread(msg))
    page.drafts[("base", 0)] = replace(d, text=bad, checks=ctx.check(bad))
    page.edited.pop(("base", 0), None)
    page.show_draft("base")
    col = page.columns["base"]
    marks = {bad[s.start:s.end]: col.view.tooltip_at(s.start) for s in col.view.spans if s.problem}
    assert {"Wren", "I'm Joanna", "£317", "Joanna Pryce"} <= set(marks), marks
    assert "your own name" in marks["Wren"] and "not in" not in marks["Wren"]
    assert "neither in this thread" in marks["£317"]
    assert col.chips["usable"].isVisible() and "sender" in col.chips["usable"].toolTip()


@pytest.mark.slow
def test_an_edited_draft_is_kept_linked_to_the_sent_reply_and_learned(make_window, learned_dir, tmp_path, qtbot):
    """#17's edits end to end: edit a draft on the Draft page and save it as .eml; a
    re-import of a Sent folder holding the reply really sent links it; the next learn
    (from the Voice page) counts both, and the page says what was learned from."""
    from ingest.store.edits import EDITS, edits
    from ingest.store.importer import run_import
    from tests.conftest import DEMO_ME

    w = make_window(tmp_path / "data", src=learned_dir)
    w.ws.config = w.ws.config.with_(max_tokens=24)
    page = w.pages["draft"]
    w.show_page("draft")
    page.refresh()
    wait_idle(qtbot, w)
    i = next(i for i in range(page.archive_combo.count())
             if getattr(page.archive_combo.itemData(i), "message_id", "") == "i0086@thesaltcellar.example")
    page.archive_combo.setCurrentIndex(i)
    page._picked(i)
    msg = page.archive_combo.itemData(i)
    for name, box in page.variant_boxes.items():
        box.setChecked(name == "base")
    qtbot.mouseClick(page.draft_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, w, timeout_ms=600_000)
    draft = page.drafts[("base", 0)].text
    final = "Yes, count us in for the fair. Two cases of the perry.\n\nWren"
    page.columns["base"].view.setPlainText(final)  # the user's edit
    page.save_eml("base", str(tmp_path / "reply.eml"))
    wait_idle(qtbot, w, timeout_ms=120_000)
    assert "kept as your writing" in page.edit_note.text(), page.edit_note.text()
    store = w.ws.store()
    (e,) = edits(store)
    assert (e.draft, e.final, e.variant, e.how, e.sent) == (draft, final, "base", "eml", "")
    assert any(p.source == EDITS and p.message_id == msg.id for p in store.reply_pairs())
    page.save_eml("base", str(tmp_path / "again.eml"))  # the same text again: kept once
    wait_idle(qtbot, w, timeout_ms=60_000)
    assert len(edits(store)) == 1

    sent = tmp_path / "Sent.mbox"  # what Wren really sent, imported later
    sent.write_text(f"From {DEMO_ME[0]} Mon Jan  1 10:00:00 2024\nMessage-ID: <sent-1@wren.example>\n"
                    f"Date: Mon, 1 Jan 2024 10:00:00 +0000\nFrom: Wren <{DEMO_ME[0]}>\nTo: {msg.sender}\n"
                    f"Subject: Re: {msg.subject}\nIn-Reply-To: <{msg.message_id}>\n"
                    f"References: <{msg.message_id}>\n\nYes please, count us in. Two cases of perry, and "
                    f"a table near the door if you have one.\n\nWren\n\n")
    run_import([sent], store, DEMO_ME)
    assert edits(store)[0].sent.startswith("Yes please, count us in")

    voice = w.pages["voice"]
    w.show_page("voice")
    for name, box in voice.route_boxes.items():
        box.setChecked(name == "rag")
    results = []
    voice.start_learn()
    voice.learn_job.signals.done.connect(results.append)
    wait_idle(qtbot, w, timeout_ms=600_000)
    (res,) = results
    assert res["edits"]["saved"] == 1 and res["edits"]["sent_found"] == 1
    assert res["edits"]["pairs_from_edits"] == 0  # the sent reply's own pair stands in for the edit's
    assert any(c["change"] for c in res["edits"]["changes"])
    assert "Learned from 1 edited draft (1 replaced by the reply you sent)" in voice.routes_label.text()
