"""GUI responsiveness: the largest gap between 10 ms QTimer ticks while the app works.

Baseline: the same timer on an idle event loop in the same run. Then, through the real
window (offscreen): the warm-up job (loading chromadb and the embedder, done once at
start), and the demo archive imported through the Archive page. Target: the import's
largest gap < 250 ms (what a user notices as a frozen window). Prints a table, then ONE
JSON object on its last line.

    .venv/bin/python bench/bench_gui.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
DEMO = ROOT / "resources" / "demo"
ME = ("wren@halloway-cider.example", "wren.halloway@fastmail.example")


def measure(app, busy, seconds: float | None = None) -> tuple[list[float], float]:
    """Tick gaps while ``busy()`` is true (or for ``seconds``), and the wall time."""
    from PySide6.QtCore import QTimer

    gaps: list[float] = []
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    t0 = time.monotonic()
    timer.start()
    while (busy() if seconds is None else time.monotonic() - t0 < seconds):
        app.processEvents()
        time.sleep(0.002)
    timer.stop()
    return gaps, time.monotonic() - t0


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="ov-bench-gui-"))
    os.environ["OWNVOICE_CONFIG_DIR"] = str(tmp / "config")
    os.environ["OWNVOICE_DATA_DIR"] = str(tmp / "data")
    from app.gui.main import make_app
    from app.workflows.workspace import Workspace
    from app.gui.window import MainWindow
    from ingest.kernel.config import Config

    app = make_app([])
    w = MainWindow(Workspace(Config(data_dir=str(tmp / "data"))))
    w.show()
    idle, _ = measure(app, None, seconds=3.0)
    w.warm_up()
    warm, warm_s = measure(app, w.jobs.busy)
    page = w.pages["archive"]
    page.me_edit.setText(", ".join(ME))
    page.import_paths([str(DEMO / "Sent.mbox"), str(DEMO / "Inbox.mbox")])
    imp, imp_s = measure(app, w.jobs.busy)
    w.close()
    base = max(idle)
    rows = {"idle": idle, "warm_up": warm, "import": imp}
    out: dict[str, object] = {"import_seconds": round(imp_s, 1), "warm_up_seconds": round(warm_s, 1),
                              "load_avg_1m": round(os.getloadavg()[0], 1)}
    print(f"{'phase':10} {'ticks':>6} {'max ms':>8} {'p99 ms':>8} {'median ms':>10} {'max/idle':>9}")
    for name, g in rows.items():
        p99 = sorted(g)[int(0.99 * (len(g) - 1))]
        print(f"{name:10} {len(g):6d} {max(g) * 1000:8.0f} {p99 * 1000:8.0f} "
              f"{statistics.median(g) * 1000:10.1f} {max(g) / base:9.1f}")
        out[f"{name}_max_gap_ms"] = round(max(g) * 1000, 1)
        out[f"{name}_p99_gap_ms"] = round(p99 * 1000, 1)
        out[f"{name}_max_vs_idle"] = round(max(g) / base, 2)
    out["import_max_gap_ok"] = max(imp) < 0.25
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
