"""``ownvoice draft``: draft replies in your voice, variant by variant, streamed.

The message to answer comes from an .eml file (``--reply-to``, only read), the store
(``--message-id``: the Message-ID header or the store id) or the command line
(``--text``). Each draft is scored as the Draft page scores it (``app.workflows.drafting``):
ACC and IC in the summary, the atom scores and RC in ``--json``. ``--save DIR`` writes
each draft as an .eml reply.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.terminal import Terminal
from app.workflows import choices, drafting
from app.workflows.workspace import Workspace
from ingest.kernel.errors import UserError


_VARIANTS = ", ".join(c.name for c in choices.variant_choices())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("draft", help="draft replies to a message in your voice",
                       description=f"Draft a reply with each voice variant ({_VARIANTS}) "
                       "and stream it. Nothing is sent: --save writes .eml files to open in your mail client.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--reply-to", metavar="FILE.eml", help="the message to answer, as an .eml file")
    src.add_argument("--message-id", metavar="ID", help="a stored message: its Message-ID header or store id")
    src.add_argument("--text", metavar="TEXT", help="the message to answer, as plain text")
    p.add_argument("--variants", default=None,
                   help=f"comma-separated: {_VARIANTS} (or all); default: the config's `variant` "
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


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    from trainer.draft.drafting import parse_variants

    variants = parse_variants(args.variants) if args.variants else None
    if args.message_id:
        message = drafting.stored_message(
            ws, args.message_id, hint="Check the id (`ownvoice search` shows ids), or use --reply-to FILE.eml.")
    elif args.reply_to:
        message = drafting.message_from_eml(args.reply_to, hint="Pass an .eml file saved from your mail client.")
    else:
        if not args.text.strip():
            raise UserError("--text is empty.", hint="Pass the message to answer.")
        message = drafting.message_from_text(args.text)
    cfg = drafting.runtime_settings(drafting.draft_config(ws), gpu_layers=args.gpu_layers, context=args.context,
                                    threads=args.threads, model=args.model, max_tokens=args.max_tokens,
                                    temperature=args.temperature, seed=args.seed)
    if args.save and not cfg.me:
        raise UserError("--save needs your address for the From line, and none is known.",
                        hint="Import your mail with --me ADDR (or set `me` in config.toml).")
    stream = _Streamer(term) if not args.json else None
    with term.progress(quiet=True) as (progress, cancel):
        scored = drafting.draft(ws, message, variants, args.n, on_token=stream.token if stream else None,
                                on_restart=stream.restart if stream else None, config=cfg, pack=args.pack,
                                partial=True, progress=progress, cancel=cancel)
    if stream:
        stream.end()
    result = scored.result
    saved = [str(drafting.export_eml(ws, d, result.message, Path(args.save), cfg)) for d in result.drafts] \
        if args.save else []
    if args.json:
        term.print_json(_json(scored, saved))
    else:
        _summary(term, scored, saved)
    return 130 if result.cancelled else 0


class _Streamer:
    """Prints tokens as they come, with a rule before each variant/sample."""

    def __init__(self, term: Terminal) -> None:
        self.term, self.current = term, None

    def token(self, variant: str, sample: int, text: str) -> None:
        if (variant, sample) != self.current:
            if self.current is not None:
                self.term.console.print()
            self.term.console.rule(f"[bold]{variant}[/] #{sample + 1}", align="left")
            self.current = (variant, sample)
        self.term.console.print(text, end="", markup=False, highlight=False, soft_wrap=True)

    def restart(self, variant: str, sample: int, reason: str) -> None:
        """The draft streamed so far is thrown away: say why, then stream its replacement."""
        if self.current is not None:
            self.term.console.print()
        self.term.console.rule(f"[bold]{variant}[/] #{sample + 1} [yellow]{reason}[/]", align="left")
        self.current = (variant, sample)

    def end(self) -> None:
        if self.current is not None:
            self.term.console.print()


def _json(scored: drafting.ScoredDrafts, saved: list[str]) -> dict:
    result = scored.result
    m = result.message
    drafts = []
    for d in result.drafts:
        sc = scored.scores.get((d.variant, d.sample))
        drafts.append({**d.to_json(), "score": sc.to_json() if sc is not None else None})
    return {
        "message": {"id": m.id, "message_id": m.message_id, "subject": m.subject, "sender": m.sender,
                    "thread": m.thread},
        "model": result.model,
        "backend": result.backend,
        "drafts": drafts,
        "rc": scored.rc,
        "scorer_note": scored.scorer_note,
        "unavailable": result.unavailable,
        "cancelled": result.cancelled,
        "notes": list(result.notes),
        "register": result.register,
        "saved": saved,
    }


def _f(v) -> str:  # noqa: ANN001
    return "n/a" if v is None else f"{v:.2f}"


def _summary(term: Terminal, scored: drafting.ScoredDrafts, saved: list[str]) -> None:
    result = scored.result
    for d in result.drafts:
        bits = f"{d.variant} #{d.sample + 1}: {d.tokens} tokens, {d.tokens_per_second:.0f} tok/s"
        sc = scored.scores.get((d.variant, d.sample))
        if sc is not None:
            bits += f", ACC {_f(sc.score.acc)} IC {_f(sc.score.ic)}"
            if sc.leaked:
                bits += f", [bold red]{len(sc.leaked)} leaked[/]"
        if d.flags:
            bits += " - [bold yellow]" + ", ".join(d.flags) + "[/]"
        if d.checks is not None:
            bits += " - " + ("[green]usable[/]" if d.checks.usable else "[red]not usable[/]")
            if d.tries > 1:
                bits += f" (best of {d.tries} samples)"
        term.err.print(bits)
        for sp in (d.checks.spans() if d.checks is not None else ()):
            term.err.print(f"    {sp.text!r}: {sp.reason}", markup=False, highlight=False)
        for ask in (d.checks.unanswered if d.checks is not None else ()):
            term.err.print(f"    not answered: {ask}", markup=False, highlight=False)
    for v, rc in sorted(scored.rc.items()):
        if rc is not None:
            term.err.print(f"{v}: RC {rc:.2f} over {sum(1 for d in result.drafts if d.variant == v)} samples",
                           highlight=False)
    if scored.scorer_note and result.drafts:
        term.err.print(f"[dim]unscored: {scored.scorer_note}[/]", highlight=False)
    for v, why in result.unavailable.items():
        term.warn(f"{v} not drafted: {why}")
    if result.register:
        term.err.print(result.register["describe"], markup=False, highlight=False)
    for n in result.notes:
        term.err.print(f"[dim]{n}[/]")
    for s in saved:
        term.err.print(f"saved {s}")
    if result.cancelled:
        term.error("Cancelled: the drafts above are what was written before the stop.")
