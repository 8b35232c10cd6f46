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

import csv
import hashlib
import io
import json
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ingest.kernel.config import Config
from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_write_bytes, atomic_write_text
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.records import Message, ReplyPair
from ingest.store.identity import looks_like_me
from trainer.draft.prompt import fixed_boundary, system_text
from trainer.draft.register import register_for
from trainer.draft.replycheck import CheckContext, frame_ngrams
from trainer.score.atoms import split_atoms, strip_quoted
from trainer.score.checks import leak, length_ratio, typical_reply_words
from trainer.score.metrics import acc_atom, ic_atom, mean_or_none, rc_atom
from trainer.score.scorer import JUDGE_DIR, VoiceScorer, judge_kind

ALL_VARIANTS = ("base", "rag", "pld", "lora", "full")
CHECKPOINT_REL = "eval/checkpoint.json"  # in the voice pack: where the CLI and GUI keep an eval's progress
METRICS = ("acc", "ic", "rc", "content", "length_ratio", "leak", "usable", "role_ok", "prompt_leak",
           "invented_per_100w", "answered", "usable_first", "acc_selection", "real_above")
MAX_OTHERS = 8  # other people's messages per held-out thread for the judge's pairwise check
EVAL_VERSION = 3  # in the checkpoint key: rows from older code are never replayed
CHART = ("acc", "ic", "rc", "content", "length_ratio", "leak", "usable")


@dataclass(frozen=True)
class EvalRow:
    variant: str
    acc: float | None
    ic: float | None
    rc: float | None
    content: float | None
    length_ratio: float | None
    leak: float | None
    usable: float | None = None  # share of drafts a person could send (trainer.draft.replycheck)
    role_ok: float | None = None
    prompt_leak: float | None = None
    invented_per_100w: float | None = None
    answered: float | None = None  # mean share of the message's asks answered (messages with asks)
    usable_first: float | None = None  # usable of the first sample, before best-of-N picked
    acc_selection: float | None = None  # ACC under the selection scorer (``acc`` is the judge's)
    real_above: float | None = None  # share of drafts the judge ranks below the real reply
    messages: int = 0
    drafts: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class EvalReport:
    rows: tuple[EvalRow, ...]
    unavailable: dict[str, str]
    scorer: dict[str, Any]
    heldout: int
    n: int
    model: str = ""
    seconds: float = 0.0
    per_message: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    judge: dict[str, Any] = field(default_factory=dict)

    def row(self, variant: str) -> EvalRow | None:
        return next((r for r in self.rows if r.variant == variant), None)

    def to_json(self) -> dict[str, Any]:
        return {"scorer": self.scorer, "rows": [r.to_json() for r in self.rows],
                "unavailable": dict(self.unavailable), "heldout": self.heldout, "n": self.n,
                "model": self.model, "seconds": round(self.seconds, 1), "vs_base": self.vs_base,
                "judge": dict(self.judge), "history": history_split(self.per_message)}

    @cached_property
    def vs_base(self) -> dict[str, dict[str, dict[str, float | int]]]:
        """``paired_gains`` of this report (bootstrapped once, for the JSON and report.md)."""
        return paired_gains(self.per_message, metrics=("acc", "content", "usable"))


