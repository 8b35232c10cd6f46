"""``ownvoice forget SOURCE [--yes]``: delete an imported source and all derived from it.

Asks for confirmation unless ``--yes``. Voice packs that learned from it (their
manifest routes record ``"sources"``) have their learned files deleted
(``VoicePack.forget_learned``: weights, PLD explanations and profile, the adapter,
eval reports; a style prompt the user edited is kept) and are marked stale until
``learn`` runs again, which this command does not do (``app.workflows.archive.forget_source``,
the same the Archive page calls).
"""

from __future__ import annotations

import argparse
import sys

from app.commands.terminal import Terminal
from app.workflows import archive
from app.workflows.workspace import Workspace
from ingest.kernel.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forget", help="delete an imported source and everything derived from it")
    p.add_argument("source", help="the source path as `ownvoice sources` lists it")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    src = archive.find_source(ws, args.source)
    key, rep = src.path, src.report
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("forget needs confirmation.", hint="Pass --yes to confirm.")
        answer = input(f"Forget {key} ({rep.seen} items: {rep.own} yours, {rep.others} "
                       "others')? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            term.console.print("Nothing forgotten.")
            return 1
    with term.progress(quiet=args.json) as (progress, cancel):
        done = archive.forget_source(ws, key, progress=progress, cancel=cancel)
    if args.json:
        term.print_json({"source": key, "removed": done.removed, "voicepacks_to_relearn": done.packs,
                         "voicepacks_cleared": done.cleared})
        return 0
    term.console.print(f"Forgot {key}: {done.removed} records removed.", markup=False)
    for name in done.packs:
        kept = done.cleared[name]["kept"]
        term.warn(f"The voice pack '{name}' had learned from this source: its learned files were deleted"
                  + (f" (your edited {', '.join(kept)} was kept: it may quote the forgotten mail)" if kept else "")
                  + f". Run `ownvoice learn --pack {name}` to learn again from the mail that is left.")
    return 0
