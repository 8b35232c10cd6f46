"""Settings, forgetting a source, the keyboard path and persisted window state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.gui import widgets
from app.gui.pages.settings import REMOTE_WARNING
from ingest.kernel.config import load_config
from tests.app.gui.conftest import wait_idle


def test_settings_save_to_the_config_file_and_warn_for_remote_teachers(make_window, tmp_path):
    w = make_window(tmp_path / "data")
    page = w.pages["settings"]
    page.load()
    assert not page.remote_warning.isVisibleTo(page)
    page.teacher.setText("https://llm.example/v1")
    assert page.remote_warning.isVisibleTo(page) and page.remote_warning.text() == REMOTE_WARNING
    page.retrieval_k.setValue(5)
    page.temperature.setValue(0.4)
    assert page.scaffold.currentData() == "length"  # the default
    page.scaffold.setCurrentIndex(page.scaffold.findData("full"))
    assert page.gpu_layers.text() == "auto (what fits)" and page.context.value() == 2048  # the defaults
    page.gpu_layers.setValue(12)
    page.context.setValue(4096)
    assert page.save()
    cfg = load_config()
    assert cfg.retrieval_k == 5 and abs(cfg.temperature - 0.4) < 1e-9
    assert cfg.scaffold == "full"
    assert cfg.gpu_layers == 12 and cfg.context == 4096
    assert cfg.teacher == "https://llm.example/v1"
    assert cfg.allow_remote_teacher is False  # not allowed until ticked
    assert page.banner.kind == "warning"
    page.allow_remote.setChecked(True)
    assert page.save()
    assert load_config().allow_remote_teacher is True
    page.teacher.setText("/models/teacher.gguf")
    assert page.save()
    assert load_config().allow_remote_teacher is False  # a local teacher needs no permission


def test_forget_a_source_after_confirmation(make_window, gui_import, tmp_path, qtbot, monkeypatch):
    w = make_window(tmp_path / "data", src=gui_import.data_dir)
    page = w.pages["archive"]
    page.refresh()
    wait_idle(qtbot, w)
    assert page.sources.rowCount() == 2
    page.sources_view.selectRow(0)
    assert page.forget_button.isEnabled()
    asked = []
    monkeypatch.setattr(widgets, "confirm", lambda *a: asked.append(a) or False)
    monkeypatch.setattr("app.gui.pages.archive.confirm", widgets.confirm)
    page.forget_selected()  # the user says no: nothing happens
    wait_idle(qtbot, w)
    assert len(asked) == 1 and page.sources.rowCount() == 2
    monkeypatch.setattr("app.gui.pages.archive.confirm", lambda *a: True)
    gone = page.sources.rows[0].path
    page.forget_selected()
    wait_idle(qtbot, w)
    assert [s.path for s in page.sources.rows] != [] and gone not in [s.path for s in page.sources.rows]
    assert page.banner.kind == "info" and "Forgot" in page.banner.text()


def test_keyboard_path_and_window_state_persist(make_window, tmp_path, qtbot):
    w = make_window(tmp_path / "data")
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)  # shortcuts work in the active window
    for i, name in enumerate(["archive", "voice", "draft", "evaluate", "settings"]):
        qtbot.keyClick(w, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.ControlModifier)
        assert w.current_page() == name
    # every page's main action has a mnemonic (Alt+letter)
    assert "&" in w.pages["archive"].add_files.text()
    assert "&" in w.pages["voice"].learn_button.text()
    assert "&" in w.pages["draft"].draft_button.text()
    assert "&" in w.pages["evaluate"].run_button.text()
    assert "&" in w.pages["settings"].save_button.text()
    w.show_page("evaluate")
    w.close()
    ini = Path(load_config.__globals__["config_dir"]()) / "gui.ini"
    assert ini.exists()
    from app.gui.window import MainWindow
    from app.workflows.workspace import Workspace

    w2 = MainWindow(Workspace(w.ws.config))
    qtbot.addWidget(w2)
    assert w2.current_page() == "evaluate"
    from app.gui.window import gui_settings

    assert gui_settings().value("window/geometry")  # restored by restoreGeometry (the screen may clamp it)


def test_settings_lists_the_models_other_apps_keep_and_saves_the_chosen_path(make_window, tmp_path, qtbot,
                                                                             monkeypatch):
    """A GGUF file in LM Studio's folder shows in the model box as name, architecture and
    app; choosing it saves its path (read only: the file is not copied)."""
    from tests.trainer.student_helpers import tiny_model

    home = tmp_path / "home"
    model = tiny_model(home / ".lmstudio/models/pub/repo/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", arch="qwen2",
                       size_label="1.5B")
    monkeypatch.setenv("HOME", str(home))
    for var in ("HF_HUB_CACHE", "HF_HOME", "LLAMA_CACHE", "OLLAMA_MODELS"):
        monkeypatch.delenv(var, raising=False)
    w = make_window(tmp_path / "data")
    page = w.pages["settings"]
    page.refresh()
    wait_idle(qtbot, w)
    assert "drafting" in page.model_memory.text()  # where the configured model fits, before loading it
    i = page.model.findData(str(model))
    assert i >= 0, [page.model.itemText(k) for k in range(page.model.count())]
    assert page.model.itemText(i) == "Qwen2.5-1.5B-Instruct-Q4_K_M - qwen2 1.5B Q4_K_M, instruct (lmstudio)"
    page.model.setCurrentIndex(i)
    wait_idle(qtbot, w)
    assert "drafting" in page.model_memory.text()  # the tiny qwen2 file's own estimate
    assert page.save()
    assert load_config().model == str(model)
    page.load()
    assert page.model.currentIndex() == i  # shown by its name again, not as a raw path
    assert [p.name for p in model.parent.iterdir()] == [model.name]