def paired_gains(per_message: Sequence[dict[str, Any]], *, base: str = "base",
                 metrics: Sequence[str] = ("acc", "content"), n_boot: int = 2000, seed: int = 0
                 ) -> dict[str, dict[str, dict[str, float | int]]]:
    """Each variant minus ``base`` on the same held-out messages: the mean difference and
    a 95% paired bootstrap interval over messages, so a gain can be told from noise.

    >>> pm = [{"pair": i, "variant": v, "acc": a} for i in range(4) for v, a in (("base", 0.1), ("pld", 0.3))]
    >>> paired_gains(pm, metrics=("acc",))["pld"]["acc"]
    {'mean': 0.2, 'lo': 0.2, 'hi': 0.2, 'messages': 4}
    """
    by: dict[str, dict[Any, dict[str, Any]]] = {}
    for rec in per_message:
        by.setdefault(str(rec.get("variant")), {})[rec.get("pair")] = rec
    ref = by.get(base, {})
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for variant, recs in by.items():
        if variant in (base, "real"):
            continue
        for m in metrics:
            d = np.asarray([recs[k][m] - ref[k][m] for k in recs
                            if k in ref and recs[k].get(m) is not None and ref[k].get(m) is not None], dtype=float)
            if not len(d):
                continue
            boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
            lo, hi = np.percentile(boots, [2.5, 97.5])
            out.setdefault(variant, {})[m] = {"mean": round(float(d.mean()), 4), "lo": round(float(lo), 4),
                                              "hi": round(float(hi), 4), "messages": int(len(d))}
    return out


def eval_boundary(seed: int, pair_id: str) -> str:
    """The data-fence boundary the eval drafts one held-out message with: fixed by the
    seed and the pair, and shaped like ``trainer.draft.prompt.new_boundary``'s (12 hex digits).

    >>> eval_boundary(0, "pair-1") == eval_boundary(0, "pair-1") != eval_boundary(1, "pair-1")
    True
    """
    return fixed_boundary("eval", int(seed), pair_id)


def heldout_pairs(store: Any, holdout: float = 0.1) -> list[ReplyPair]:
    """The newest ``holdout`` share of reply pairs (at least one), oldest first."""
    if not 0 < holdout < 1:
        raise UserError(f"--holdout must be between 0 and 1 (got {holdout}).", hint="Try 0.1.")
    pairs = [p for p in store.reply_pairs() if p.reply_text.strip() and p.message_text.strip()]
    if not pairs:
        raise UserError("There are no (message, your reply) pairs to evaluate on.",
                        hint="Import your Sent mail together with received mail (`ownvoice import`).")
    k = max(1, int(round(len(pairs) * holdout)))
    return pairs[-k:]


def message_for(pair: ReplyPair, store: Any) -> Message:
    """The message a held-out reply answered: from the store, or rebuilt from the pair."""
    if pair.message_id:
        m = store.get(pair.message_id)
        if m is not None:
            return m
    return Message(source=pair.source, item=pair.id, subject=pair.message_subject, sender=pair.message_sender,
                   date=pair.date, body=pair.message_text, text=pair.message_text, thread=pair.thread, own=False)


class _Acc:
    """Per-variant accumulator of per-message values."""

    def __init__(self) -> None:
        self.values: dict[str, list[float | None]] = {k: [] for k in METRICS}
        self.messages = 0
        self.drafts = 0

    def add(self, row: dict[str, Any], drafts: int) -> None:
        """One message's figures (``METRICS`` keys) over its ``drafts`` drafts."""
        for k in METRICS:
            self.values[k].append(row.get(k))
        self.messages += 1
        self.drafts += drafts

    def row(self, variant: str) -> EvalRow:
        m = {k: mean_or_none(v) for k, v in self.values.items()}
        return EvalRow(variant, **m, messages=self.messages, drafts=self.drafts)


def _score_texts(texts: Sequence[str], model: Any, embed: Any) -> tuple[list[list[float | None]], list[float | None]]:
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


def _judge_for(pack: Any, judge: Any, scorer: VoiceScorer) -> tuple[Any, str]:
    """The eval's judge and how it is named: the LLM judge when given, else the fitted
    voice judge, else (a pack from before the judge existed) the selection scorer."""
    if judge is not None:
        info = getattr(getattr(judge, "runtime", None), "info", None)
        return judge, f"llm ({Path(str(getattr(info, 'path', '') or 'local model')).name})"
    if VoiceScorer.exists(pack, JUDGE_DIR):
        j = VoiceScorer.load(pack, JUDGE_DIR)
        return j, judge_kind(j)
    return scorer, "the selection scorer (no independent judge fitted: run `ownvoice learn` again)"


