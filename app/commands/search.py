"""``ownvoice search "text" [--mine] [-k N] [--json]``: semantic search over the store.

Until the background pass has embedded everything (``ownvoice embed``), it searches
what is embedded and says how much that is (``coverage`` in ``--json``)."""

from __future__ import annotations

import argparse

from app.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find imported mail and documents by meaning")
    p.add_argument("text", help="what to look for")
    p.add_argument("--mine", action="store_true", help="only your own mail and documents")
    p.add_argument("-k", type=int, default=5, help="how many hits (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ingest.kernel.errors import UserError
    from ingest.store.store import Store

    if args.k < 1:
        raise UserError("-k must be at least 1.", hint="Pass -k 5, for example.")
    with Store.open(ctx.data_dir, chroma_url=ctx.config.chroma_url,
                    allow_remote=ctx.config.allow_remote_store) as store:
        if store.count() == 0 and not any(True for _ in store.documents()):
            raise UserError("The store is empty.", hint="Run `ownvoice import PATH` first.")
        hits = store.search(args.text, k=args.k, mine=args.mine)
        coverage = store.coverage()
    if args.json:
        ctx.print_json({"coverage": coverage, "hits": [{
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
        ctx.console.print(head, markup=False, highlight=False)
        snippet = " ".join(h.text.split())
        ctx.console.print("    " + (snippet[:200] + ("..." if len(snippet) > 200 else "")),
                          markup=False, highlight=False)
    if not hits:
        ctx.console.print("No hits.")
    if coverage["pending"]:
        done = sum(coverage[k]["embedded"] for k in ("messages", "chunks"))
        ctx.console.print(f"Searched {done:,} of {done + coverage['pending']:,} messages and passages "
                          f"({int(coverage['share'] * 100)}%): the rest are not embedded yet; `ownvoice embed` does it.",
                          markup=False)
    return 0
