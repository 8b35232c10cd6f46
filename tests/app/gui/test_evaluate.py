"""The Evaluate page: a held-out run with a progress bar, its table and its chart."""

from __future__ import annotations

import pytest

from tests.app.gui.conftest import wait_idle


@pytest.mark.slow
def test_evaluate_one_heldout_message(make_window, learned_dir, tmp_path, qtbot):
    w = make_window(tmp_path / "data", src=learned_dir)
    w.ws.config = w.ws.config.with_(max_tokens=40)
    page = w.pages["evaluate"]
    w.show_page("evaluate")
    for name, box in page.variant_boxes.items():
        box.setChecked(name == "base")
    page.n.setValue(1)
    page.limit.setValue(1)
    events = []
    page.start()
    assert page.job_bar.isVisible() and not page.run_button.isEnabled()
    page.job.signals.progress.connect(events.append)
    wait_idle(qtbot, w, timeout_ms=600_000)
    assert page.banner.kind == "", page.banner.text()
    assert events and events[-1].stage
    variants = [r.variant for r in page.table.rows]
    assert "base" in variants and "real" in variants  # the user's real reply is the ceiling row
    base = page.table.rows[variants.index("base")]
    assert base.acc is None or 0.0 <= base.acc <= 1.0
    assert not page.chart.source.isNull()  # report.png from the core, shown
    # the report stays in the pack: a new window shows it again
    folder = w.ws.pack().file("eval")
    assert (folder / "report.json").exists() and (folder / "report.png").exists()
    page.table.set_rows([])
    page.refresh()
    assert [r.variant for r in page.table.rows] == variants
