"""Held-out evaluation: how much each voice variant sounds like the user.

``evaluate(store, pack, config, *, holdout, variants, n, limit, progress, cancel)``
takes the newest ``holdout`` share of reply pairs (no route has seen them: retrieval
excludes the message's thread and everything after it; the scorer's test fold is the
newest mail), drafts ``n`` samples per held-out message and variant with
``trainer.draft.drafting.draft``, and scores every draft the same way as the user's real
reply (the ceiling row, variant ``"real"``). Per variant it reports the means over
messages of:

- ``acc`` / ``ic``: ACC_atom and IC_atom per draft (trainer.score.metrics), under
  the **judge**: a model nothing in drafting or learning optimises against (the voice
  judge ``learn`` fits on the other half of the threads with another feature family,
  or the LLM judge the user names);
- ``acc_selection``: ACC_atom under the selection scorer (what PLD and
  self-distillation optimise), beside it;
- ``real_above``: how often the judge ranks the user's real reply above the
  variant's draft (by mean log-odds per message); for information: it should fall
  as drafts improve;
- ``rc``: RC_atom over the ``n`` drafts of one message (None for ``real``, which has one);
- ``content``: cosine of the draft's and the real reply's sentence embeddings;
- ``length_ratio``: draft words / the user's typical reply length;
- ``leak``: the share of sentences copying rare 8-word runs from outside the thread;
- the reply checks (``trainer.draft.replycheck``), means over drafts: ``usable``,
  ``role_ok``, ``prompt_leak``, ``invented_per_100w``, ``answered`` (over messages
  with asks) and ``usable_first`` (the first sample's verdict, before best-of-N kept
  another). The ``real`` row faces the same checks, with the held-out reply left out
  of the archive that ``invented`` reads (drafts too: a draft gets no credit for a fact
  only the held-out reply holds).

The top-level ``judge`` entry names the judge and checks it: ``pairwise`` is how often,
on the held-out threads, it ranks the user's real reply above each other person's
message in the same thread (the one answered and the earlier ones; ties count half);
``agreement`` is the Spearman correlation of the judge's and the selection scorer's ACC
over (message, variant) cells.

Variants that cannot run (no adapter, no style prompt) are listed in ``unavailable``
with the reason. ``write_report`` writes ``report.md``, ``report.csv`` and
``report.png`` (grouped bars; matplotlib Agg) atomically.

Resuming: with ``checkpoint=PATH`` every finished message's rows are written to
PATH atomically, together with a key of everything that decides the result (held-out
pair ids, variants, n, model, seed, sampling settings, the voice pack's manifest).
With ``resume=True`` (the default) a later run with the same key replays the finished
messages and drafts only the rest, so a killed or cancelled eval continues where it
stopped. A checkpoint with another key (other settings, a re-learned voice) is never
mixed in: the run starts over and its first progress message says why. A finished
run removes its checkpoint.

Repeatable: each held-out message is drafted with a data-fence boundary fixed by the
seed and the pair (``eval_boundary``), not a fresh random one, so the same command on
the same voice pack gives the same table. The fence is part of the prompt, and with a
random one the ``base`` row alone moved by up to 0.04 ACC between runs on the same 15
messages.

``paired_gains`` gives each variant minus ``base`` per message with a 95% paired
bootstrap interval (``vs_base`` in the JSON, a table in ``report.md``).

What it leaves out: the interval covers the held-out messages, not the choice of
seed and fence (one draw of each per message); run with another ``seed`` to see that.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_write_text
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import Embed
from ingest.kernel.protocols import MailStore
from ingest.kernel.records import Message, ReplyPair
from ingest.store.identity import looks_like_me
from trainer.draft.prompt import fixed_boundary, system_text
from trainer.draft.register import register_for
from trainer.draft.replycheck import CheckContext, frame_ngrams
from trainer.evaluate.checkpoint import load_checkpoint, run_key
from trainer.evaluate.metrics import Cell, row_values
from trainer.evaluate.metrics import names as metric_names
from trainer.evaluate.stats import EvalReport, Accumulator, greeting_sign_off
from trainer.score.atoms import split_atoms, strip_quoted
from trainer.score.checks import leak, length_ratio, typical_reply_words
from trainer.score.metrics import mean_or_none
from trainer.score.scorer import JUDGE_DIR, VoiceScorer, judge_kind
from trainer.voicepack import VoicePack

MAX_OTHERS = 8  # other people's messages per held-out thread for the judge's pairwise check


def eval_boundary(seed: int, pair_id: str) -> str:
    """The data-fence boundary the eval drafts one held-out message with: fixed by the
    seed and the pair, and shaped like ``trainer.draft.prompt.new_boundary``'s (12 hex digits).

    >>> eval_boundary(0, "pair-1") == eval_boundary(0, "pair-1") != eval_boundary(1, "pair-1")
    True
    """
    return fixed_boundary("eval", int(seed), pair_id)


def heldout_pairs(store: MailStore, holdout: float = 0.1) -> list[ReplyPair]:
    """The newest ``holdout`` share of reply pairs (at least one), oldest first."""
    if not 0 < holdout < 1:
        raise UserError(f"--holdout must be between 0 and 1 (got {holdout}).", hint="Try 0.1.")
    pairs = [p for p in store.reply_pairs() if p.reply_text.strip() and p.message_text.strip()]
    if not pairs:
        raise UserError("There are no (message, your reply) pairs to evaluate on.",
                        hint="Import your Sent mail together with received mail (`ownvoice import`).")
    k = max(1, int(round(len(pairs) * holdout)))
    return pairs[-k:]


def message_for(pair: ReplyPair, store: MailStore) -> Message:
    """The message a held-out reply answered: from the store, or rebuilt from the pair."""
    if pair.message_id:
        m = store.get(pair.message_id)
        if m is not None:
            return m
    return Message(source=pair.source, item=pair.id, subject=pair.message_subject, sender=pair.message_sender,
                   date=pair.date, body=pair.message_text, text=pair.message_text, thread=pair.thread, own=False)


def _score_texts(texts: Sequence[str], model: Any, embed: Embed) -> tuple[list[list[float | None]], list[float | None]]:
    """Atom scores per text (one model call for all texts: fast), and a message score per
    text: the mean calibrated log-odds for a fitted model, the mean rating for an LLM judge."""
    atoms = [split_atoms(t) for t in texts]
    flat = [a for ats in atoms for a in ats]
    fitted = isinstance(model, VoiceScorer)
    scored = (model.score_atoms(flat, embed=embed if model.has_embeddings else None) if fitted
              else model.score_atoms(flat))
    out: list[list[float | None]] = []
    msg: list[float | None] = []
    i = 0
    for ats in atoms:
        part = scored[i:i + len(ats)]
        out.append([s.score for s in part])
        if fitted:
            ps = np.clip([s.p for s in part], 1e-6, 1 - 1e-6)
            msg.append(float(np.mean(np.log(ps / (1 - ps)))) if len(part) else None)
        else:
            msg.append(mean_or_none(s.score for s in part))
        i += len(ats)
    return out, msg


def _judge_for(pack: VoicePack, judge: Any, scorer: VoiceScorer) -> tuple[Any, str]:
    """The eval's judge and how it is named: the LLM judge when given, else the fitted
    voice judge, else (a pack from before the judge existed) the selection scorer."""
    if judge is not None:
        info = getattr(getattr(judge, "runtime", None), "info", None)
        return judge, f"llm ({Path(str(getattr(info, 'path', '') or 'local model')).name})"
    if VoiceScorer.exists(pack, JUDGE_DIR):
        j = VoiceScorer.load(pack, JUDGE_DIR)
        return j, judge_kind(j)
    return scorer, "the selection scorer (no independent judge fitted: run `ownvoice learn` again)"


def others_in_thread(store: MailStore, msg: Message) -> list[str]:
    """Other people's texts in the held-out message's thread, for the judge's pairwise
    check: the message being answered, then the thread's earlier messages from others
    (newest first), at most ``MAX_OTHERS``; mail from the user's other addresses is
    not "other people's"."""
    me = tuple(store.me()[0]) if hasattr(store, "me") else ()
    names = tuple(store.my_names()) if hasattr(store, "my_names") else ()
    out, seen = [], set()
    for m in [msg, *reversed(store.thread(msg))]:
        if m.own or looks_like_me(m.sender, m.sender_name, me, names):
            continue  # the user, at any address
        if m.text.strip() and m.id not in seen:
            seen.add(m.id)
            out.append(m.text)
    return out[:MAX_OTHERS]


def judge_pairwise(store: MailStore, model: Any, pairs: Sequence[ReplyPair]) -> tuple[float, int]:
    """(wins, comparisons) of ``model`` ranking each pair's real reply above the other
    people's texts in its thread (``others_in_thread``), ties half: the eval's
    ``judge.pairwise`` without drafting anything."""
    wins, count = 0.0, 0
    for pair in pairs:
        msg = message_for(pair, store)
        texts = [strip_quoted(pair.reply_text), *others_in_thread(store, msg)]
        _, scores = _score_texts(texts, model, store.embed)
        w, c = _pairwise(scores[0], scores[1:])
        wins, count = wins + w, count + c
    return wins, count


def _pairwise(real: float | None, others: Sequence[float | None]) -> tuple[float, int]:
    """(wins, comparisons): ``real`` above each of ``others``, ties half."""
    xs = [o for o in others if o is not None]
    if real is None or not xs:
        return 0.0, 0
    return sum(1.0 if real > o else 0.5 if real == o else 0.0 for o in xs), len(xs)


def _judge_summary(kind: str, model: Any, per_message: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The top-level ``judge`` entry (see the module docstring)."""
    from scipy.stats import spearmanr

    wins = sum(float(r.get("pairwise_wins") or 0) for r in per_message if r.get("variant") == "real")
    count = sum(int(r.get("pairwise_n") or 0) for r in per_message if r.get("variant") == "real")
    cells = [(r["acc"], r["acc_selection"]) for r in per_message
             if r.get("variant") != "real" and r.get("acc") is not None and r.get("acc_selection") is not None]
    agree = None
    if len(cells) >= 3 and len({a for a, _ in cells}) > 1 and len({b for _, b in cells}) > 1:
        agree = round(float(spearmanr([a for a, _ in cells], [b for _, b in cells]).statistic), 4)
    out: dict[str, Any] = {"kind": kind, "pairwise": round(wins / count, 4) if count else None,
                           "pairwise_n": count, "agreement": agree, "agreement_n": len(cells)}
    if isinstance(model, VoiceScorer):
        out.update({k: model.metrics.get(k) for k in ("auc", "auc_message", "ece")})
    return out


