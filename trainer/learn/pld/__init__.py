"""Prompt-level distillation (PLD): a short, readable style prompt, no weight changes.

After Badhe & Shah, "Prompt-Level Distillation" (arXiv 2602.21103, 2026). The route
``learn(ctx, progress, cancel) -> dict`` (trainer/learn/routes.py's contract) runs:

1. ``profile``: the stylometric profile (profile.py), no model: profile.json and
   the measured rules, with rules from what the user changed in the drafts they
   edited (edits.py) ahead of them.
2. ``explain``: the teacher (teacher.py) writes one abstract rule per training
   reply pair (explain.py); leaks and malformed rules are rejected (rules.py).
3. ``cluster``: rules embedded and clustered with DBSCAN, merged (cluster.py).
4. ``loop``: the student drafts the validation split, the scorer scores, the
   teacher revises; kept only when validation fidelity improves (loop.py).
Then ``style_prompt.md`` is written (``trainer.voicepack.render_prompt`` and
``write_prompt``; a user's edit is kept unless ``fresh``) and the route is recorded in the manifest.

Splits of ``store.reply_pairs()`` (date-sorted, both texts non-empty, as
trainer.evaluate.harness reads them): the newest 10% are held out for evaluation and never
seen here; ``validation`` pairs spread over the rest drive the
loop; up to ``explain_pairs`` of the others are explained.

``ctx.options``: teacher, allow_remote, rounds (2), fresh, validation (16),
budget_tokens (400), explain_pairs (60), explain_tokens (48), eps (0.4), model
(student), max_tokens (draft length), content_tolerance (0: a style prompt may not
lower the validation drafts' content similarity below the no-style drafts').

What it leaves out: no per-correspondent prompts; no rule weights inside the prompt.
"""

from __future__ import annotations

import time
from typing import Any

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import MailStore
from trainer.voicepack import PROFILE

ROUTE = "pld"


