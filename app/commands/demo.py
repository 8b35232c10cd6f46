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

from app.context import Context
from app.paths import resources_dir

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


def run(args: argparse.Namespace, ctx: Context) -> int:
    from rich.panel import Panel
    from rich.rule import Rule

    from ingest.kernel.config import load_config, resolve_data_dir
    from ingest.kernel.errors import UserError
    from ingest.store.importer import import_sources
    from ingest.store.store import Store
    from trainer.draft.drafting import draft
    from trainer.evaluate.harness import evaluate
    from trainer.learn.routes import LearnContext, learn, parse_routes
    from trainer.score.scorer import VoiceScorer
    from trainer.voicepack import VoicePack

    demo_dir = resources_dir() / "demo"  # looked up now, not at import: `--help` works without it
    if not (demo_dir / "Sent.mbox").exists():
        raise UserError(f"The demo archive is missing from {demo_dir}.", hint="Reinstall ownvoice.")
    explicit = bool(ctx.config.data_dir)
    data_dir = ctx.data_dir if explicit else resolve_data_dir(ctx.config.with_(
        data_dir=str(resolve_data_dir(ctx.config) / "demo")))
    cfg = ctx.config.with_(me=DEMO_ME, max_tokens=args.max_tokens, data_dir=str(data_dir))
    con = ctx.console
    timings: dict[str, float] = {}
    con.print(Rule("[bold]ownvoice demo[/]: Wren Halloway, cider maker (fictional)"))
    con.print(f"data directory: {data_dir}")
    with Store.open(data_dir) as store, ctx.progress() as (progress, cancel):
        t0 = time.perf_counter()
        reports = import_sources([demo_dir / f for f in DEMO_FILES], store, list(DEMO_ME), progress=progress, cancel=cancel)
        store.embed_rest(progress, cancel)  # the search index too: the demo archive is small
        timings["import_s"] = time.perf_counter() - t0
        _print_import(ctx, reports)

        t0 = time.perf_counter()
        pack = VoicePack.open(data_dir, cfg.voicepack)
        routes = "rag,pld,lora" if args.lora_steps > 0 else "rag,pld"
        lctx = LearnContext(store=store, pack=pack, config=cfg, data_dir=data_dir,
                            options={"max_steps": args.lora_steps, "grad_accum": 1, "seq_len": 384,
                                     "rounds": 1, "explain_pairs": args.pld_pairs, "validation": 4,
                                     "model": cfg.model})
        learned = learn(parse_routes(routes), lctx, progress, cancel)
        timings["learn_s"] = time.perf_counter() - t0
        _print_learned(ctx, learned)

        t0 = time.perf_counter()
        scorer = VoiceScorer.load(pack)
        variants = ["base", "rag", "pld"] + (["lora", "full"] if args.lora_steps > 0 else [])
        drafted = []
        for mid in DEMO_TARGETS:
            msg = store.by_message_id(mid)
            if msg is None:
                ctx.warn(f"demo message <{mid}> not found in the store; skipped")
                continue
            res = draft(msg, variants=variants, n=1, store=store, pack=pack, config=cfg,
                        progress=progress, cancel=cancel)
            drafted.append(res)
        timings["draft_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = evaluate(store, pack, cfg, variants=tuple(variants), n=1, limit=args.eval_limit,
                          progress=progress, cancel=cancel)
        timings["eval_s"] = time.perf_counter() - t0

    for res in drafted:
        m = res.message
        con.print(Rule(f"Re: {m.subject}  (from {m.sender_name or m.sender})"))
        con.print(Panel(m.text.strip()[:900] or m.body.strip()[:900], title="the message", border_style="dim"))
        for d in res.drafts:
            s = scorer.score_text(d.text)
            _print_draft(ctx, d, s)
        for v, why in res.unavailable.items():
            con.print(f"[yellow]{v}[/]: not available ({why})")
    _print_eval(ctx, report)
    con.print(f"timings: " + ", ".join(f"{k}={v:.0f}s" for k, v in timings.items()))
    if args.json:
        ctx.print_json({"timings": timings, "learn": learned,
                        "eval": report.to_json() if hasattr(report, "to_json") else None})
    if not args.no_gui and _has_display():
        from app.gui.main import main as gui_main

        return gui_main([], data_dir=str(data_dir))
    return 0


def _print_import(ctx: Context, reports) -> None:  # noqa: ANN001
    from rich.table import Table

    t = Table(title="Imported")
    for col in ("source", "kind", "seen", "own", "others", "duplicates", "pairs", "skipped"):
        t.add_column(col)
    for r in reports:
        t.add_row(Path(r.path).name, r.kind, str(r.seen), str(r.own), str(r.others), str(r.duplicates),
                  str(r.pairs), str(len(r.skipped)))
    ctx.console.print(t)


def _print_learned(ctx: Context, learned: dict) -> None:
    from app.commands.learn import _print_summary

    _print_summary(ctx, learned)


def _print_draft(ctx: Context, d, score) -> None:  # noqa: ANN001
    from rich.text import Text

    head = f"[bold]{d.variant}[/]  ACC={_f(score.acc)} IC={_f(score.ic)}  {d.tokens} tokens, " \
           f"{d.tokens_per_second:.0f} tok/s" + (f"  [red]flags: {', '.join(d.flags)}[/]" if d.flags else "")
    if d.checks is not None:
        head += "  [green]usable[/]" if d.checks.usable else "  [red]not usable[/]"
    ctx.console.print(head)
    text = Text()
    for a in score.scores:
        colour = "green" if a.score >= 1 + 8 / 3 else ("yellow" if a.score >= 1 + 4 / 3 else "red")
        text.append(a.atom.text, style=colour)
        text.append(" ")
    ctx.console.print(text if score.scores else d.text)
    for sp in (d.checks.spans() if d.checks is not None else ()):
        ctx.console.print(f"  [red]{sp.text!r}[/]: {sp.reason}", highlight=False)
    for ask in (d.checks.unanswered if d.checks is not None else ()):
        ctx.console.print(f"  [yellow]not answered:[/] {ask}", highlight=False)
    ctx.console.print()


def _print_eval(ctx: Context, report) -> None:  # noqa: ANN001
    from rich.table import Table

    data = report.to_json() if hasattr(report, "to_json") else report
    t = Table(title=f"Held-out evaluation (scorer AUC {_f(data.get('scorer', {}).get('auc'))})")
    cols = ("variant", "acc", "ic", "rc", "content", "length_ratio", "leak", "usable", "role_ok", "answered")
    for c in cols:
        t.add_column(c)
    for row in data.get("rows", []):
        t.add_row(*[row[c] if c == "variant" else _f(row.get(c)) for c in cols])
    ctx.console.print(t)


def _f(v) -> str:  # noqa: ANN001
    return "-" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
