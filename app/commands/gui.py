"""``ownvoice gui``: open the desktop app (or render its pages to PNGs and exit).

Qt is imported only inside ``run`` (through ``app.gui``), so the rest of the CLI
never loads it.
"""

from __future__ import annotations

import argparse

from app.commands.terminal import Terminal
from app.workflows.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop app",
                       description="Open the ownvoice desktop app over the same store and voice pack.")
    p.add_argument("--screenshot", metavar="DIR", default=None,
                   help="render each page offscreen with the current store, save one PNG per page "
                   "into DIR, and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    from app.gui.main import main

    argv = ["--screenshot", args.screenshot] if args.screenshot else []
    rc = main(argv, data_dir=str(ws.data_dir))
    if args.screenshot:
        term.console.print(f"Saved one PNG per page in {args.screenshot}")
    return rc
