"""The Voice page: learn retrieval and PLD, edit the style prompt, cancel a LoRA run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.app.gui.conftest import wait_idle

# Small PLD settings so the route runs in a test: a few rules, no revision rounds.
TINY_PLD = {"explain_pairs": 3, "validation": 1, "rounds": 0, "max_tokens": 32, "explain_tokens": 32}


@pytest.mark.slow
def test_learn_retrieval_and_pld_fills_the_voice_card(make_window, gui_import, tmp_path, qtbot):
    w = make_window(tmp_path / "data", src=gui_import.data_dir)
    w.show_page("voice")
    page = w.pages["voice"]
    page.route_boxes["rag"].setChecked(True)
    page.route_boxes["pld"].setChecked(True)
    page.route_boxes["lora"].setChecked(False)
    page.extra_options = dict(TINY_PLD)
    stages = []
    qtbot.mouseClick(page.learn_button, Qt.MouseButton.LeftButton)
    assert page.learn_job is not None and not page.learn_button.isEnabled()
    page.learn_job.signals.progress.connect(lambda p: stages.append(p.stage))
    wait_idle(qtbot, w, timeout_ms=600_000)
    assert page.banner.kind == "info", page.banner.text()
    assert {"rag", "pld"} <= set(stages) or "explain" in stages
    # the voice card shows the pack
    assert page.prompt_edit.toPlainText().strip(), "no style prompt after PLD"
    assert "Scorer AUC" in page.auc_label.text()
    assert page.traits.rowCount() > 3
    assert "rag" in page.routes_label.text() and "pld" in page.routes_label.text()
    # edit the style prompt and save it into the pack
    page.prompt_edit.setPlainText(page.prompt_edit.toPlainText() + "\n- Sign off with 'cheers, W.'\n")
    assert page.save_prompt.isEnabled()
    qtbot.mouseClick(page.save_prompt, Qt.MouseButton.LeftButton)
    saved = (w.ws.pack().file("style_prompt.md")).read_text(encoding="utf-8")
    assert saved.endswith("- Sign off with 'cheers, W.'\n")
    assert not page.save_prompt.isEnabled()


@pytest.mark.slow
def test_cancel_a_lora_training_run_and_resume_is_offered(make_window, learned_dir, tmp_path, qtbot):
    w = make_window(tmp_path / "data", src=learned_dir)
    w.show_page("voice")
    page = w.pages["voice"]
    for name, box in page.route_boxes.items():
        box.setChecked(name == "lora")
    page.max_steps.setValue(400)
    # short rows, two held-out examples and a held-out loss every step: quick first steps
    page.extra_options = {"seq_len": 128, "max_heldout": 2, "batch_rows": 1, "grad_accum": 1,
                          "documents": False, "eval_every": 1}
    train_events = []
    page.start_learn()
    job = page.learn_job
    job.signals.progress.connect(lambda p: train_events.append(p) if p.stage == "train" else None)
    # wait until training really runs (a step with a loss), then cancel from the GUI
    qtbot.waitUntil(lambda: any("loss" in p.info for p in train_events) or not w.jobs.busy(),
                    timeout=600_000)
    assert w.jobs.busy(), f"training ended before it could be cancelled: {page.banner.text()}"
    qtbot.mouseClick(page.job_bar.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, w, timeout_ms=300_000)
    assert job.cancelled
    assert page.banner.kind == "warning" and "cancelled" in page.banner.text().lower()
    assert page.resume_button.isEnabled() and page.learn_button.isEnabled()
    # the live loss curve got the steps that ran, and no more than were asked for
    xs, ys = page.loss_curve.getData()
    assert xs is not None and 1 <= len(xs) < 400
    assert all(y > 0 for y in ys)
    assert w.ws.pack().route("lora") is None  # a cancelled run records no adapter
    hx, hy = page.heldout_curve.getData()
    assert hx is not None and len(hx) >= 1  # the held-out loss is plotted too
    # the run left a checkpoint, which is what Resume continues from
    assert any((w.ws.data_dir / "checkpoints").rglob("*"))


@pytest.mark.slow
def test_a_trained_adapter_shows_its_loss_curve_when_the_page_opens(make_window, learned_dir, tmp_path, qtbot):
    """The curve is not live-only: a pack with an adapter shows the run's losses.json."""
    import json

    from trainer.learn.lora import ADAPTER_DIR
    from trainer.voicepack import VoicePack

    src = tmp_path / "src"
    import shutil

    shutil.copytree(learned_dir, src)
    curve = [{"step": s, "loss": 4.0 - 0.1 * s, "lr": 1e-4, **({"heldout_loss": 4.2 - 0.05 * s} if s % 2 == 0 else {})}
             for s in range(1, 9)]
    pack = VoicePack.open(src)
    (pack.path / ADAPTER_DIR).mkdir()
    (pack.path / ADAPTER_DIR / "losses.json").write_text(json.dumps(
        {"base_heldout_loss": 4.3, "heldout_loss": 3.8, "best_step": 8, "curve": curve}))
    w = make_window(tmp_path / "data", src=src)
    w.refresh_all()  # what app.gui.main does when the window opens
    wait_idle(qtbot, w)
    w.show_page("voice")
    page = w.pages["voice"]
    xs, ys = page.loss_curve.getData()
    assert list(xs) == [float(s) for s in range(1, 9)] and ys[0] == pytest.approx(3.9)
    hx, hy = page.heldout_curve.getData()
    assert list(hx) == [2.0, 4.0, 6.0, 8.0] and hy[-1] == pytest.approx(3.8)
    # a damaged loss record costs only the plot: the card still loads
    (w.ws.pack().path / ADAPTER_DIR / "losses.json").write_text("{not json")
    page.load_card()
    assert page.banner.kind != "error" and "Scorer AUC" in page.auc_label.text()


def test_a_route_and_a_metric_added_to_the_core_tables_reach_the_pages(make_window, tmp_path, monkeypatch):
    """The pages list no routes, variants or metrics of their own: a toy route and a toy
    metric, each one line in its core table, get a checkbox on the Voice page, a checkbox
    and a column title on the Draft page, and a column on the Evaluate page."""
    from trainer import routes
    from trainer.evaluate import metrics as M

    toy = routes.Route("motto", "Motto", "one learned line in the prompt", learn="toy_motto",
                       plan="toy_motto:plan", in_full=True)
    monkeypatch.setattr(routes, "ROUTES", (*routes.ROUTES, toy))
    words = M.Metric("words", "words", "mean words per draft", lambda c: 0.0)
    monkeypatch.setattr(M, "METRICS_TABLE", (*M.METRICS_TABLE, words))
    w = make_window(tmp_path / "data")
    voice, draft, evaluate = w.pages["voice"], w.pages["draft"], w.pages["evaluate"]
    assert "motto" in voice.route_boxes and voice.route_boxes["motto"].toolTip() == toy.help
    assert "motto" in draft.variant_boxes and "motto" in evaluate.variant_boxes
    headers = [evaluate.table.headerData(i, Qt.Orientation.Horizontal) for i in range(evaluate.table.columnCount())]
    assert headers[-1] == "words" and "usable" in headers
