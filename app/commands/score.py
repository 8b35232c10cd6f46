"""``ownvoice score``: how much a text sounds like you, sentence by sentence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands.terminal import Terminal
from app.workflows import evaluation
from app.workflows.workspace import Workspace
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


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    text = _read(args)
    if args.judge:
        with term.progress(quiet=args.json) as (progress, cancel):
            out = evaluation.score_text(ws, text, pack=args.pack, judge=args.judge, leak=args.leak,
                                        thread=args.thread, progress=progress, cancel=cancel)
    else:
        out = evaluation.score_text(ws, text, pack=args.pack, leak=args.leak, thread=args.thread)
    if args.json:
        term.print_json(out)
        return 0
    from rich.text import Text

    for a in out["atoms"]:
        s = a["score"]
        colour = COLOURS[evaluation.atom_bin(s)] if s is not None else "dim"
        line = Text(f"{'-' if s is None else f'{s:.2f}':>5}  ", style=colour)
        line.append(a["text"].replace("\n", " "), style=colour)
        if a.get("leak"):
            line.append("  [leak]", style="bold red")
        term.console.print(line)

    def f(v):  # noqa: ANN001, ANN202
        return "n/a" if v is None else f"{v:.2f}"

    term.console.print(f"ACC_atom {f(out['acc'])}  IC_atom {f(out['ic'])}  mean {f(out['mean'])}  "
                      f"words {out['words']} (typical {out['typical_words'] or 'n/a'}, "
                      f"ratio {f(out['length_ratio'])})" + (f"  leak {f(out['leak'])}" if args.leak else ""),
                      highlight=False)
    term.console.print(f"scorer held-out AUC {f(out['scorer']['auc'])}, ECE {f(out['scorer']['ece'])}",
                      style="dim", highlight=False)
    return 0
