"""``ownvoice learn``: fit the voice scorer and run the chosen distillation routes."""

from __future__ import annotations

import argparse

from app.commands.terminal import Terminal
from app.workflows import choices, voice
from app.workflows.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("learn", help="learn your voice: retrieval, PLD style prompt, LoRA adapter",
                       description="Fit the voice scorer (always) and run the chosen routes. "
                       "The result is a voice pack under the data directory.")
    routes = choices.route_choices()
    p.add_argument("--routes", default=None,
                   help=f"comma-separated: {', '.join(c.name for c in routes)} (or all); "
                        f"default {','.join(c.name for c in routes if c.default)}")
    p.add_argument("--model", default=None, help="student model: smollm2, gemma3 or a GGUF path")
    p.add_argument("--pack", default=None, help="voice pack name (default from config: default)")
    g = p.add_argument_group("LoRA")
    g.add_argument("--epochs", type=float, default=None)
    g.add_argument("--max-steps", type=int, default=None)
    g.add_argument("--budget", default=None, metavar="TIME",
                   help="train on all your reply pairs until this much time is spent (15m, 900s, 1h) "
                        "or the held-out loss stops falling")
    g.add_argument("--rank", type=int, default=None)
    g.add_argument("--resume", action="store_true", help="continue an interrupted LoRA run")
    g.add_argument("--self-distill", action="store_true",
                   help="after training, draft replies to training messages with the adapter, keep those that "
                        "pass every reply check and sound like you, and train again on them and your replies")
    g.add_argument("--device", default=None, help="auto, cuda, mps or cpu")
    g = p.add_argument_group("PLD")
    g.add_argument("--teacher", default=None, help="teacher: model name, GGUF path or http(s) URL")
    g.add_argument("--allow-remote-teacher", action="store_true",
                   help="allow a teacher URL: mail text then leaves this machine")
    g.add_argument("--rounds", type=int, default=None, help="closed-loop revision rounds")
    g.add_argument("--fresh", action="store_true", help="discard your edits to the style prompt")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def parse_duration(text: str) -> float:
    """Seconds in "15m", "900s", "1h", "1h30m" or a bare number of minutes.

    >>> parse_duration("15m"), parse_duration("90s"), parse_duration("1h30m"), parse_duration("2")
    (900.0, 90.0, 5400.0, 120.0)
    """
    import re

    from ingest.kernel.errors import UserError

    t = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        return float(t) * 60
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([hms])", t)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([hms])", "", t).strip():
        raise UserError(f"--budget {text!r} is not a duration.", hint="Write it like 15m, 900s or 1h.")
    secs = sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)
    if secs <= 0:
        raise UserError("--budget must be more than 0.", hint="Write it like 15m.")
    return secs


def run(args: argparse.Namespace, ws: Workspace, term: Terminal) -> int:
    options = {"epochs": args.epochs, "max_steps": args.max_steps, "rank": args.rank, "resume": args.resume,
               "device": args.device, "budget_s": parse_duration(args.budget) if args.budget else None,
               "self_distill": True if args.self_distill else None, "rounds": args.rounds, "fresh": args.fresh}
    with term.progress(quiet=False) as (progress, cancel):
        result = voice.learn(ws, args.routes, options, model=args.model, teacher=args.teacher,
                             allow_remote_teacher=args.allow_remote_teacher, pack=args.pack,
                             progress=progress, cancel=cancel)
    if args.json:
        term.print_json(result)
    else:
        print_summary(term, result)
    return 0


def print_summary(term: Terminal, result: dict) -> None:
    from rich.table import Table

    t = Table(title="Voice learned", show_header=True)
    t.add_column("route")
    t.add_column("result")
    for name, entry in result.items():
        if not isinstance(entry, dict) or name in ("edits", "ready_s"):
            continue
        keys = {"scorer": ("auc", "auc_message", "ece", "family"), "rag": ("pairs", "k"),
                "pld": ("rules", "clusters", "noise_share", "prompt_tokens", "rounds", "validation_content",
                        "no_style", "prompt"),
                "lora": ("steps", "base_heldout_loss", "heldout_loss", "tokens_per_second", "adapter")}.get(name, ())
        bits = []
        for k in keys or entry.keys():
            if k in entry:
                v = entry[k]
                bits.append(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}")
        t.add_row(name, "  ".join(bits))
        if name == "scorer" and isinstance(entry.get("judge"), dict):
            j = entry["judge"]
            t.add_row("judge", "  ".join(f"{k}={j[k]:.3f}" if isinstance(j.get(k), float) else f"{k}={j.get(k)}"
                                        for k in ("auc", "auc_message", "ece", "kind")))
    term.console.print(t)
    if result.get("ready_s"):
        term.console.print("ready after: " + " · ".join(f"{k} {v:.0f} s" for k, v in result["ready_s"].items()),
                          markup=False, highlight=False)
    if (result.get("edits") or {}).get("saved"):
        term.console.print(voice.describe_edits(result["edits"]), markup=False, highlight=False)
    term.console.print(f"voice pack: {result.get('voicepack')}")