def others_in_thread(store: Any, msg: Message) -> list[str]:
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


def judge_pairwise(store: Any, model: Any, pairs: Sequence[ReplyPair]) -> tuple[float, int]:
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


def evaluate(store: Any, pack: Any, config: Config | None = None, *, holdout: float = 0.1,
             variants: Sequence[str] = ALL_VARIANTS, n: int = 3, limit: int | None = None,
             scorer: VoiceScorer | None = None, judge: Any = None, runtime: Any = None,
             model: str | None = None, progress: ProgressFn = no_progress,
             cancel: CancelToken | None = None, checkpoint: str | Path | None = None,
             resume: bool = True) -> EvalReport:
    """Draft, score and compare; see the module docstring. ``judge``: an ``LLMJudge``;
    ``checkpoint``/``resume``: continue a killed run (module docstring)."""
    from trainer.draft.drafting import draft, parse_variants

    t0 = time.perf_counter()
    cfg = config or Config()
    names = [v for v in parse_variants(list(variants)) if v != "real"]
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
    accs = {v: _Acc() for v in ("real", *names)}
    unavailable: dict[str, str] = {}
    per_message: list[dict[str, Any]] = []
    model_name = ""
    total = len(pairs)
    ckpt = Path(checkpoint) if checkpoint else None
    key = _run_key(pairs, names, n, cfg, model, pack, judge) if ckpt else ""
    done: set[str] = set()
    why = ""
    if ckpt and resume:
        state, why = _load_checkpoint(ckpt, key)
        try:
            replay = {v: _Acc() for v in accs}
            for rec in state.get("per_message", []):
                replay.setdefault(str(rec["variant"]), _Acc()).add(
                    {k: None if rec.get(k) is None else float(rec[k]) for k in METRICS}, int(rec.get("drafts", 0)))
                per_message.append(rec)
                done.add(str(rec["pair"]))
            accs = replay
            model_name = str(state.get("model", ""))
            unavailable.update(dict(state.get("unavailable", {})))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            per_message.clear()
            done.clear()
            why = f"the checkpoint was unreadable ({e!r}); starting over"
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
        res = draft(msg, variants=names, n=n, store=store, pack=pack, config=cfg, cancel=cancel,
                    runtime=runtime, model=model, boundary=eval_boundary(cfg.seed, pair.id),
                    check_exclude=pair.reply_text)
        real_checks = _real_checks(msg, pair, store, cfg, real)
        history = register_for(store, msg, fallback=False) is not None  # whether drafting used it or not
        real_gs = greeting_sign_off(real)
        if res.cancelled:
            check(cancel)
        model_name = res.model or model_name
        unavailable.update(res.unavailable)
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
        j = 0
        for v, vtexts in by_variant.items():
            acc = accs.setdefault(v, _Acc())
            vs = scores[j:j + len(vtexts)]
            cos = [float(vecs[j + k] @ vecs[0]) if vtexts[k].strip() else 0.0 for k in range(len(vtexts))]
            j += len(vtexts)
            leaks = [leak(t, store, exclude_thread=msg.thread or pair.thread or None).rate for t in vtexts]
            above = [_pairwise(real_judged, [judged[j - len(vtexts) + k]]) for k in range(len(vtexts))]
            row = {
                "acc": mean_or_none(acc_atom(s) for s in vs),
                "acc_selection": mean_or_none(acc_atom(s) for s in selection[j - len(vtexts):j]),
                "real_above": mean_or_none(w for w, c in above if c) if v != "real" else None,
                "ic": mean_or_none(ic_atom(s) for s in vs),
                "rc": rc_atom(vs) if v != "real" else None,
                "content": mean_or_none(cos),
                "length_ratio": mean_or_none(length_ratio(t, typical) for t in vtexts),
                "leak": mean_or_none(leaks),
                **_check_means(checks.get(v, [])),
            }
            acc.add(row, len(vtexts))
            gs = [greeting_sign_off(t) for t in vtexts]
            rec = {"pair": pair.id, "variant": v, "drafts": len(vtexts), **row, "history": history,
                   "greeting": mean_or_none(float(g == real_gs[0]) for g, _ in gs),
                   "sign_off": mean_or_none(float(x == real_gs[1]) for _, x in gs)}
            if v == "real":
                rec["pairwise_wins"], rec["pairwise_n"] = _pairwise(real_judged, others_judged)
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
    meta = {k: scorer.metrics.get(k) for k in ("auc", "ece", "auc_message", "auc_fast", "ece_fast", "n_test",
                                                "family")}
    meta["embeddings"] = scorer.has_embeddings
    return EvalReport(rows, unavailable, meta, len(pairs), n, model_name, time.perf_counter() - t0,
                      tuple(per_message), _judge_summary(kind, judge_model, per_message))


