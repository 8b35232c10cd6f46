"""``ownvoice sources [--json]``: list what has been imported, with per-source counts."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from app.commands.terminal import Terminal
from app.workflows import archive
from app.workflows.workspace import Workspace


def short(path: str) -> str:
    """The last two parts of a source path (what `forget` also accepts)."""
    parts = Path(path).parts
    return str(Path(*parts[-2:])) if len(parts) >= 2 else path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sources", help="list imported sources")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    got = archive.sources_and_me(ws)
    infos, me, inferred = got.sources, got.me, got.me_inferred
    if args.json:
        term.print_json({"sources": [{**i.report.to_json(), "imported_at": i.imported_at}
                                    for i in infos], "me": list(me), "me_inferred": inferred})
        return 0
    if not infos:
        term.console.print("Nothing imported yet. Run `ownvoice import PATH`.")
        return 0
    table = Table(title="Sources")
    for col in ("source", "kind", "imported", "seen", "own", "others", "duplicates", "pairs",
                "skipped"):
        table.add_column(col, justify="left" if col in ("source", "kind", "imported") else "right",
                         no_wrap=col == "source")
    for i in infos:
        r = i.report
        table.add_row(short(i.path), i.kind, (i.imported_at or "interrupted")[:16].replace("T", " "), str(r.seen), str(r.own),
                      str(r.others), str(r.duplicates), str(r.pairs), str(len(r.skipped)))
    term.console.print(table)
    term.console.print("Full paths: `ownvoice sources --json`. `ownvoice forget` takes either.")
    return 0