def split_pairs(pairs: list[Any], *, n_validation: int, max_explain: int, holdout: float = 0.1
                ) -> tuple[list[Any], list[Any], list[Any]]:
    """(explain, validation, held out) from date-sorted ``pairs``.

    >>> e, v, h = split_pairs(list(range(20)), n_validation=3, max_explain=100)
    >>> h, v, len(e)
    ([18, 19], [0, 8, 17], 15)
    """
    n_hold = max(1, int(round(len(pairs) * holdout))) if len(pairs) >= 2 else 0
    train, held = pairs[:len(pairs) - n_hold], pairs[len(pairs) - n_hold:]
    nv = min(n_validation, max(0, len(train) // 2))
    v_idx = _spread(len(train), nv)
    validation = [train[i] for i in v_idx]
    rest = [p for i, p in enumerate(train) if i not in set(v_idx)]
    explain = [rest[i] for i in _spread(len(rest), min(max_explain, len(rest)))]
    return explain, validation, held


def _spread(n: int, k: int) -> list[int]:
    if k <= 0 or n <= 0:
        return []
    if k == 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def learn(ctx: Any, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict[str, Any]:
    from trainer.learn.pld.edits import merge_rules, rules_from_edits
    from trainer.learn.pld.explain import explain_pairs
    from trainer.learn.pld.loop import run_loop
    from trainer.learn.pld.profile import profile_score
    from trainer.learn.pld.teacher import LocalModel, draft_fn_for, open_teacher
    from trainer.voicepack import write_prompt

    t0 = time.monotonic()
    opts = dict(ctx.options or {})
    cfg = ctx.config
    spec = opts.get("teacher") or cfg.teacher or "smollm2"
    allow_remote = bool(opts.get("allow_remote", cfg.allow_remote_teacher))
    rounds = int(opts["rounds"]) if opts.get("rounds") is not None else 2
    fresh = bool(opts.get("fresh"))
    budget = int(opts.get("budget_tokens") or 400)
    teacher, warnings = open_teacher(spec, allow_remote=allow_remote, threads=cfg.threads,
                                     gpu_layers=int(getattr(cfg, "gpu_layers", 0)))
    for w in warnings:
        progress(Progress("pld", message=w, info={"warning": w}))

    prof = _profile(ctx, progress, cancel)

    edit_pairs = _edit_pairs(ctx.store)
    edit_rules = rules_from_edits(edit_pairs)
    profile_rules = merge_rules(list(prof.rules), edit_rules)

    pairs = [p for p in ctx.store.reply_pairs() if p.reply_text.strip() and p.message_text.strip()]
    to_explain, validation, held = split_pairs(pairs, n_validation=int(opts.get("validation") or 16),
                                               max_explain=int(opts.get("explain_pairs") or 60))
    rules, rejected = explain_pairs(to_explain, teacher, ctx.pack, fresh=fresh,
                                    max_tokens=int(opts.get("explain_tokens") or 48),
                                    progress=progress, cancel=cancel)

    clustering = _cluster(rules, ctx.store, teacher, float(opts.get("eps") or 0.4), progress, cancel)
    learned = [c.instruction for c in clustering.clusters if c.instruction is not None]

    model = opts.get("model") or cfg.model
    student = teacher if (isinstance(teacher, LocalModel) and model == spec) else LocalModel(model, threads=cfg.threads)
    score_fn, scorer_name = _score_fn(ctx, prof, profile_score)
    draft = draft_fn_for(student, config=cfg, seed=cfg.seed,
                         max_tokens=int(opts.get("max_tokens") or min(cfg.max_tokens, 160)))
    result = run_loop(profile_rules, learned, validation, draft_fn=draft, score_fn=score_fn,
                      teacher=teacher, rounds=rounds, budget_tokens=budget, count=student.count_tokens,
                      content_fn=_content_fn(ctx.store), content_tolerance=float(opts.get("content_tolerance") or 0.0),
                      progress=progress, cancel=cancel)
    check(cancel)
    written = write_prompt(ctx.pack, result.markdown, fresh=fresh)
    entry = _entry(result, written, clustering, rules, rejected, budget=budget, teacher=teacher, spec=spec,
                   student=student, model=model, scorer_name=scorer_name, pairs=(to_explain, validation, held),
                   edit_pairs=edit_pairs, edit_rules=edit_rules, warnings=warnings, t0=t0)
    ctx.pack.set_route(ROUTE, entry)
    return entry


def _profile(ctx: Any, progress: ProgressFn, cancel: CancelToken | None) -> Any:
    """The stylometric profile of the user's own writing, written to the pack."""
    from trainer.learn.pld.profile import profile

    progress(Progress("profile", 0, 1))
    prof = profile(ctx.store)
    if prof.n_messages == 0 and prof.n_documents == 0:
        raise UserError("There is none of your own writing in the store, so there is no style to learn.",
                        hint="Import your Sent mail with your addresses (`ownvoice import PATH --me YOU@...`).")
    ctx.pack.write_json(PROFILE, prof.to_json())
    progress(Progress("profile", 1, 1, info={"messages": prof.n_messages, "rules": len(prof.rules)}))
    check(cancel)
    return prof


def _cluster(rules: list[Any], store: MailStore, teacher: Any, eps: float, progress: ProgressFn,
             cancel: CancelToken | None) -> Any:
    """The teacher's explanations clustered by meaning, each cluster merged into one instruction."""
    from trainer.learn.pld.cluster import cluster_rules, merge_clusters

    progress(Progress("cluster", 0, 1))
    clustering = merge_clusters(cluster_rules(rules, _embedder(store), eps=eps), teacher, cancel=cancel)
    progress(Progress("cluster", 1, 1, info={"clusters": len(clustering.clusters),
                                             "noise": clustering.noise_share}))
    return clustering


def _entry(result: Any, written: Any, clustering: Any, rules: list[Any], rejected: list[Any], *, budget: int,
           teacher: Any, spec: str, student: Any, model: str, scorer_name: str, pairs: tuple[list, list, list],
           edit_pairs: list[tuple[str, str]], edit_rules: list[Any], warnings: list[str],
           t0: float) -> dict[str, Any]:
    """The manifest's "pld" entry (what ``learn --json`` prints under "pld")."""
    from trainer.learn.pld.edits import observations

    to_explain, validation, held = pairs
    all_rejected = rejected + list(result.rejected)
    reasons: dict[str, int] = {}
    for r in all_rejected:
        k = r.reason.split(":")[0]
        reasons[k] = reasons.get(k, 0) + 1
    entry = {
        "rules": len(rules),
        "profile_rules": len(result.profile),
        "learned_rules": len(result.learned),
        "clusters": len(clustering.clusters),
        "cluster_sizes": [c.size for c in clustering.clusters],
        "noise_share": clustering.noise_share,
        "min_samples": clustering.min_samples,
        "prompt_tokens": result.prompt_tokens,
        "budget_tokens": budget,
        "rounds": [r.kept_score for r in result.rounds],
        "round_log": [r.to_json() for r in result.rounds],
        "validation_score": result.score,
        "validation_content": result.content,
        "no_style": {"score": result.base_score, "content": result.base_content},
        "guard_steps": list(result.guard),
        "scorer": scorer_name,
        "prompt": str(written.path),
        "prompt_sha256": written.sha256,
        "kept_user_edit": written.kept_user_edit,
        "proposed": str(written.proposed) if written.proposed else None,
        "rejected": {"count": len(all_rejected), "explain": len(rejected), "revision": len(result.rejected),
                     "by_reason": reasons,
                     "examples": [r.to_json() for r in all_rejected[:5]]},
        "teacher": getattr(teacher, "name", str(spec)),
        "teacher_remote": bool(getattr(teacher, "remote", False)),
        "student": getattr(student, "name", str(model)),
        "pairs": {"explained": len(to_explain), "validation": len(validation), "held_out": len(held)},
        "profile": PROFILE,
        "edits": {"count": len(edit_pairs), "observations": observations(edit_pairs)[:6],
                  "rules": [r.text for r in edit_rules]},
        "warnings": warnings,
        "seconds": round(time.monotonic() - t0, 1),
    }
    return entry


def _edit_pairs(store: MailStore) -> list[tuple[str, str]]:
    """(draft, final) for every edit the user saved (``ingest.store.edits``), the final being
    the reply they sent when an import found it."""
    from ingest.store.edits import draft_final_pairs, edits

    if not hasattr(store, "db"):
        return []  # a stand-in store without SQLite (unit tests)
    return draft_final_pairs(edits(store))


def _embedder(store: MailStore):
    fn = getattr(store, "embed", None)
    if callable(fn):
        return fn
    from ingest.store.embed import get_embedder
    return get_embedder().encode


def _content_fn(store: MailStore):
    """(draft, pair) -> cosine of the draft's and the real reply's embeddings, as the eval
    table's ``content`` column measures it; each real reply is embedded once."""
    from trainer.score.atoms import strip_quoted

    embed = _embedder(store)
    real: dict[str, Any] = {}

    def content(draft: str, pair: Any) -> float:
        draft = strip_quoted(draft)
        if not draft.strip():
            return 0.0
        key = str(getattr(pair, "id", "") or pair.reply_text)
        if key not in real:
            real[key] = embed([strip_quoted(pair.reply_text)])[0]
        return float(embed([draft])[0] @ real[key])

    return content


def _score_fn(ctx: Any, prof: Any, profile_score: Any):
    """The voice scorer when the pack has one (the scorer route runs first), else the
    profile's habit share. The scorer's score is the mean in-voice probability of the
    draft's atoms: ACC thresholds the same probabilities, and on 8 validation drafts
    from a small student it is often 0 for every prompt, which leaves the loop blind."""
    try:
        from trainer.score.scorer import VoiceScorer
    except ImportError:
        VoiceScorer = None  # noqa: N806
    if VoiceScorer is not None and VoiceScorer.exists(ctx.pack):
        scorer = VoiceScorer.load(ctx.pack)
        embed = getattr(ctx.store, "embed", None)

        def score(text: str) -> float:
            ps = [a.p for a in scorer.score_text(text, embed=embed).scores if a.p is not None]
            return float(sum(ps) / len(ps)) if ps else 0.0

        return score, "voice"
    return (lambda text: profile_score(prof, text)), "profile"
