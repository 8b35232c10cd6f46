"""``ownvoice eval``: held-out evaluation of every voice variant against your real replies."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate the voice variants on held-out replies",
                       description="Draft replies to the newest held-out messages with each variant, score "
                       "them sentence by sentence (ACC/IC/RC atom fidelity), content, length and leak, "
                       "with your real replies as the ceiling row ('real').")
    p.add_argument("--person-addresses", "--me", dest="me", action="append", default=None, metavar="ADDR",
                   help="your address(es), comma-separated or repeated (default: from config)")
    p.add_argument("--holdout", type=float, default=0.1, help="newest share of reply pairs held out (0.1)")
    p.add_argument("--variants", default="base,rag,pld,lora,full",
                   help="comma-separated: base, rag, pld, lora, full (default: all)")
    p.add_argument("-n", type=int, default=3, help="samples per variant and message (for RC; default 3)")
    p.add_argument("--limit", type=int, default=None, help="evaluate at most this many held-out messages")
    p.add_argument("--model", default=None, help="student model: smollm2, gemma3 or a GGUF path")
    p.add_argument("--judge", default=None, metavar="MODEL",
                   help="rate atoms with this local GGUF model (LLM judge) instead of the voice scorer")
    p.add_argument("--pack", default=None, help="voice pack name (default from config: default)")
    p.add_argument("--report", default=None, metavar="DIR",
                   help="where to write report.md/.csv/.png (default: the voice pack's eval/)")
    p.add_argument("--fresh", action="store_true",
                   help="start over instead of continuing an interrupted eval with the same settings")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ingest.store.store import Store
    from trainer.draft.drafting import parse_variants
    from trainer.evaluate.harness import CHECKPOINT_REL, evaluate, write_report
    from trainer.score.scorer import VoiceScorer
    from trainer.voicepack import VoicePack

    from ingest.store.store import with_identity

    cfg = ctx.config
    if args.model:
        cfg = cfg.with_(model=args.model)
    variants = parse_variants(args.variants)
    pack = VoicePack.open(ctx.data_dir, args.pack or cfg.voicepack)
    scorer = VoiceScorer.load(pack)  # a clear error before any drafting when there is none
    with Store.open(ctx.data_dir) as store:
        cfg = with_identity(cfg, store)  # the store's user; an explicit --me wins
        if args.me:
            cfg = cfg.with_(me=tuple(a.strip().lower() for v in args.me for a in v.split(",") if a.strip()))
        pairs = store.coverage()["pairs"]
        if pairs["embedded"] < pairs["total"]:  # retrieval for the held-out messages sees only these
            ctx.warn(f"Retrieval sees {pairs['embedded']:,} of your {pairs['total']:,} replies (the rest are "
                     "not embedded yet), so the rag rows understate it. Run `ownvoice embed` first for a full eval.")
        judge = None
        if args.judge:
            from trainer.score.judge import LLMJudge

            judge = LLMJudge.from_model(args.judge, store, threads=cfg.threads or None, gpu_layers=cfg.gpu_layers)
        with ctx.progress(quiet=False) as (progress, cancel):
            rep = evaluate(store, pack, cfg, holdout=args.holdout, variants=variants, n=args.n, limit=args.limit,
                           scorer=scorer, judge=judge, progress=progress, cancel=cancel,
                           checkpoint=pack.file(CHECKPOINT_REL), resume=not args.fresh)
    out_dir = Path(args.report) if args.report else pack.path / "eval"
    files = write_report(rep, out_dir)
    if args.json:
        ctx.print_json({**rep.to_json(), "report": {k: str(v) for k, v in files.items()}})
        return 0
    from rich.table import Table

    t = Table(title=f"Held-out evaluation ({rep.heldout} messages, n={rep.n})")
    for c in ("variant", "ACC", "ACC (sel.)", "IC", "RC", "content", "length", "leak", "usable", "role ok",
              "invented/100w", "answered"):
        t.add_column(c, justify="left" if c == "variant" else "right")

    def f(v):  # noqa: ANN001, ANN202
        return "n/a" if v is None else f"{v:.3f}"

    for r in rep.rows:
        t.add_row(r.variant, f(r.acc), f(r.acc_selection), f(r.ic), f(r.rc), f(r.content), f(r.length_ratio), f(r.leak), f(r.usable),
                  f(r.role_ok), f(r.invented_per_100w), f(r.answered))
    ctx.console.print(t)
    for v, why in rep.unavailable.items():
        ctx.console.print(f"{v}: unavailable ({why})", style="yellow", highlight=False)
    j = rep.judge
    ctx.console.print(f"ACC is the judge's ({j.get('kind')}); it ranks your real reply above other people's "
                      f"messages in the same threads {f(j.get('pairwise'))} of the time; agreement with the "
                      f"selection scorer (Spearman) {f(j.get('agreement'))}", highlight=False)
    for side, what in (("with", "writing to people you have a register with"), ("without", "to the rest")):
        rows = rep.to_json()["history"][side]
        if rows:
            n = max(r["messages"] for r in rows.values())
            ctx.console.print(f"greeting / sign-off as in your real reply, {what} ({n} messages): " + "; ".join(
                f"{v} {f(r['greeting'])} / {f(r['sign_off'])}" for v, r in rows.items()), highlight=False)
    ctx.console.print(f"selection scorer held-out AUC {f(rep.scorer.get('auc'))} (messages "
                      f"{f(rep.scorer.get('auc_message'))}), ECE {f(rep.scorer.get('ece'))}; "
                      f"report: {files['md']}", highlight=False)
    return 0
