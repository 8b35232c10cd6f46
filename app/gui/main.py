"""Start the desktop app, or render each page to a PNG and exit (``--screenshot DIR``).

``main(argv)`` is what ``ownvoice gui`` and the ``ownvoice-gui`` script call.
Screenshot mode runs offscreen, loads every page from the current store, waits for
those loads, grabs one PNG per page and returns without entering the event loop.
What it leaves out: single-instance locking (the store's own lock guards writes).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from ingest.kernel.privacy import lock_down


def make_app(argv: Sequence[str] = ()):
    lock_down()  # the offline/telemetry switches and the umask, before Qt and models load
    from PySide6.QtWidgets import QApplication

    from app.gui.theme import apply_theme, follow_system, icon

    app = QApplication.instance() or QApplication(["ownvoice", *argv])
    app.setApplicationName("ownvoice")
    app.setOrganizationName("ownvoice")
    app.setDesktopFileName("ownvoice")
    apply_theme(app)
    follow_system(app)
    app.setWindowIcon(icon("ownvoice"))
    return app


def screenshot(window, out_dir: str | os.PathLike[str], timeout_s: float = 120.0) -> list[Path]:
    """Render every page of ``window`` to ``out_dir/NN-page.png``; return the paths."""
    from PySide6.QtCore import QCoreApplication

    from app.gui.window import PAGES

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    window.show()
    window.refresh_all()
    window.jobs.wait(timeout_s)
    paths = []
    for i, (name, _) in enumerate(PAGES):
        window.show_page(i)
        for _ in range(5):
            QCoreApplication.processEvents()
        p = out / f"{i + 1:02d}-{name}.png"
        if not window.grab().save(str(p), "PNG"):
            raise OSError(f"could not write {p}")
        paths.append(p)
    return paths


def main(argv: Sequence[str] | None = None, *, data_dir: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ownvoice-gui")
    parser.add_argument("--screenshot", metavar="DIR", default=None)
    parser.add_argument("--data-dir", metavar="DIR", default=data_dir)
    args, qt_args = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    if args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from app.workflows.workspace import Workspace
    from app.gui.window import MainWindow
    from ingest.kernel.errors import UserError

    app = make_app(qt_args)
    try:
        ws = Workspace(data_dir=args.data_dir)
        ws.data_dir  # noqa: B018 - a bad data dir is reported before the window opens
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    window = MainWindow(ws)
    if args.screenshot:
        paths = screenshot(window, args.screenshot)
        window.close()
        for p in paths:
            print(p)
        return 0
    window.show()
    window.warm_up()
    window.refresh_all()
    return app.exec()


def entry() -> None:  # the ownvoice-gui script
    sys.exit(main())
