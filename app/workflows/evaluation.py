"""Evaluation: the held-out evaluation of the voice variants (with its checkpoint and
report), the last one's report, and scoring one text against the voice.

``evaluate`` drafts replies to the newest held-out messages with each variant and scores
them against the user's real replies (``trainer.evaluate.harness``); a cancelled run
with the same settings continues where it stopped. ``score_text`` is the voice
scorer's (or a local LLM judge's) atom-by-atom verdict on any text, with the leak check.
What it leaves out: tables and charts (the report files are the harness's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ingest.kernel.jobs import CancelToken, ProgressFn, no_progress


@dataclass(frozen=True)
class EvalView:
    """An evaluation's rows and the folder holding its report (report.png is the chart)."""

    rows: tuple  # trainer.evaluate.stats.EvalRow
    unavailable: dict[str, str]
    folder: Path | None
    heldout: int = 0
    n: int = 0
    report: Any = None  # the EvalReport itself (a fresh run only)
    files: dict[str, Path] = field(default_factory=dict)  # report.md/.csv/.png as written


def retrieval_gap(ws) -> str:
    """Why retrieval would understate itself in an evaluation now ("" when it would not):
    some of the user's replies are not embedded yet."""
    pairs = ws.store().coverage()["pairs"]
    if pairs["embedded"] < pairs["total"]:
        return (f"Retrieval sees {pairs['embedded']:,} of your {pairs['total']:,} replies (the rest are "
                "not embedded yet), so the rag rows understate it. Run `ownvoice embed` first for a full eval.")
    return ""


def evaluate(ws, holdout: float, variants: list[str] | str, n: int, limit: int | None, *,
             model: str | None = None, me: tuple[str, ...] = (), judge: str | None = None,
             pack: str | None = None, report_dir: str | Path | None = None, resume: bool = True,
             warn: Callable[[str], None] | None = None, progress: ProgressFn = no_progress,
             cancel: CancelToken | None = None) -> EvalView:
    """Run the held-out evaluation and write its report (default: the pack's ``eval/``).

    ``me`` overrides the store's user; ``judge`` rates atoms with a local GGUF model;
    ``warn`` hears of a retrieval index that is not complete yet. Without a fitted
    scorer it fails before any drafting.
    """
    from ingest.store.store import with_identity
    from trainer.draft.drafting import parse_variants
    from trainer.evaluate.checkpoint import CHECKPOINT_REL
    from trainer.evaluate.harness import evaluate as core_evaluate
    from trainer.evaluate.report import write_report
    from trainer.score.scorer import VoiceScorer
    from trainer.voicepack import EVAL_DIR

    cfg = ws.config.with_(model=model) if model else ws.config
    chosen = parse_variants(variants) if isinstance(variants, str) else list(variants)
    voice = ws.pack(pack)
    scorer = VoiceScorer.load(voice)  # a clear error before any drafting when there is none
    store = ws.store()
    cfg = with_identity(cfg, store)  # the store's user; an explicit ``me`` wins
    if me:
        cfg = cfg.with_(me=tuple(me))
    gap = retrieval_gap(ws)
    if gap and warn is not None:
        warn(gap)
    rater = None
    if judge:
        from trainer.score.judge import LLMJudge

        rater = LLMJudge.from_model(judge, store, threads=cfg.threads or None, gpu_layers=cfg.gpu_layers)
    rep = core_evaluate(store, voice, cfg, holdout=holdout, variants=chosen, n=n, limit=limit, scorer=scorer,
                        judge=rater, progress=progress, cancel=cancel, checkpoint=voice.file(CHECKPOINT_REL),
                        resume=resume)
    folder = Path(report_dir) if report_dir else voice.file(EVAL_DIR)
    files = write_report(rep, folder)
    return EvalView(tuple(rep.rows), dict(rep.unavailable), folder, rep.heldout, rep.n, rep, dict(files))


def last_evaluation(ws) -> EvalView | None:
    """The report the last evaluation left in the pack (``eval/report.json``), if any."""
    from trainer.evaluate.stats import EvalRow
    from trainer.voicepack import EVAL_DIR, EVAL_REPORT

    pack = ws.pack()
    data = pack.read_json(EVAL_REPORT)
    if not data:
        return None
    rows = tuple(EvalRow.from_json(r) for r in data.get("rows", []) if isinstance(r, dict))
    return EvalView(rows, dict(data.get("unavailable") or {}), pack.file(EVAL_DIR),
                    int(data.get("heldout") or 0), int(data.get("n") or 0))


def score_text(ws, text: str, *, pack: str | None = None, judge: str | None = None, leak: bool = False,
               thread: str | None = None, progress: ProgressFn = no_progress,
               cancel: CancelToken | None = None) -> dict[str, Any]:
    """Split ``text`` into atoms and score each 1-5 for "sounds like you" (the pack's
    voice scorer, or ``judge``); ``DraftScore.to_json()`` plus the scorer's figures, and
    with ``leak`` the share of atoms copied from the archive (outside ``thread``)."""
    from ingest.kernel.errors import UserError
    from trainer.score.atoms import split_atoms
    from trainer.score.checks import leak as leak_check
    from trainer.score.scorer import VoiceScorer, draft_score

    if not text.strip():
        raise UserError("There is no text to score.", hint="Pass --text or a non-empty file.")
    scorer = VoiceScorer.load(ws.pack(pack))
    store = ws.store() if (leak or judge or scorer.has_embeddings) else None
    atoms = split_atoms(text)
    if judge:
        from trainer.score.judge import LLMJudge

        rater = LLMJudge.from_model(judge, store, threads=ws.config.threads or None, gpu_layers=ws.config.gpu_layers)
        scores = rater.score_atoms(atoms, progress=progress, cancel=cancel)
    else:
        scores = scorer.score_atoms(atoms, embed=store.embed if store is not None else None)
    out = draft_score(text, atoms, scores, scorer.typical_words).to_json()
    out["scorer"] = {"auc": scorer.metrics.get("auc"), "ece": scorer.metrics.get("ece"),
                     "judge": judge or "voice scorer"}
    if leak:
        rep = leak_check(text, store, exclude_thread=thread, atoms=atoms)
        out["leak"] = rep.rate
        leaked = {(a.start, a.end) for a in rep.leaked}
        for a in out["atoms"]:
            a["leak"] = (a["start"], a["end"]) in leaked
    return out


def atom_bin(score: float) -> str:
    """"high", "neutral" or "low" for an atom's 1-5 score (``trainer.score.metrics.bin_of``)."""
    from trainer.score.metrics import bin_of

    return bin_of(score)
