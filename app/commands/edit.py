"""``ownvoice edit``: keep a draft you edited as your own writing, or list the kept ones.

    ownvoice edit --message-id ID --final FILE|- [--draft FILE] [--variant V]
    ownvoice edit --list [--json]

The same workflow the Draft page calls when an edited draft is saved, copied or
opened in the mail client (``app.workflows.drafting.record_edit``): the final text becomes one of
your messages in the source ``edits`` (``forget edits`` removes them all), paired with
the message it answers, for the next ``learn``. ``--list`` shows each kept edit and
whether the reply you really sent has been found since (by In-Reply-To / References).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.terminal import Terminal
from app.workflows import choices, drafting
from app.workflows.workspace import Workspace
from ingest.kernel.errors import UserError


_VARIANTS = ", ".join(c.name for c in choices.variant_choices())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("edit", help="keep an edited draft as your writing, or list the kept edits")
    p.add_argument("--message-id", metavar="ID", help="the stored message the draft answers (Message-ID or store id)")
    p.add_argument("--final", metavar="FILE", help="the text you ended with (- reads standard input)")
    p.add_argument("--draft", metavar="FILE", default=None, help="the draft you started from")
    p.add_argument("--variant", default="", help=f"the variant the draft came from ({_VARIANTS})")
    p.add_argument("--list", action="store_true", help="list the kept edits")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path).expanduser()
    try:
        return p.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UserError(f"Cannot read {p}: {e.strerror or e}.", hint="Pass a text file, or - for standard input.") from e


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    if args.final == "-" and args.draft == "-":
        raise UserError("--final and --draft cannot both read standard input.", hint="Pass one of them as a file.")
    if not args.list and not (args.message_id and args.final):
        raise UserError("Pass --message-id and --final, or --list.",
                        hint="e.g. ownvoice edit --message-id '<abc@host>' --final reply.txt")
    if args.list:
        kept = drafting.kept_edits(ws)
        if args.json:
            term.print_json({**kept.summary, "edits": [e.to_json() for e in kept.edits]})
            return 0
        if not kept.edits:
            term.console.print("No edits kept yet.")
        for e in kept.edits:
            state = "sent version found" if e.sent else "not sent yet (or not imported)"
            term.console.print(f"{e.saved_at[:16].replace('T', ' ')}  {e.subject or '(no subject)'}  "
                               f"[{e.variant or '?'}]  {state}", markup=False, highlight=False)
        return 0
    message = drafting.stored_message(ws, args.message_id)
    kept_id = drafting.record_edit(ws, message, _read(args.draft) if args.draft else "", _read(args.final),
                                   args.variant, "cli")
    out = {"kept": kept_id is not None, "id": kept_id, **drafting.edit_summary(ws)}
    if args.json:
        term.print_json(out)
    else:
        term.console.print("Kept: the next `ownvoice learn` learns from it." if out["kept"]
                           else "Nothing new to keep (empty, or kept before).")
    return 0
