"""``ownvoice learn``: fit the voice scorer and run the chosen distillation routes."""

from __future__ import annotations

import argparse

from app.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("learn", help="learn your voice: retrieval, PLD style prompt, LoRA adapter",
                       description="Fit the voice scorer (always) and run the chosen routes. "
                       "The result is a voice pack under the data directory.")
    p.add_argument("--routes", default="rag,pld",
                   help="comma-separated: rag, pld, lora (or all); default rag,pld")
    p.add_argument("--model", default=None, help="student model: smollm2, gemma3 or a GGUF path")
    p.add_argument("--pack", default=None, help="voice pack name (default from config: default)")
    g = p.add_argument_group("LoRA")
    g.add_argument("--epochs", type=float, default=None)
    g.add_argument("--max-steps", type=int, default=None)
    g.add_argument("--rank", type=int, default=None)
    g.add_argument("--resume", action="store_true", help="continue an interrupted LoRA run")
    g.add_argument("--device", default=None, help="auto, cuda, mps or cpu")
    g = p.add_argument_group("PLD")
    g.add_argument("--teacher", default=None, help="teacher: model name, GGUF path or http(s) URL")
    g.add_argument("--allow-remote-teacher", action="store_true",
                   help="allow a teacher URL: mail text then leaves this machine")
    g.add_argument("--rounds", type=int, default=None, help="closed-loop revision rounds")
    g.add_argument("--fresh", action="store_true", help="discard your edits to the style prompt")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ingest.store import Store
    from trainer.learn import LearnContext, learn, parse_routes
    from trainer.voicepack import VoicePack

    routes = parse_routes(args.routes)
    cfg = ctx.config
    if args.model:
        cfg = cfg.with_(model=args.model)
    if args.teacher:
        cfg = cfg.with_(teacher=args.teacher)
    if args.allow_remote_teacher:
        cfg = cfg.with_(allow_remote_teacher=True)
    options = {k: v for k, v in {
        "model": cfg.model, "epochs": args.epochs, "max_steps": args.max_steps, "rank": args.rank,
        "resume": args.resume, "device": args.device or cfg.device, "teacher": cfg.teacher or None,
        "allow_remote": cfg.allow_remote_teacher, "rounds": args.rounds, "fresh": args.fresh,
    }.items() if v is not None}
    with Store.open(ctx.data_dir) as store:
        pack = VoicePack.open(ctx.data_dir, args.pack or cfg.voicepack)
        lctx = LearnContext(store=store, pack=pack, config=cfg, data_dir=ctx.data_dir, options=options)
        with ctx.progress(quiet=False) as (progress, cancel):
            result = learn(routes, lctx, progress, cancel)
    if args.json:
        ctx.print_json(result)
    else:
        _print_summary(ctx, result)
    return 0


def _print_summary(ctx: Context, result: dict) -> None:
    from rich.table import Table

    t = Table(title="Voice learned", show_header=True)
    t.add_column("route")
    t.add_column("result")
    for name, entry in result.items():
        if not isinstance(entry, dict):
            continue
        keys = {"scorer": ("auc", "ece"), "rag": ("pairs", "k"),
                "pld": ("rules", "clusters", "noise_share", "prompt_tokens", "rounds", "validation_content",
                        "no_style", "prompt"),
                "lora": ("steps", "base_heldout_loss", "heldout_loss", "tokens_per_second", "adapter")}.get(name, ())
        bits = []
        for k in keys or entry.keys():
            if k in entry:
                v = entry[k]
                bits.append(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}")
        t.add_row(name, "  ".join(bits))
    ctx.console.print(t)
    ctx.console.print(f"voice pack: {result.get('voicepack')}")