def greeting_sign_off(text: str) -> tuple[str, str]:
    """A reply's greeting form (names as ``{name}``) and its sign-off, lower-cased without
    end punctuation: what the eval compares between a draft and the real reply.

    >>> greeting_sign_off("Hi Lucy,\\n\\nSure.\\n\\nThanks,\\nPhillip."), greeting_sign_off("ok")
    (('Hi {name},', 'thanks, / phillip'), ('', ''))
    """
    from trainer.score.text import greeting_of, lines, sign_off_of

    ls = lines(text)
    return greeting_of(ls), sign_off_of(ls).lower().rstrip(".,!")


def history_split(per_message: Sequence[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per variant, means over held-out messages whose sender the user has a register
    with (``with``: enough earlier replies to them or their organisation) and the rest
    (``without``): greeting and sign-off agreement with the real reply, ACC and usable.

    >>> pm = [{"pair": 1, "variant": "full", "history": True, "greeting": 1.0, "sign_off": 0.0, "acc": 0.5,
    ...        "usable": 1.0}, {"pair": 2, "variant": "full", "history": False, "greeting": 0.0,
    ...        "sign_off": None, "acc": 0.1, "usable": 0.0}]
    >>> history_split(pm)["with"]["full"]
    {'greeting': 1.0, 'sign_off': 0.0, 'acc': 0.5, 'usable': 1.0, 'messages': 1}
    """
    out: dict[str, dict[str, dict[str, Any]]] = {"with": {}, "without": {}}
    for side, flag in (("with", True), ("without", False)):
        by: dict[str, list[dict[str, Any]]] = {}
        for rec in per_message:
            if "history" in rec and bool(rec["history"]) == flag:
                by.setdefault(str(rec["variant"]), []).append(rec)
        for v, recs in by.items():
            out[side][v] = {k: (round(x, 4) if (x := mean_or_none(r.get(k) for r in recs)) is not None else None)
                            for k in ("greeting", "sign_off", "acc", "usable")} | {"messages": len(recs)}
    return out


def _check_means(checks: Sequence[tuple[Any, Any]]) -> dict[str, float | None]:
    """Means of the reply checks over one message's drafts ((kept, first sample) pairs)."""
    kept = [c for c, _ in checks if c is not None]
    firsts = [f for _, f in checks if f is not None]
    if not kept:
        return {k: None for k in ("usable", "role_ok", "prompt_leak", "invented_per_100w", "answered", "usable_first")}
    return {"usable": mean_or_none(float(c.usable) for c in kept),
            "role_ok": mean_or_none(float(c.role_ok) for c in kept),
            "prompt_leak": mean_or_none(float(c.prompt_leak) for c in kept),
            "invented_per_100w": mean_or_none(c.invented_per_100w for c in kept),
            "answered": mean_or_none(c.answered for c in kept if c.answered is not None),
            "usable_first": mean_or_none(float(c.usable) for c in firsts)}


def _real_checks(msg: Message, pair: ReplyPair, store: Any, cfg: Config, real: str) -> Any:
    """The reply checks on the user's own held-out reply, as drafts face them: the same
    fence boundary and instructions, with the reply itself left out of the archive."""
    ctx = CheckContext.build(msg, store=store, me=cfg.me, thread=store.thread(msg),
                             boundary=eval_boundary(cfg.seed, pair.id), exclude_text=pair.reply_text)
    frame = system_text(ctx.boundary, cfg.me, None)
    ctx.frame = frame_ngrams(frame)
    return ctx.check(real)


def _run_key(pairs: Sequence[ReplyPair], names: Sequence[str], n: int, cfg: Config, model: str | None,
             pack: Any, judge: Any) -> str:
    """A digest of everything that decides an eval's result, so that a resumed run
    never mixes rows from different settings or a different voice."""
    manifest = getattr(pack, "manifest", None)
    try:
        manifest = manifest() if callable(manifest) else manifest
    except Exception:  # noqa: BLE001 - a pack without a manifest keys on its path only
        manifest = None

    from ingest.kernel.fsutil import sha256_file

    def file_id(rel: str) -> Any:
        f = Path(getattr(pack, "path", "")) / rel
        try:
            return sha256_file(f) if f.is_file() else None
        except OSError:
            return None

    judge_id = None
    if judge is not None:
        info = getattr(getattr(judge, "runtime", None), "info", None)
        judge_id = [type(judge).__name__, str(getattr(info, "path", "") or getattr(judge, "name", "")),
                    list(getattr(judge, "examples", []))]
    parts = {
        "pairs": [p.id for p in pairs], "variants": list(names), "n": n,
        "model": str(model or cfg.model), "seed": cfg.seed, "max_tokens": cfg.max_tokens,
        "temperature": getattr(cfg, "temperature", None), "top_p": getattr(cfg, "top_p", None),
        "me": list(cfg.me), "retrieval": [getattr(cfg, "retrieval_k", None), getattr(cfg, "retrieval_tokens", None)],
        "judge": judge_id, "pack": str(getattr(pack, "path", "")), "manifest": manifest, "version": EVAL_VERSION,
        "scorer": file_id("scorer/coef.npy"), "voice_judge": file_id("judge/coef.npy"),
        # edited by hand or in the GUI without touching the manifest
        "style_prompt": file_id("style_prompt.md"), "adapter": file_id("adapter/adapter.gguf"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _load_checkpoint(path: Path, key: str) -> tuple[dict[str, Any], str]:
    """(state, why it is not used); an unreadable checkpoint or one from other settings
    is not an error: the run starts over and says why."""
    if not path.exists():
        return {}, ""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict) or not isinstance(state.get("per_message"), list):
            raise ValueError("not an eval checkpoint")
    except (OSError, ValueError) as e:
        return {}, f"the checkpoint was unreadable ({e}); starting over"
    if state.get("key") != key:
        return {}, "the interrupted eval had other settings or another voice; starting over"
    return state, ""


# -- report ------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    return "n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def report_markdown(rep: EvalReport) -> str:
    lines = ["# ownvoice evaluation", "",
             f"Held-out messages: {rep.heldout}; samples per variant: {rep.n}; model: {rep.model or 'n/a'}; "
             f"{rep.seconds:.0f} s.",
             f"ACC is the judge's ({rep.judge.get('kind', 'n/a')}): it ranks the real reply above other "
             f"people's messages in the same threads {_fmt(rep.judge.get('pairwise'))} of the time "
             f"({rep.judge.get('pairwise_n', 0)} pairs); its ACC and the selection scorer's agree at Spearman "
             f"{_fmt(rep.judge.get('agreement'))}.",
             f"Selection scorer: held-out sentence AUC {_fmt(rep.scorer.get('auc'))}, message AUC "
             f"{_fmt(rep.scorer.get('auc_message'))}, ECE {_fmt(rep.scorer.get('ece'))}.", "",
             "| variant | ACC_atom | IC_atom | RC_atom | content | length ratio | leak | usable | role ok | "
             "prompt leak | invented /100w | answered | usable (1st sample) | ACC (selection) | real above "
             "| messages | drafts |",
             "|" + "---|" * (len(METRICS) + 3)]
    for r in rep.rows:
        lines.append(f"| {r.variant} | " + " | ".join(_fmt(getattr(r, k)) for k in METRICS)
                     + f" | {r.messages} | {r.drafts} |")
    gains = rep.vs_base
    if gains:
        lines += ["", "Against `base` on the same messages (mean difference, 95% paired bootstrap interval; "
                  "an interval that spans 0 is not a measured difference):", "",
                  "| variant | ACC_atom | content | usable |", "|---|---|---|---|"]
        for v, g in gains.items():
            cells = [f"{g[m]['mean']:+.3f} [{g[m]['lo']:+.3f}, {g[m]['hi']:+.3f}]" if m in g else "n/a"
                     for m in ("acc", "content", "usable")]
            lines.append(f"| {v} | " + " | ".join(cells) + " |")
    split = history_split(rep.per_message)
    if split["with"] or split["without"]:
        lines += ["", "Split by the sender: `with` a register (enough earlier replies to them or their "
                  "organisation: drafts use how you write to them), `without` one (your global habits). "
                  "Greeting and sign-off: the share of drafts whose greeting form / sign-off is the one in "
                  "your real reply.", "",
                  "| sender | variant | greeting | sign-off | ACC_atom | usable | messages |",
                  "|---|---|---|---|---|---|---|"]
        for side in ("with", "without"):
            for v, r in split[side].items():
                lines.append(f"| {side} | {v} | {_fmt(r['greeting'])} | {_fmt(r['sign_off'])} | {_fmt(r['acc'])} "
                             f"| {_fmt(r['usable'])} | {r['messages']} |")
    if rep.unavailable:
        lines += ["", "Unavailable variants:", ""]
        lines += [f"- {v}: {why}" for v, why in rep.unavailable.items()]
    lines += ["", "`real` is the user's own reply scored the same way: the ceiling. RC needs several "
              "drafts per message, so it is n/a for `real`.", ""]
    return "\n".join(lines)


def report_csv(rep: EvalReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["variant", *METRICS, "messages", "drafts"])
    for r in rep.rows:
        w.writerow([r.variant, *("" if getattr(r, k) is None else f"{getattr(r, k):.6f}" for k in METRICS),
                    r.messages, r.drafts])
    for v, why in rep.unavailable.items():
        w.writerow([v, *([""] * len(METRICS)), 0, 0, f"unavailable: {why}"])
    return buf.getvalue()


def report_png(rep: EvalReport) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.2), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(rep.rows))
    x = np.arange(len(CHART))
    for i, r in enumerate(rep.rows):
        vals = [getattr(r, k) if getattr(r, k) is not None else 0.0 for k in CHART]
        ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=r.variant)
    ax.set_xticks(x, ["ACC", "IC", "RC", "content", "length", "leak", "usable"])
    ax.set_ylim(min(-0.05, *(getattr(r, "rc") or 0 for r in rep.rows)), 1.5)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_title(f"ownvoice eval: {rep.heldout} held-out messages, n={rep.n}")
    ax.legend(ncol=min(6, len(rep.rows)), fontsize=8, loc="upper right")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_report(rep: EvalReport, out_dir: str | Path) -> dict[str, Path]:
    """Write report.md, report.csv, report.png and report.json into ``out_dir`` atomically."""
    import json

    d = Path(out_dir)
    return {
        "md": atomic_write_text(d / "report.md", report_markdown(rep)),
        "csv": atomic_write_text(d / "report.csv", report_csv(rep)),
        "png": atomic_write_bytes(d / "report.png", report_png(rep)),
        "json": atomic_write_text(d / "report.json", json.dumps(rep.to_json(), indent=2) + "\n"),
    }
