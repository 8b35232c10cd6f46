"""``ownvoice demo``: the main job on the embedded defaults.

Imports the demo archive (resources/demo: Wren Halloway's mail), learns her voice
(scorer, retrieval, PLD style prompt, a short LoRA run on the CPU), drafts replies to
two of her unanswered messages in several variants with atomic scores, runs a small
held-out evaluation, then opens the GUI where a display exists, or prints the drafts
and the evaluation table in the terminal.

The demo keeps its own store (``<data dir>/demo`` unless ``--data-dir`` is given), so
Wren's mail never mixes with yours.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from app.commands.learn import print_summary
from app.commands.terminal import Terminal
from app.paths import resources_dir
from app.workflows import archive, choices, drafting, evaluation, voice
from app.workflows.workspace import Workspace

DEMO_ME = ("wren@halloway-cider.example", "wren.halloway@fastmail.example")
DEMO_FILES = ("Sent.mbox", "Inbox.mbox", "documents")
DEMO_TARGETS = ("i0086@thesaltcellar.example", "i0087@mendipcheeseandcider.example")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole job on the demo archive (import, learn, draft, eval)")
    p.add_argument("--no-gui", action="store_true", help="print the results instead of opening the GUI")
    p.add_argument("--lora-steps", type=int, default=30, help="LoRA steps on the CPU (0 skips LoRA)")
    p.add_argument("--eval-limit", type=int, default=6, help="held-out messages in the evaluation")
    p.add_argument("--pld-pairs", type=int, default=24, help="reply pairs the PLD teacher explains")
    p.add_argument("--max-tokens", type=int, default=120)
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.set_defaults(func=run)


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and \
        os.environ.get("QT_QPA_PLATFORM", "") != "offscreen"


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    from rich.rule import Rule

    from ingest.kernel.config import resolve_data_dir
    from ingest.kernel.errors import UserError

    demo_dir = resources_dir() / "demo"  # looked up now, not at import: `--help` works without it
    if not (demo_dir / "Sent.mbox").exists():
        raise UserError(f"The demo archive is missing from {demo_dir}.", hint="Reinstall ownvoice.")
    explicit = bool(ws.config.data_dir)
    data_dir = ws.data_dir if explicit else resolve_data_dir(ws.config.with_(
        data_dir=str(resolve_data_dir(ws.config) / "demo")))
    cfg = ws.config.with_(me=DEMO_ME, max_tokens=args.max_tokens, data_dir=str(data_dir))
    con = term.console
    timings: dict[str, float] = {}
    con.print(Rule("[bold]ownvoice demo[/]: Wren Halloway, cider maker (fictional)"))
    con.print(f"data directory: {data_dir}")
    with Workspace(cfg) as demo, term.progress() as (progress, cancel):
        t0 = time.perf_counter()
        imported = archive.import_paths(demo, [str(demo_dir / f) for f in DEMO_FILES], DEMO_ME,
                                        progress=progress, cancel=cancel)
        archive.embed_rest(demo, progress=progress, cancel=cancel)  # the search index too: the archive is small
        timings["import_s"] = time.perf_counter() - t0
        _print_import(term, imported.reports)

        t0 = time.perf_counter()
        # the default routes, and LoRA when it gets steps (``trainer.routes``: a new default route joins in)
        route_names = [r.name for r in choices.route_choices()
                       if r.default or (r.name == "lora" and args.lora_steps > 0)]
        routes = ",".join(route_names)
        learned = voice.learn(demo, routes, {"max_steps": args.lora_steps, "grad_accum": 1, "seq_len": 384,
                                             "rounds": 1, "explain_pairs": args.pld_pairs, "validation": 4},
                              progress=progress, cancel=cancel)
        timings["learn_s"] = time.perf_counter() - t0
        print_summary(term, learned)

        t0 = time.perf_counter()
        variants = ["base", *route_names] + (["full"] if "lora" in route_names else [])
        drafted = _draft_targets(demo, term, variants, progress, cancel)
        timings["draft_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = evaluation.evaluate(demo, 0.1, variants, 1, args.eval_limit, resume=False,
                                     progress=progress, cancel=cancel).report
        timings["eval_s"] = time.perf_counter() - t0

    _print_drafts(term, drafted)
    _print_eval(term, report)
    con.print(f"timings: " + ", ".join(f"{k}={v:.0f}s" for k, v in timings.items()))
    if args.json:
        term.print_json({"timings": timings, "learn": learned,
                         "eval": report.to_json() if hasattr(report, "to_json") else None})
    if not args.no_gui and _has_display():
        from app.gui.main import main as gui_main

        return gui_main([], data_dir=str(data_dir))
    return 0


def _draft_targets(demo: Workspace, term: Terminal, variants: list[str], progress, cancel) -> list:  # noqa: ANN001
    """Drafts (scored) to the demo's two unanswered messages, in every variant."""
    from ingest.kernel.errors import UserError

    drafted = []
    for mid in DEMO_TARGETS:
        try:
            msg = drafting.stored_message(demo, mid)
        except UserError:
            term.warn(f"demo message <{mid}> not found in the store; skipped")
            continue
        drafted.append(drafting.draft(demo, msg, variants, 1, partial=True, progress=progress, cancel=cancel))
    return drafted


