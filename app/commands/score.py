"""``ownvoice score``: how much a text sounds like you, sentence by sentence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.context import Context
from ingest.kernel.errors import UserError

COLOURS = {"high": "green", "neutral": "yellow", "low": "red"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score a draft against your voice, sentence by sentence",
                       description="Split a text into atoms (sentences, greeting, sign-off) and score each "
                       "1-5 for 'sounds like you' with the voice scorer fitted by `ownvoice learn`; "
                       "prints ACC_atom, IC_atom and the length against your typical reply.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text to score")
    src.add_argument("file", nargs="?", help="a text file to score ('-' reads stdin)")
    p.add_argument("--pack", default=None, help="voice pack name (default from config: default)")
    p.add_argument("--judge", default=None, metavar="MODEL",
                   help="rate atoms with this local GGUF model (LLM judge) instead of the voice scorer")
    p.add_argument("--leak", action="store_true",
                   help="also check for text copied from your archive (needs the imported store)")
    p.add_argument("--thread", default=None, help="with --leak: the thread being answered (not a leak)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def _read(args: argparse.Namespace) -> str:
    if args.text is not None:
        return args.text
    if args.file == "-":
        return sys.stdin.read()
    path = Path(args.file)
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError as e:
        raise UserError(f"{path} does not exist.", hint="Pass a text file or --text.") from e
    except IsADirectoryError as e:
        raise UserError(f"{path} is a folder.", hint="Pass a text file or --text.") from e


def run(args: argparse.Namespace, ctx: Context) -> int:
    from trainer.score.atoms import split_atoms
    from trainer.score.checks import leak
    from trainer.score.metrics import bin_of
    from trainer.score.scorer import VoiceScorer, draft_score
    from trainer.voicepack import VoicePack

    text = _read(args)
    if not text.strip():
        raise UserError("There is no text to score.", hint="Pass --text or a non-empty file.")
    pack = VoicePack.open(ctx.data_dir, args.pack or ctx.config.voicepack)
    scorer = VoiceScorer.load(pack)
    store = None
    if args.leak or args.judge or scorer.has_embeddings:
        from ingest.store.store import Store

        store = Store.open(ctx.data_dir)
    try:
        atoms = split_atoms(text)
        if args.judge:
            from trainer.score.judge import LLMJudge

            judge = LLMJudge.from_model(args.judge, store, threads=ctx.config.threads or None,
                                         gpu_layers=ctx.config.gpu_layers)
            with ctx.progress(quiet=args.json) as (progress, cancel):
                scores = judge.score_atoms(atoms, progress=progress, cancel=cancel)
        else:
            scores = scorer.score_atoms(atoms, embed=store.embed if store is not None else None)
        ds = draft_score(text, atoms, scores, scorer.typical_words)
        out = ds.to_json()
        out["scorer"] = {"auc": scorer.metrics.get("auc"), "ece": scorer.metrics.get("ece"),
                         "judge": args.judge or "voice scorer"}
        if args.leak:
            rep = leak(text, store, exclude_thread=args.thread, atoms=atoms)
            out["leak"] = rep.rate
            leaked = {(a.start, a.end) for a in rep.leaked}
            for a in out["atoms"]:
                a["leak"] = (a["start"], a["end"]) in leaked
    finally:
        if store is not None:
            store.close()
    if args.json:
        ctx.print_json(out)
        return 0
    from rich.text import Text

    for a in out["atoms"]:
        s = a["score"]
        colour = COLOURS[bin_of(s)] if s is not None else "dim"
        line = Text(f"{'-' if s is None else f'{s:.2f}':>5}  ", style=colour)
        line.append(a["text"].replace("\n", " "), style=colour)
        if a.get("leak"):
            line.append("  [leak]", style="bold red")
        ctx.console.print(line)

    def f(v):  # noqa: ANN001, ANN202
        return "n/a" if v is None else f"{v:.2f}"

    ctx.console.print(f"ACC_atom {f(out['acc'])}  IC_atom {f(out['ic'])}  mean {f(out['mean'])}  "
                      f"words {out['words']} (typical {out['typical_words'] or 'n/a'}, "
                      f"ratio {f(out['length_ratio'])})" + (f"  leak {f(out['leak'])}" if args.leak else ""),
                      highlight=False)
    ctx.console.print(f"scorer held-out AUC {f(out['scorer']['auc'])}, ECE {f(out['scorer']['ece'])}",
                      style="dim", highlight=False)
    return 0
