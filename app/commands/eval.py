"""``ownvoice eval``: held-out evaluation of every voice variant against your real replies."""

from __future__ import annotations

import argparse

from app.commands.terminal import Terminal
from app.workflows import choices, evaluation
from app.workflows.workspace import Workspace


_VARIANTS = ", ".join(c.name for c in choices.variant_choices())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate the voice variants on held-out replies",
                       description="Draft replies to the newest held-out messages with each variant, score "
                       "them sentence by sentence (ACC/IC/RC atom fidelity), content, length and leak, "
                       "with your real replies as the ceiling row ('real').")
    p.add_argument("--person-addresses", "--me", dest="me", action="append", default=None, metavar="ADDR",
                   help="your address(es), comma-separated or repeated (default: from config)")
    p.add_argument("--holdout", type=float, default=0.1, help="newest share of reply pairs held out (0.1)")
    p.add_argument("--variants", default="all",
                   help=f"comma-separated: {_VARIANTS} (default: all)")
    p.add_argument("-n", type=int, default=3, help="samples per variant and message (for RC; default 3)")
    p.add_argument("--limit", type=int, default=None, help="evaluate at most this many held-out messages")
    p.add_argument("--model", default=None, help="student model: smollm2, gemma3 or a GGUF path")
    p.add_argument("--judge", default=None, metavar="MODEL",
                   help="rate atoms with this local GGUF model (LLM judge) instead of the voice scorer")
    p.add_argument("--pack", default=None, help="voice pack name (default from config: default)")
    p.add_argument("--report", default=None, metavar="DIR",
                   help="where to write report.md/.csv/.png (default: the voice pack's eval/)")
    p.add_argument("--fresh", action="store_true",
                   help="start over instead of continuing an interrupted eval with the same settings")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    me = tuple(a.strip().lower() for v in args.me for a in v.split(",") if a.strip()) if args.me else ()
    with term.progress(quiet=False) as (progress, cancel):
        view = evaluation.evaluate(ws, args.holdout, args.variants, args.n, args.limit, model=args.model, me=me,
                                   judge=args.judge, pack=args.pack, report_dir=args.report, resume=not args.fresh,
                                   warn=term.warn, progress=progress, cancel=cancel)
    rep, files = view.report, view.files
    if args.json:
        term.print_json({**rep.to_json(), "report": {k: str(v) for k, v in files.items()}})
        return 0
    from rich.table import Table

    t = Table(title=f"Held-out evaluation ({rep.heldout} messages, n={rep.n})")
    metrics = choices.metric_choices()  # every metric of the evaluation's one table, in its order
    t.add_column("variant", justify="left")
    for m in metrics:
        t.add_column(m.label, justify="right")

    def f(v):  # noqa: ANN001, ANN202
        return "n/a" if v is None else f"{v:.3f}"

    for r in rep.rows:
        t.add_row(r.variant, *(f(getattr(r, m.name)) for m in metrics))
    term.console.print(t)
    for v, why in rep.unavailable.items():
        term.console.print(f"{v}: unavailable ({why})", style="yellow", highlight=False)
    j = rep.judge
    term.console.print(f"ACC is the judge's ({j.get('kind')}); it ranks your real reply above other people's "
                      f"messages in the same threads {f(j.get('pairwise'))} of the time; agreement with the "
                      f"selection scorer (Spearman) {f(j.get('agreement'))}", highlight=False)
    for side, what in (("with", "writing to people you have a register with"), ("without", "to the rest")):
        rows = rep.to_json()["history"][side]
        if rows:
            n = max(r["messages"] for r in rows.values())
            term.console.print(f"greeting / sign-off as in your real reply, {what} ({n} messages): " + "; ".join(
                f"{v} {f(r['greeting'])} / {f(r['sign_off'])}" for v, r in rows.items()), highlight=False)
    term.console.print(f"selection scorer held-out AUC {f(rep.scorer.get('auc'))} (messages "
                      f"{f(rep.scorer.get('auc_message'))}), ECE {f(rep.scorer.get('ece'))}; "
                      f"report: {files['md']}", highlight=False)
    return 0