def _print_drafts(term: Terminal, drafted: list) -> None:
    from rich.panel import Panel
    from rich.rule import Rule

    con = term.console
    for scored in drafted:
        res = scored.result
        m = res.message
        con.print(Rule(f"Re: {m.subject}  (from {m.sender_name or m.sender})"))
        con.print(Panel(m.text.strip()[:900] or m.body.strip()[:900], title="the message", border_style="dim"))
        for d in res.drafts:
            sc = scored.scores.get((d.variant, d.sample))
            _print_draft(term, d, sc.score if sc is not None else None)
        for v, why in res.unavailable.items():
            con.print(f"[yellow]{v}[/]: not available ({why})")


def _print_import(term: Terminal, reports) -> None:  # noqa: ANN001
    from rich.table import Table

    t = Table(title="Imported")
    for col in ("source", "kind", "seen", "own", "others", "duplicates", "pairs", "skipped"):
        t.add_column(col)
    for r in reports:
        t.add_row(Path(r.path).name, r.kind, str(r.seen), str(r.own), str(r.others), str(r.duplicates),
                  str(r.pairs), str(len(r.skipped)))
    term.console.print(t)


def _print_draft(term: Terminal, d, score) -> None:  # noqa: ANN001
    from rich.text import Text

    scored = score is not None  # None: the voice scorer had nothing to score with
    head = f"[bold]{d.variant}[/]  ACC={_f(score.acc if scored else None)} IC={_f(score.ic if scored else None)}  " \
           f"{d.tokens} tokens, " \
           f"{d.tokens_per_second:.0f} tok/s" + (f"  [red]flags: {', '.join(d.flags)}[/]" if d.flags else "")
    if d.checks is not None:
        head += "  [green]usable[/]" if d.checks.usable else "  [red]not usable[/]"
    term.console.print(head)
    text = Text()
    for a in (score.scores if scored else ()):
        colour = "green" if a.score >= 1 + 8 / 3 else ("yellow" if a.score >= 1 + 4 / 3 else "red")
        text.append(a.atom.text, style=colour)
        text.append(" ")
    term.console.print(text if scored and score.scores else d.text)
    for sp in (d.checks.spans() if d.checks is not None else ()):
        term.console.print(f"  [red]{sp.text!r}[/]: {sp.reason}", highlight=False)
    for ask in (d.checks.unanswered if d.checks is not None else ()):
        term.console.print(f"  [yellow]not answered:[/] {ask}", highlight=False)
    term.console.print()


def _print_eval(term: Terminal, report) -> None:  # noqa: ANN001
    from rich.table import Table

    data = report.to_json() if hasattr(report, "to_json") else report
    t = Table(title=f"Held-out evaluation (scorer AUC {_f(data.get('scorer', {}).get('auc'))})")
    cols = ("variant", *(m.name for m in choices.metric_choices(brief=True)))
    for c in cols:
        t.add_column(c)
    for row in data.get("rows", []):
        t.add_row(*[row[c] if c == "variant" else _f(row.get(c)) for c in cols])
    term.console.print(t)


def _f(v) -> str:  # noqa: ANN001
    return "-" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
