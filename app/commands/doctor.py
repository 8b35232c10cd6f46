"""``ownvoice doctor``: check the installation, models, data directory and disk."""

from __future__ import annotations

import argparse

from app.commands.terminal import Terminal
from app.workflows.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check everything ownvoice needs, and how to fix problems")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    from rich.table import Table

    from app.doctor import run_checks

    checks = run_checks(ws.config)
    failed = [c for c in checks if not c.ok and c.level == "error"]
    if args.json:
        term.print_json({"ok": not failed, "checks": [c.to_json() for c in checks]})
    else:
        t = Table(show_header=True, title="ownvoice doctor")
        for col in ("check", "", "detail", "how to fix"):
            t.add_column(col, overflow="fold")
        for c in checks:
            mark = "[green]ok[/]" if c.ok else ("[red]FAIL[/]" if c.level == "error" else "[yellow]warn[/]")
            t.add_row(c.name, mark, c.detail, c.fix)
        term.console.print(t)
        term.console.print("[green]All good.[/]" if not failed else f"[red]{len(failed)} problem(s) to fix.[/]")
    return 1 if failed else 0
