"""An evaluation's report: markdown, CSV and a bar chart (matplotlib Agg), written
atomically by ``write_report``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from ingest.kernel.fsutil import atomic_write_bytes, atomic_write_text
from trainer.evaluate.metrics import chart, metric, names, table, vs_base
from trainer.evaluate.stats import EvalReport, history_split


# -- report ------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    return "n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def report_markdown(rep: EvalReport) -> str:
    lines = ["# ownvoice evaluation", "",
             f"Held-out messages: {rep.heldout}; samples per variant: {rep.n}; model: {rep.model or 'n/a'}; "
             f"{rep.seconds:.0f} s.",
             f"ACC is the judge's ({rep.judge.get('kind', 'n/a')}): it ranks the real reply above other "
             f"people's messages in the same threads {_fmt(rep.judge.get('pairwise'))} of the time "
             f"({rep.judge.get('pairwise_n', 0)} pairs); its ACC and the selection scorer's agree at Spearman "
             f"{_fmt(rep.judge.get('agreement'))}.",
             f"Selection scorer: held-out sentence AUC {_fmt(rep.scorer.get('auc'))}, message AUC "
             f"{_fmt(rep.scorer.get('auc_message'))}, ECE {_fmt(rep.scorer.get('ece'))}.", "",
             "| variant | " + " | ".join(m.label for m in table()) + " | messages | drafts |",
             "|" + "---|" * (len(names()) + 3)]
    for r in rep.rows:
        lines.append(f"| {r.variant} | " + " | ".join(_fmt(getattr(r, k)) for k in names())
                     + f" | {r.messages} | {r.drafts} |")
    gains = rep.vs_base
    if gains:
        lines += ["", "Against `base` on the same messages (mean difference, 95% paired bootstrap interval; "
                  "an interval that spans 0 is not a measured difference):", "",
                  "| variant | " + " | ".join(metric(m).label for m in vs_base()) + " |",
                  "|" + "---|" * (len(vs_base()) + 1)]
        for v, g in gains.items():
            cells = [f"{g[m]['mean']:+.3f} [{g[m]['lo']:+.3f}, {g[m]['hi']:+.3f}]" if m in g else "n/a"
                     for m in vs_base()]
            lines.append(f"| {v} | " + " | ".join(cells) + " |")
    split = history_split(rep.per_message)
    if split["with"] or split["without"]:
        lines += ["", "Split by the sender: `with` a register (enough earlier replies to them or their "
                  "organisation: drafts use how you write to them), `without` one (your global habits). "
                  "Greeting and sign-off: the share of drafts whose greeting form / sign-off is the one in "
                  "your real reply.", "",
                  "| sender | variant | greeting | sign-off | ACC_atom | usable | messages |",
                  "|---|---|---|---|---|---|---|"]
        for side in ("with", "without"):
            for v, r in split[side].items():
                lines.append(f"| {side} | {v} | {_fmt(r['greeting'])} | {_fmt(r['sign_off'])} | {_fmt(r['acc'])} "
                             f"| {_fmt(r['usable'])} | {r['messages']} |")
    if rep.unavailable:
        lines += ["", "Unavailable variants:", ""]
        lines += [f"- {v}: {why}" for v, why in rep.unavailable.items()]
    lines += ["", "`real` is the user's own reply scored the same way: the ceiling. RC needs several "
              "drafts per message, so it is n/a for `real`.", ""]
    return "\n".join(lines)


def report_csv(rep: EvalReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["variant", *names(), "messages", "drafts"])
    for r in rep.rows:
        w.writerow([r.variant, *("" if getattr(r, k) is None else f"{getattr(r, k):.6f}" for k in names()),
                    r.messages, r.drafts])
    for v, why in rep.unavailable.items():
        w.writerow([v, *([""] * len(names())), 0, 0, f"unavailable: {why}"])
    return buf.getvalue()


def report_png(rep: EvalReport) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.2), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(rep.rows))
    x = np.arange(len(chart()))
    for i, r in enumerate(rep.rows):
        vals = [getattr(r, k) if getattr(r, k) is not None else 0.0 for k in chart()]
        ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=r.variant)
    ax.set_xticks(x, [metric(k).short or metric(k).label for k in chart()])
    ax.set_ylim(min(-0.05, *(getattr(r, "rc") or 0 for r in rep.rows)), 1.5)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_title(f"ownvoice eval: {rep.heldout} held-out messages, n={rep.n}")
    ax.legend(ncol=min(6, len(rep.rows)), fontsize=8, loc="upper right")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_report(rep: EvalReport, out_dir: str | Path) -> dict[str, Path]:
    """Write report.md, report.csv, report.png and report.json into ``out_dir`` atomically."""
    import json

    d = Path(out_dir)
    return {
        "md": atomic_write_text(d / "report.md", report_markdown(rep)),
        "csv": atomic_write_text(d / "report.csv", report_csv(rep)),
        "png": atomic_write_bytes(d / "report.png", report_png(rep)),
        "json": atomic_write_text(d / "report.json", json.dumps(rep.to_json(), indent=2) + "\n"),
    }
