"""``ownvoice draft``: draft replies in your voice, variant by variant, streamed.

The message to answer comes from an .eml file (``--reply-to``, only read), the store
(``--message-id``: the Message-ID header or the store id) or the command line
(``--text``). ``--save DIR`` writes each draft as an .eml reply.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.context import Context
from ingest.kernel.errors import UserError
from ingest.kernel.records import Message


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("draft", help="draft replies to a message in your voice",
                       description="Draft a reply with each voice variant (base, rag, pld, lora, full) "
                       "and stream it. Nothing is sent: --save writes .eml files to open in your mail client.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--reply-to", metavar="FILE.eml", help="the message to answer, as an .eml file")
    src.add_argument("--message-id", metavar="ID", help="a stored message: its Message-ID header or store id")
    src.add_argument("--text", metavar="TEXT", help="the message to answer, as plain text")
    p.add_argument("--variants", default=None,
                   help="comma-separated: base, rag, pld, lora, full (or all); default: the config's `variant` "
                        "(full: everything learned), or base while nothing is learned")
    p.add_argument("-n", type=int, default=1, metavar="K", help="samples per variant (seeds S, S+1, ...)")
    p.add_argument("--model", default=None, metavar="NAME|PATH", help="smollm2, gemma3 or a GGUF path")
    p.add_argument("--max-tokens", type=int, default=None, metavar="N")
    p.add_argument("--temperature", type=float, default=None, metavar="T")
    p.add_argument("--seed", type=int, default=None, metavar="S")
    p.add_argument("--pack", default=None, help="voice pack name (default from config)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of streaming")
    p.add_argument("--save", metavar="DIR", default=None, help="write each draft as an .eml reply into DIR")
    p.add_argument("--gpu-layers", default=None, metavar="N|auto|all",
                   help="layers llama.cpp offloads to the GPU (default: gpu_layers in config.toml, auto)")
    p.add_argument("--context", type=int, default=None, metavar="TOKENS",
                   help="the model's context length (default: context in config.toml, 2048)")
    p.add_argument("--threads", type=int, default=None, metavar="N", help="CPU threads (default: from the cores)")
    p.set_defaults(func=run)


def runtime_settings(cfg, args: argparse.Namespace):  # noqa: ANN001, ANN201 - Config in, Config out
    """``cfg`` with --gpu-layers, --context and --threads applied."""
    from ingest.kernel.config import parse_gpu_layers

    kw = {}
    if getattr(args, "gpu_layers", None) is not None:
        kw["gpu_layers"] = parse_gpu_layers(args.gpu_layers, where="--gpu-layers")
    if getattr(args, "context", None) is not None:
        if args.context < 256:
            raise UserError(f"--context {args.context} is too small.", hint="Use 256 tokens or more (2048 is usual).")
        kw["context"] = args.context
    if getattr(args, "threads", None) is not None:
        kw["threads"] = max(0, args.threads)
    return cfg.with_(**kw) if kw else cfg


def message_from_file(path: str) -> Message:
    """Parse one .eml file with the importer's parser (the file is only read)."""
    from ingest.sources import read_message

    return read_message(path, hint="Pass an .eml file saved from your mail client.")


def _open_store(ctx: Context, required: bool):  # noqa: ANN202
    from ingest.store.store import Store

    if not required and not (ctx.data_dir / "state.sqlite").exists():
        return None
    return Store.open(ctx.data_dir)


def _open_pack(ctx: Context, name: str | None):  # noqa: ANN202
    from trainer.voicepack import VoicePack

    p = ctx.data_dir / "voicepacks" / (name or ctx.config.voicepack)
    return VoicePack.load(p) if (p / "manifest.json").exists() else None


