"""``ownvoice import PATH... [--me ADDR]... [--json]``: import mail archives and documents.

Shows a progress bar, then one row per source: messages seen, the user's own, others',
duplicates, reply pairs and skipped items (the first few with their reasons). ``--me``
addresses are saved in the store (each data dir has its own user), added to those
given before. Running it again adds only what is new; an
interrupted import resumes where it stopped.
"""

from __future__ import annotations

import argparse

from rich.table import Table

from app.commands.sources import short
from app.context import Context

SHOW_SKIPS = 5


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import mail archives and documents into the local store",
                       description="Import mbox, Maildir, .eml, .msg, .pst files or folders of "
                       "documents. Nothing is written to the sources.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="archives, folders or files")
    p.add_argument("--me", action="append", default=[], metavar="ADDR",
                   help="one of your addresses (repeatable; saved in config)")
    p.add_argument("--json", action="store_true", help="print the reports as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ingest.importer import run_import
    from ingest.store import Store

    given = tuple(dict.fromkeys(m.strip().lower() for m in args.me if m.strip()))
    with Store.open(ctx.data_dir, chroma_url=ctx.config.chroma_url,
                    allow_remote=ctx.config.allow_remote_store) as store:
        with ctx.progress(quiet=args.json) as (progress, cancel):
            # the addresses belong to this store (saved in it), never to the global config
            me = tuple(dict.fromkeys([*store.saved_me(), *given]))  # none: inferred from the Sent folders
            result = run_import(args.paths, store, me, progress, cancel)
    reports = [r.to_json() for r in result.reports]
    for r in reports:
        r["unchanged"] = r["path"] in result.unchanged
    totals = {k: sum(r[k] for r in reports)
              for k in ("seen", "own", "others", "duplicates", "pairs", "documents")}
    totals["skipped"] = sum(len(r["skipped"]) for r in reports)
    if args.json:
        ctx.print_json({"sources": reports, "totals": totals, "me": list(result.me),
                        "me_inferred": result.me_inferred})
        return 0
    table = Table(title="Imported")
    for col in ("source", "kind", "seen", "own", "others", "duplicates", "pairs", "skipped"):
        table.add_column(col, justify="left" if col in ("source", "kind") else "right",
                         no_wrap=col == "source")
    for r in reports:
        name = short(r["path"]) + (" (unchanged)" if r["unchanged"] else "")
        table.add_row(name, r["kind"], *(str(r[k]) for k in
                                          ("seen", "own", "others", "duplicates", "pairs")),
                      str(len(r["skipped"])))
    ctx.console.print(table)
    for r in reports:
        for s in r["skipped"][:SHOW_SKIPS]:
            ctx.console.print(f"  skipped {s['item']}: {s['reason']}", markup=False)
        if len(r["skipped"]) > SHOW_SKIPS:
            ctx.console.print(f"  ... and {len(r['skipped']) - SHOW_SKIPS} more skipped in "
                              f"{r['path']} (see `ownvoice import --json`)", markup=False)
        if r["aliases"]:
            ctx.console.print(f"  These addresses look like yours: {', '.join(r['aliases'])}. "
                              "Add them with --me if they are.", markup=False)
    if result.me_inferred:
        ctx.warn(f"No --me given: took {', '.join(result.me)} (the most frequent sender in your "
                 "Sent folders) as you. Pass --me ADDR to say who you are.")
    elif not result.me:
        ctx.warn("No --me given and no Sent folder found: nothing counts as your own mail. "
                 "Pass --me ADDR.")
    return 0
