"""Installing ownvoice as an application: the wheel carries every resource the app reads,
the installed copy of the resources is found, and ``install-desktop`` writes a valid
desktop entry and removes only what it wrote."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app import paths
from app.cli import main
from ingest.kernel.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_carries_every_resource_the_app_reads(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    whl = next(tmp_path.glob("ownvoice-*.whl"))
    names = set(zipfile.ZipFile(whl).namelist())
    data = next(n.split("/data/")[0] for n in names if "/data/share/ownvoice/" in n)
    missing = [f for f in paths.REQUIRED if f"{data}/data/share/ownvoice/resources/{f}" not in names]
    assert not missing, missing
    for pkg in ("app/cli.py", "app/gui/main.py", "trainer/draft/drafting.py", "ingest/store/store.py", "app/paths.py"):
        assert pkg in names, pkg
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(whl).read(entry).decode()
    assert "ownvoice = app.cli:entry" in text and "ownvoice-gui = app.gui.main:entry" in text


def test_the_installed_resources_are_found_when_there_is_no_checkout(tmp_path, monkeypatch):
    shared = tmp_path / "share" / "ownvoice" / "resources"
    shutil.copytree(ROOT / "resources" / "gui", shared / "gui")
    monkeypatch.setattr(paths, "REPO", tmp_path / "site-packages" / "resources")
    monkeypatch.setattr(paths, "SHARED", shared)
    assert paths.resources_dir() == shared
    monkeypatch.setattr(paths, "SHARED", tmp_path / "nowhere")
    with pytest.raises(UserError, match="resources are missing"):
        paths.resources_dir()


def _install(tmp_path, monkeypatch, capsys, *extra):  # noqa: ANN001, ANN202
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert main(["install-desktop", "--json", *extra]) == 0
    out = capsys.readouterr().out
    return json.loads(out[out.index("{"):])


def test_install_desktop_writes_the_entry_and_removes_only_its_own(tmp_path, monkeypatch, capsys):
    got = _install(tmp_path, monkeypatch, capsys)
    entry = tmp_path / "xdg" / "applications" / "ownvoice.desktop"
    icon = tmp_path / "xdg" / "icons" / "hicolor" / "scalable" / "apps" / "ownvoice.svg"
    assert got["written"] == [str(entry), str(icon)]
    text = entry.read_text()
    exec_line = next(ln for ln in text.splitlines() if ln.startswith("Exec="))
    assert Path(exec_line.split("=", 1)[1].strip('"')).name == "ownvoice-gui"
    assert icon.read_bytes() == (ROOT / "resources/gui/icons/ownvoice.svg").read_bytes()
    assert _install(tmp_path, monkeypatch, capsys, "--remove")["removed"] == [str(entry), str(icon)]
    assert not entry.exists() and not icon.exists()
    # someone else's entry is never overwritten or removed
    entry.write_text("[Desktop Entry]\nType=Application\nName=mine\nExec=mine\n")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with pytest.raises(UserError, match="not written by ownvoice"):
        _raise_from_run()
    assert _install(tmp_path, monkeypatch, capsys, "--remove")["removed"] == []
    assert entry.read_text().endswith("Exec=mine\n")


def _raise_from_run() -> None:
    """``install-desktop`` through its command function, so the UserError itself is seen
    (``main`` turns it into a message and an exit code)."""
    import argparse

    from app.commands import install_desktop
    from app.commands.terminal import Terminal
    from app.workflows.workspace import Workspace

    install_desktop.run(argparse.Namespace(remove=False, json=True), Workspace.create(), Terminal())


def test_the_entry_passes_desktop_file_validate(tmp_path, monkeypatch, capsys):
    tool = shutil.which("desktop-file-validate")
    if not tool:
        pytest.skip("desktop-file-validate is not installed (.ci/run installs desktop-file-utils)")
    _install(tmp_path, monkeypatch, capsys)
    entry = tmp_path / "xdg" / "applications" / "ownvoice.desktop"
    r = subprocess.run([tool, str(entry)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