def run(args: argparse.Namespace, ctx: Context) -> int:
    from trainer.draft.drafting import draft, export_eml, parse_variants

    variants = parse_variants(args.variants) if args.variants else None
    store = _open_store(ctx, required=bool(args.message_id))
    try:
        if args.message_id:
            mid = args.message_id.strip()
            message = store.by_message_id(mid) or store.get(mid)
            if message is None:
                raise UserError(f"No stored message has the Message-ID or id {mid!r}.",
                                hint="Check the id (`ownvoice search` shows ids), or use --reply-to FILE.eml.")
        elif args.reply_to:
            message = message_from_file(args.reply_to)
        else:
            if not args.text.strip():
                raise UserError("--text is empty.", hint="Pass the message to answer.")
            message = Message(source="cli", item="text", body=args.text, text=args.text)
        pack = _open_pack(ctx, args.pack)
        from ingest.store.store import with_identity

        cfg = with_identity(ctx.config, store) if store is not None else ctx.config  # the store's user
        cfg = runtime_settings(cfg, args)
        if args.save and not cfg.me:
            raise UserError("--save needs your address for the From line, and none is known.",
                            hint="Import your mail with --me ADDR (or set `me` in config.toml).")
        stream = _Streamer(ctx) if not args.json else None
        with ctx.progress(quiet=True) as (progress, cancel):
            result = draft(message, variants=variants, n=args.n, store=store, pack=pack, config=cfg,
                           on_token=stream.token if stream else None,
                           on_restart=stream.restart if stream else None, progress=progress, cancel=cancel,
                           model=args.model, max_tokens=args.max_tokens, temperature=args.temperature,
                           seed=args.seed)
        if stream:
            stream.end()
    finally:
        if store is not None:
            store.close()
    saved = []
    if args.save:
        for d in result.drafts:
            saved.append(str(export_eml(d, result.message, cfg, Path(args.save))))
    if args.json:
        ctx.print_json(_json(result, saved))
    else:
        _summary(ctx, result, saved)
    return 130 if result.cancelled else 0


class _Streamer:
    """Prints tokens as they come, with a rule before each variant/sample."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.current = ctx, None

    def token(self, variant: str, sample: int, text: str) -> None:
        if (variant, sample) != self.current:
            if self.current is not None:
                self.ctx.console.print()
            self.ctx.console.rule(f"[bold]{variant}[/] #{sample + 1}", align="left")
            self.current = (variant, sample)
        self.ctx.console.print(text, end="", markup=False, highlight=False, soft_wrap=True)

    def restart(self, variant: str, sample: int, reason: str) -> None:
        """The draft streamed so far is thrown away: say why, then stream its replacement."""
        if self.current is not None:
            self.ctx.console.print()
        self.ctx.console.rule(f"[bold]{variant}[/] #{sample + 1} [yellow]{reason}[/]", align="left")
        self.current = (variant, sample)

    def end(self) -> None:
        if self.current is not None:
            self.ctx.console.print()


def _json(result, saved: list[str]) -> dict:  # noqa: ANN001
    m = result.message
    return {
        "message": {"id": m.id, "message_id": m.message_id, "subject": m.subject, "sender": m.sender,
                    "thread": m.thread},
        "model": result.model,
        "backend": result.backend,
        "drafts": [d.to_json() for d in result.drafts],
        "unavailable": result.unavailable,
        "cancelled": result.cancelled,
        "notes": list(result.notes),
        "register": result.register,
        "saved": saved,
    }


def _summary(ctx: Context, result, saved: list[str]) -> None:  # noqa: ANN001
    for d in result.drafts:
        bits = f"{d.variant} #{d.sample + 1}: {d.tokens} tokens, {d.tokens_per_second:.0f} tok/s"
        if d.flags:
            bits += " - [bold yellow]" + ", ".join(d.flags) + "[/]"
        if d.checks is not None:
            bits += " - " + ("[green]usable[/]" if d.checks.usable else "[red]not usable[/]")
            if d.tries > 1:
                bits += f" (best of {d.tries} samples)"
        ctx.err.print(bits)
        for sp in (d.checks.spans() if d.checks is not None else ()):
            ctx.err.print(f"    {sp.text!r}: {sp.reason}", markup=False, highlight=False)
        for ask in (d.checks.unanswered if d.checks is not None else ()):
            ctx.err.print(f"    not answered: {ask}", markup=False, highlight=False)
    for v, why in result.unavailable.items():
        ctx.warn(f"{v} not drafted: {why}")
    if result.register:
        ctx.err.print(result.register["describe"], markup=False, highlight=False)
    for n in result.notes:
        ctx.err.print(f"[dim]{n}[/]")
    for s in saved:
        ctx.err.print(f"saved {s}")
    if result.cancelled:
        ctx.error("Cancelled: the drafts above are what was written before the stop.")
