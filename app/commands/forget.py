"""``ownvoice forget SOURCE [--yes]``: delete an imported source and all derived from it.

Asks for confirmation unless ``--yes``. Says which voice packs were trained on it
(their manifest routes record ``"sources"``): those must be relearned, which this
command does not do.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forget", help="delete an imported source and everything derived from it")
    p.add_argument("source", help="the source path as `ownvoice sources` lists it")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def packs_using(data_dir: Path, source: str) -> list[str]:
    """Names of voice packs whose manifest routes list ``source``."""
    out = []
    for mf in sorted((data_dir / "voicepacks").glob("*/manifest.json")):
        try:
            routes = json.loads(mf.read_text(encoding="utf-8")).get("routes", {})
        except (OSError, ValueError, AttributeError):
            continue
        if any(source in (r.get("sources") or []) for r in routes.values() if isinstance(r, dict)):
            out.append(mf.parent.name)
    return out


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ingest.errors import UserError
    from ingest.store import Store

    with Store.open(ctx.data_dir, chroma_url=ctx.config.chroma_url,
                    allow_remote=ctx.config.allow_remote_store) as store:
        known = {i.path: i for i in store.sources()}
        key = args.source if args.source in known else str(Path(args.source).expanduser().resolve())
        if key not in known:  # a unique tail, as `ownvoice sources` shows it
            tail = [k for k in known if k.endswith("/" + args.source.strip("/"))]
            key = tail[0] if len(tail) == 1 else key
        if key not in known:
            raise UserError(f"{args.source} is not an imported source.",
                            hint="Run `ownvoice sources` to list them.")
        rep = known[key].report
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError("forget needs confirmation.", hint="Pass --yes to confirm.")
            answer = input(f"Forget {key} ({rep.seen} items: {rep.own} yours, {rep.others} "
                           "others')? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                ctx.console.print("Nothing forgotten.")
                return 1
        packs = packs_using(ctx.data_dir, key)
        with ctx.progress(quiet=args.json):
            removed = store.forget(key)
    if args.json:
        ctx.print_json({"source": key, "removed": removed, "voicepacks_to_relearn": packs})
        return 0
    ctx.console.print(f"Forgot {key}: {removed} records removed.", markup=False)
    for name in packs:
        ctx.warn(f"The voice pack '{name}' was trained on this source: run `ownvoice learn "
                 f"--pack {name}` to relearn it without it.")
    return 0
