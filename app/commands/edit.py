"""``ownvoice edit``: keep a draft you edited as your own writing, or list the kept ones.

    ownvoice edit --message-id ID --final FILE|- [--draft FILE] [--variant V]
    ownvoice edit --list [--json]

The same library call the Draft page makes when an edited draft is saved, copied or
opened in the mail client (``ingest.store.edits.record``): the final text becomes one of
your messages in the source ``edits`` (``forget edits`` removes them all), paired with
the message it answers, for the next ``learn``. ``--list`` shows each kept edit and
whether the reply you really sent has been found since (by In-Reply-To / References).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.context import Context
from ingest.kernel.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("edit", help="keep an edited draft as your writing, or list the kept edits")
    p.add_argument("--message-id", metavar="ID", help="the stored message the draft answers (Message-ID or store id)")
    p.add_argument("--final", metavar="FILE", help="the text you ended with (- reads standard input)")
    p.add_argument("--draft", metavar="FILE", default=None, help="the draft you started from")
    p.add_argument("--variant", default="", help="the variant the draft came from (base, rag, pld, lora, full)")
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


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ingest.store.edits import edits, record, summary
    from ingest.store.store import Store, with_identity

    if args.final == "-" and args.draft == "-":
        raise UserError("--final and --draft cannot both read standard input.", hint="Pass one of them as a file.")
    if not args.list and not (args.message_id and args.final):
        raise UserError("Pass --message-id and --final, or --list.",
                        hint="e.g. ownvoice edit --message-id '<abc@host>' --final reply.txt")
    with Store.open(ctx.data_dir, chroma_url=ctx.config.chroma_url,
                    allow_remote=ctx.config.allow_remote_store) as store:
        if args.list:
            kept = edits(store)
            if args.json:
                ctx.print_json({**summary(store), "edits": [e.to_json() for e in kept]})
                return 0
            if not kept:
                ctx.console.print("No edits kept yet.")
            for e in kept:
                state = "sent version found" if e.sent else "not sent yet (or not imported)"
                ctx.console.print(f"{e.saved_at[:16].replace('T', ' ')}  {e.subject or '(no subject)'}  "
                                  f"[{e.variant or '?'}]  {state}", markup=False, highlight=False)
            return 0
        mid = args.message_id.strip()
        message = store.by_message_id(mid) or store.get(mid)
        if message is None:
            raise UserError(f"No stored message has the Message-ID or id {mid!r}.",
                            hint="Check the id (`ownvoice search` shows ids).")
        me = tuple(with_identity(ctx.config, store).me or ())
        kept_id = record(store, message, draft=_read(args.draft) if args.draft else "", final=_read(args.final),
                         variant=args.variant, how="cli", me=me[0] if me else "")
        out = {"kept": kept_id is not None, "id": kept_id, **summary(store)}
    if args.json:
        ctx.print_json(out)
    else:
        ctx.console.print("Kept: the next `ownvoice learn` learns from it." if out["kept"]
                          else "Nothing new to keep (empty, or kept before).")
    return 0