def evaluate(store: MailStore, pack: VoicePack, config: Config | None = None, *, holdout: float = 0.1,
             variants: Sequence[str] | None = None, n: int = 3, limit: int | None = None,
             scorer: VoiceScorer | None = None, judge: Any = None, runtime: Any = None,
             model: str | None = None, progress: ProgressFn = no_progress,
             cancel: CancelToken | None = None, checkpoint: str | Path | None = None,
             resume: bool = True) -> EvalReport:
    """Draft, score and compare; see the module docstring. ``judge``: an ``LLMJudge``;
    ``checkpoint``/``resume``: continue a killed run (module docstring)."""
    from trainer.draft.drafting import draft, parse_variants

    t0, cfg = time.perf_counter(), config or Config()
    draft_cfg = cfg.with_(model=model) if model else cfg  # the key below keeps ``model`` apart, as before
    names = [v for v in parse_variants(list(variants) if variants is not None else "all") if v != "real"]
    if n < 1:
        raise UserError(f"-n must be at least 1 (got {n}).", hint="Ask for 2 or more to measure RC.")
    scorer = scorer or VoiceScorer.load(pack)
    judge_model, kind = _judge_for(pack, judge, scorer)
    pairs = heldout_pairs(store, holdout)
    if limit is not None:
        if limit < 1:
            raise UserError(f"--limit must be at least 1 (got {limit}).", hint="Try --limit 5.")
        pairs = pairs[-limit:]
    typical = scorer.typical_words or typical_reply_words(store)
    accs = {v: Accumulator() for v in ("real", *names)}
    unavailable: dict[str, str] = {}
    per_message: list[dict[str, Any]] = []
    model_name = ""
    total = len(pairs)
    ckpt = Path(checkpoint) if checkpoint else None
    key = run_key(pairs, names, n, cfg, model, pack, judge) if ckpt else ""
    done: set[str] = set()
    why = ""
    if ckpt and resume:
        accs, model_name, why = _replay(ckpt, key, accs, per_message, done, unavailable)
    elif ckpt and ckpt.exists():
        ckpt.unlink()
    progress(Progress("eval", len(done), total,
                      f"resuming: {len(done)} of {total} messages already done" if done else (why or "drafting")))
    for i, pair in enumerate(pairs):
        if pair.id in done:
            continue
        check(cancel)
        msg = message_for(pair, store)
        real = strip_quoted(pair.reply_text)
        res = draft(msg, variants=names, n=n, store=store, pack=pack, config=draft_cfg, cancel=cancel,
                    runtime=runtime, boundary=eval_boundary(cfg.seed, pair.id),
                    check_exclude=pair.reply_text)
        if res.cancelled:
            check(cancel)
        model_name = res.model or model_name
        unavailable.update(res.unavailable)
        for v, row, rec in _score_message(pair, msg, res, real, store=store, cfg=cfg, scorer=scorer,
                                          judge_model=judge_model, typical=typical):
            accs.setdefault(v, Accumulator()).add(row, rec["drafts"])
            per_message.append(rec)
        done.add(pair.id)
        if ckpt:
            atomic_write_text(ckpt, json.dumps({"key": key, "model": model_name, "unavailable": unavailable,
                                                "per_message": per_message}) + "\n")
        progress(Progress("eval", len(done), total, f"message {i + 1}/{total}"))
    rows = tuple(accs[v].row(v) for v in ("real", *names) if v in accs and accs[v].messages)
    for v in names:
        if not accs[v].messages and v not in unavailable:
            unavailable[v] = "no drafts were produced"
    if ckpt and ckpt.exists():
        ckpt.unlink()
    return EvalReport(rows, unavailable, _scorer_meta(scorer), len(pairs), n, model_name, time.perf_counter() - t0,
                      tuple(per_message), _judge_summary(kind, judge_model, per_message))


