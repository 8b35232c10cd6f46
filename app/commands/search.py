"""``ownvoice search "text" [--mine] [-k N] [--json]``: semantic search over the store.

Until the background pass has embedded everything (``ownvoice embed``), it searches
what is embedded and says how much that is (``coverage`` in ``--json``)."""

from __future__ import annotations

import argparse

from app.commands.terminal import Terminal
from app.workflows import archive
from app.workflows.workspace import Workspace
from ingest.kernel.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find imported mail and documents by meaning")
    p.add_argument("text", help="what to look for")
    p.add_argument("--mine", action="store_true", help="only your own mail and documents")
    p.add_argument("-k", type=int, default=5, help="how many hits (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    if args.k < 1:
        raise UserError("-k must be at least 1.", hint="Pass -k 5, for example.")
    if archive.is_empty(ws):
        raise UserError("The store is empty.", hint="Run `ownvoice import PATH` first.")
    hits = archive.search(ws, args.text, args.k, args.mine)
    coverage = archive.coverage(ws)
    if args.json:
        term.print_json({"coverage": coverage, "hits": [{
            "id": h.id, "score": round(h.score, 4), "kind": h.kind, "text": h.text,
            "sender": h.message.sender if h.message else None,
            "subject": h.message.subject if h.message else None,
            "date": h.message.date.isoformat() if h.message and h.message.date else None,
        } for h in hits]})
        return 0
    for h in hits:
        head = f"{h.score:.3f} {h.kind}"
        if h.message:
            head += f"  {h.message.sender}  {h.message.subject!r}"
        term.console.print(head, markup=False, highlight=False)
        snippet = " ".join(h.text.split())
        term.console.print("    " + (snippet[:200] + ("..." if len(snippet) > 200 else "")),
                          markup=False, highlight=False)
    if not hits:
        term.console.print("No hits.")
    if coverage["pending"]:
        done = sum(coverage[k]["embedded"] for k in ("messages", "chunks"))
        term.console.print(f"Searched {done:,} of {done + coverage['pending']:,} messages and passages "
                          f"({int(coverage['share'] * 100)}%): the rest are not embedded yet; `ownvoice embed` does it.",
                          markup=False)
    return 0
