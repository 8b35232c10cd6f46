"""``ownvoice embed [--status] [--json]``: embed what an import left for later.

An import embeds what learning reads (the newest reply pairs) before it returns, then
the rest (``ingest.store.store.Store.embed_rest``): the older reply pairs, the user's own
messages, everyone else's, then document passages. That pass stops safely on Ctrl-C or a
kill; this command resumes it, each message embedded once. ``--status`` only says how
far it is.
"""

from __future__ import annotations

import argparse

from app.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("embed", help="embed the rest of the archive: older replies, then search (resumes where it stopped)")
    p.add_argument("--status", action="store_true", help="only say how much search covers")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from app.coverage import describe
    from ingest.kernel.errors import Cancelled
    from ingest.store.importer import disk_errors
    from ingest.store.store import Store

    embedded = 0
    stopped = False
    with Store.open(ctx.data_dir, chroma_url=ctx.config.chroma_url,
                    allow_remote=ctx.config.allow_remote_store) as store:
        if not args.status and store.coverage()["remaining"]:
            with ctx.progress(quiet=args.json) as (progress, cancel):
                try:
                    with disk_errors(store.data_dir):
                        embedded = store.embed_rest(progress, cancel)
                except Cancelled:
                    stopped = True
        coverage = store.coverage()
    if args.json:
        ctx.print_json({"embedded": embedded, "stopped": stopped, "coverage": coverage})
        return 0
    if coverage["remaining"]:
        ctx.console.print(describe(coverage, stopped=True), markup=False)
    else:
        msg, chunks = coverage["messages"], coverage["chunks"]
        ctx.console.print(f"Everything is embedded: {msg['total']:,} messages, {chunks['total']:,} document "
                          f"passages and {coverage['pairs']['total']:,} replies.", markup=False)
    return 0