def _scorer_meta(scorer: VoiceScorer) -> dict[str, Any]:
    """What the report says about the selection scorer."""
    meta = {k: scorer.metrics.get(k) for k in ("auc", "ece", "auc_message", "auc_fast", "ece_fast", "n_test",
                                                "family")}
    meta["embeddings"] = scorer.has_embeddings
    return meta


def _replay(ckpt: Path, key: str, accs: dict[str, Accumulator], per_message: list[dict[str, Any]],
            done: set[str], unavailable: dict[str, str]) -> tuple[dict[str, Accumulator], str, str]:
    """Replay a checkpoint with this run's ``key`` into fresh accumulators, ``per_message``,
    ``done`` and ``unavailable``; returns (accumulators, model name, why it started over)."""
    state, why = load_checkpoint(ckpt, key)
    try:
        replay = {v: Accumulator() for v in accs}
        for rec in state.get("per_message", []):
            replay.setdefault(str(rec["variant"]), Accumulator()).add(
                {k: None if rec.get(k) is None else float(rec[k]) for k in metric_names()}, int(rec.get("drafts", 0)))
            per_message.append(rec)
            done.add(str(rec["pair"]))
        unavailable.update(dict(state.get("unavailable", {})))
        return replay, str(state.get("model", "")), why
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        per_message.clear()
        done.clear()
        return accs, "", f"the checkpoint was unreadable ({e!r}); starting over"


