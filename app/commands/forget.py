"""``ownvoice forget SOURCE [--yes]``: delete an imported source and all derived from it.

Asks for confirmation unless ``--yes``. Voice packs that learned from it (their
manifest routes record ``"sources"``) have their learned files deleted
(``VoicePack.forget_learned``: weights, PLD explanations and profile, the adapter,
eval reports; a style prompt the user edited is kept) and are marked stale until
``learn`` runs again, which this command does not do.
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


def clear_packs(data_dir: Path, names: list[str], source: str) -> dict[str, dict]:
    """Delete what each named voice pack learned from the mail (``source`` was forgotten)."""
    from trainer.voicepack import VoicePack

    out = {}
    for name in names:
        pack = VoicePack.load(data_dir / "voicepacks" / name)
        out[name] = pack.forget_learned(f"it had learned from {source}, which was forgotten")
    return out


def packs_using(data_dir: Path, source: str) -> list[str]:
    """Names of voice packs that learned from ``source`` (``learn`` records the store's sources)."""
    out = []
    for mf in sorted((data_dir / "voicepacks").glob("*/manifest.json")):
        try:
            m = json.loads(mf.read_text(encoding="utf-8"))
            routes = m.get("routes", {})
        except (OSError, ValueError, AttributeError):
            continue
        if source in (m.get("sources") or []) or any(
                source in (r.get("sources") or []) for r in routes.values() if isinstance(r, dict)):
            out.append(mf.parent.name)
    return out


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ingest.kernel.errors import UserError
    from ingest.store.store import Store

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
            cleared = clear_packs(ctx.data_dir, packs, key)
    if args.json:
        ctx.print_json({"source": key, "removed": removed, "voicepacks_to_relearn": packs,
                        "voicepacks_cleared": cleared})
        return 0
    ctx.console.print(f"Forgot {key}: {removed} records removed.", markup=False)
    for name in packs:
        kept = cleared[name]["kept"]
        ctx.warn(f"The voice pack '{name}' had learned from this source: its learned files were deleted"
                 + (f" (your edited {', '.join(kept)} was kept: it may quote the forgotten mail)" if kept else "")
                 + f". Run `ownvoice learn --pack {name}` to learn again from the mail that is left.")
    return 0
