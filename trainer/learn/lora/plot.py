"""The loss curve as a PNG (matplotlib's Agg canvas; no pyplot, no global backend).

What it leaves out: interactive plots (the GUI draws its own live curve).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Sequence

from ingest.kernel.fsutil import atomic_write_bytes


def plot_losses(curve: Sequence[dict[str, Any]], path: Path, *, base_heldout: float | None = None) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([r["step"] for r in curve], [r["loss"] for r in curve], label="train loss")
    ho = [(r["step"], r["heldout_loss"]) for r in curve if r.get("heldout_loss") is not None]
    if ho:
        ax.plot(*zip(*ho), marker="o", label="held-out loss")
    if base_heldout is not None:
        ax.axhline(base_heldout, linestyle="--", color="grey", label="base model, held-out")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats/token)")
    ax.legend(loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return atomic_write_bytes(path, buf.getvalue())