def _score_message(pair: ReplyPair, msg: Message, res: Any, real: str, *, store: MailStore, cfg: Config,
                   scorer: VoiceScorer, judge_model: Any, typical: float | None) -> list[tuple[str, dict, dict]]:
    """Every variant's drafts of one held-out message (and the real reply) scored:
    ``(variant, row of metrics, per-message record)`` each."""
    real_checks = _real_checks(msg, pair, store, cfg, real)
    history = register_for(store, msg, fallback=False) is not None  # whether drafting used it or not
    real_gs = greeting_sign_off(real)
    by_variant: dict[str, list[str]] = {"real": [real]}
    checks: dict[str, list[tuple[Any, Any]]] = {"real": [(real_checks, real_checks)]}
    for d in res.drafts:
        by_variant.setdefault(d.variant, []).append(strip_quoted(d.text))
        checks.setdefault(d.variant, []).append((d.checks, d.first_checks or d.checks))
    texts = [t for v in by_variant.values() for t in v]
    others = others_in_thread(store, msg)
    scores, judged = _score_texts(texts + others, judge_model, store.embed)
    selection = scores if judge_model is scorer else _score_texts(texts, scorer, store.embed)[0]
    real_judged, others_judged = judged[0], judged[len(texts):]
    vecs = np.asarray(store.embed(texts), dtype=np.float32) if texts else None
    out = []
    j = 0
    for v, vtexts in by_variant.items():
        vs = scores[j:j + len(vtexts)]
        cos = [float(vecs[j + k] @ vecs[0]) if vtexts[k].strip() else 0.0 for k in range(len(vtexts))]
        j += len(vtexts)
        leaks = [leak(t, store, exclude_thread=msg.thread or pair.thread or None).rate for t in vtexts]
        above = [_pairwise(real_judged, [judged[j - len(vtexts) + k]]) for k in range(len(vtexts))]
        row = row_values(Cell(v, vtexts, vs, selection[j - len(vtexts):j], cos,
                              [length_ratio(t, typical) for t in vtexts], leaks, above, checks.get(v, [])))
        gs = [greeting_sign_off(t) for t in vtexts]
        rec = {"pair": pair.id, "variant": v, "drafts": len(vtexts), **row, "history": history,
               "greeting": mean_or_none(float(g == real_gs[0]) for g, _ in gs),
               "sign_off": mean_or_none(float(x == real_gs[1]) for _, x in gs)}
        if v == "real":
            rec["pairwise_wins"], rec["pairwise_n"] = _pairwise(real_judged, others_judged)
        out.append((v, row, rec))
    return out


def _real_checks(msg: Message, pair: ReplyPair, store: MailStore, cfg: Config, real: str) -> Any:
    """The reply checks on the user's own held-out reply, as drafts face them: the same
    fence boundary and instructions, with the reply itself left out of the archive."""
    ctx = CheckContext.build(msg, store=store, me=cfg.me, thread=store.thread(msg),
                             boundary=eval_boundary(cfg.seed, pair.id), exclude_text=pair.reply_text)
    frame = system_text(ctx.boundary, cfg.me, None)
    ctx.frame = frame_ngrams(frame)
    return ctx.check(real)


