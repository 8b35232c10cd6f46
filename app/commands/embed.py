"""``ownvoice embed [--status] [--json]``: embed what an import left for later.

An import embeds what learning reads (the newest reply pairs) before it returns, then
the rest (``ingest.store.store.Store.embed_rest``): the older reply pairs, the user's own
messages, everyone else's, then document passages. That pass stops safely on Ctrl-C or a
kill; this command resumes it, each message embedded once. ``--status`` only says how
far it is.
"""

from __future__ import annotations

import argparse

from app.commands.terminal import Terminal
from app.workflows import archive
from app.workflows.workspace import Workspace
from ingest.kernel.errors import Cancelled


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("embed", help="embed the rest of the archive: older replies, then search (resumes where it stopped)")
    p.add_argument("--status", action="store_true", help="only say how much search covers")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    embedded = 0
    stopped = False
    if not args.status and archive.coverage(ws)["remaining"]:
        with term.progress(quiet=args.json) as (progress, cancel):
            try:
                embedded = archive.embed_rest(ws, progress=progress, cancel=cancel).embedded
            except Cancelled:
                stopped = True
    coverage = archive.coverage(ws)
    if args.json:
        term.print_json({"embedded": embedded, "stopped": stopped, "coverage": coverage})
        return 0
    if coverage["remaining"]:
        term.console.print(archive.describe_coverage(coverage, stopped=True), markup=False)
    else:
        msg, chunks = coverage["messages"], coverage["chunks"]
        term.console.print(f"Everything is embedded: {msg['total']:,} messages, {chunks['total']:,} document "
                           f"passages and {coverage['pairs']['total']:,} replies.", markup=False)
    return 0
