"""The closed loop: the student drafts with the prompt, the teacher revises the rules.

One evaluation = the student drafts a reply to every validation message with a
style prompt; ``score_fn`` scores each draft (the voice scorer's mean atom
probability, or the profile's habit share as a fallback) and ``content_fn`` says how
close the draft's content is to the user's real reply (embedding cosine).

**Content guard.** A style prompt must not buy voice with substance: before anything
else the student drafts the validation set with no style prompt, and that content
similarity is the floor. The prompt then grows from the simplest one: the measured
habits alone (greeting, sign-off, length, punctuation ...), then with the user's
favourite phrases and openers, then with the teacher's learned rules (the two groups
that most often drag a small model off topic). A group is added only when its drafts
hold the floor (within ``content_tolerance``) **and** beat the prompt without it by a
paired margin that noise does not explain (``significant_gain``: per validation
message, the mean score gain less ``z`` standard errors is above 0). When even the
measured habits miss the floor, the first richer step that holds it is the start;
when none does, the step with the best content is kept and the round says so.

Why a margin: with 8-16 validation drafts from a 135M-270M student, the steps' mean
scores differ by more than their true difference. Held out, a prompt chosen on a
raw-mean win lost content (Gemma-3 on germany-c kept the phrase rule: content -0.049
[-0.088, -0.013] against base).

Each round, the lowest-scoring drafts (failures), **with the highest-scoring drafts
beside them** (successes) and the user's real replies to the failed messages, go to
the teacher, which writes a revised list of learned rules. Revised rules pass the
same leak/malformed checks as the first ones. A revision is kept only if validation
fidelity improves by the same paired margin and content holds the floor; the loop
stops when a round brings no improvement, when every draft is already in voice, or
after ``rounds`` rounds. Every round's candidate and kept score is recorded, so the
kept score never decreases.

What it leaves out: one draft per message per evaluation (sampling variance is only
seen through the per-message spread; drafting is seeded, so an unchanged prompt
scores the same); profile rules are never revised here, only left out by the
content guard's steps.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, NamedTuple

from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from trainer.draft.prompt import TEACHER_PREFIX, revise_messages
from trainer.learn.pld.cluster import fit_budget
from trainer.learn.pld.rules import Rejected, Rule, check_rule, parse_rule_list
from trainer.voicepack import STYLE_INTRO, render_prompt, student_prompt

DraftFn = Callable[[str, Any], str]  # (student prompt, reply pair) -> draft of the reply
ScoreFn = Callable[[str], float]  # draft -> fidelity in [0, 1]
ContentFn = Callable[[str, Any], float]  # (draft, reply pair) -> content similarity to the real reply
# profile traits that put words in the student's mouth; the content guard adds them last
CONTENT_KINDS = frozenset({"phrases", "openers"})
GAIN_Z = 1.2816  # one-sided 90%: how many standard errors a paired gain must clear


@dataclass(frozen=True)
class RoundRecord:
    round: int
    candidate_score: float | None  # validation fidelity of this round's prompt (None: no usable revision)
    kept_score: float  # the best so far (what the kept prompt scores)
    kept: bool
    rules: int  # learned rules in the candidate
    failures: int = 0
    note: str = ""
    content: float | None = None  # the candidate's mean content similarity (None: no content_fn)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LoopResult:
    learned: tuple[Rule, ...]  # the kept learned rules (within budget)
    profile: tuple[Rule, ...]  # the profile rules within budget
    markdown: str
    prompt_tokens: int
    rounds: tuple[RoundRecord, ...]
    rejected: tuple[Rejected, ...] = ()
    drafts: tuple[dict, ...] = field(default_factory=tuple)  # the kept prompt's validation drafts
    base_score: float | None = None  # the student with no style prompt, same drafts and scorer
    base_content: float | None = None  # the content floor
    content: float | None = None  # the kept prompt's content similarity
    guard: tuple[dict, ...] = ()  # each content-guard step: its score, content and whether it was kept

    @property
    def score(self) -> float:
        return self.rounds[-1].kept_score if self.rounds else 0.0


def build_prompt(profile_rules: list[Rule], learned: list[Rule], budget_tokens: int,
                 count: Callable[[str], int]) -> tuple[str, list[Rule], list[Rule], int]:
    """Render within budget: profile rules by weight, then learned rules; -> (md, prof, learned, tokens)."""
    ordered = sorted(profile_rules, key=lambda r: -r.weight) + list(learned)
    kept = fit_budget(ordered, budget_tokens, count, overhead=count(STYLE_INTRO + "\n"))
    kp = [r for r in kept if r in profile_rules]
    kl = [r for r in kept if r not in kp]
    md = render_prompt(kp, kl)
    return md, kp, kl, count(student_prompt(md))


def evaluate(prompt: str, validation: list[Any], draft_fn: DraftFn, score_fn: ScoreFn,
             cancel: CancelToken | None = None, content_fn: ContentFn | None = None
             ) -> tuple[float, list[dict]]:
    """Mean fidelity of the student's drafts for ``validation`` pairs under ``prompt``
    (each row also has ``content`` when ``content_fn`` is given)."""
    rows = []
    for pair in validation:
        check(cancel)
        draft = draft_fn(prompt, pair)
        row = {"pair": pair, "draft": draft, "score": float(score_fn(draft) or 0.0)}
        if content_fn is not None:
            row["content"] = float(content_fn(draft, pair) or 0.0)
        rows.append(row)
    mean = statistics.fmean(r["score"] for r in rows) if rows else 0.0
    return mean, rows


class _Step(NamedTuple):
    """One prompt the content guard tried, as evaluated."""

    score: float
    rows: list[dict]
    md: str
    kp: list[Rule]
    kl: list[Rule]
    tokens: int
    content: float | None
    note: str


def mean_content(rows: list[dict]) -> float | None:
    vals = [r["content"] for r in rows if "content" in r]
    return statistics.fmean(vals) if vals else None


def guard_steps(profile_rules: list[Rule], learned: list[Rule]) -> list[tuple[str, list[Rule], list[Rule]]]:
    """The content guard's start (the measured habits) and the rule groups it may add,
    in order: ``(name, profile rules, learned rules)``."""
    plain = [r for r in profile_rules if r.kind not in CONTENT_KINDS]
    steps = [("the measured habits" if (len(plain) < len(profile_rules) or learned) else "initial prompt",
              plain, [])]
    if len(plain) < len(profile_rules):
        steps.append(("the favourite phrases and openers", [r for r in profile_rules if r not in plain], []))
    if learned:
        steps.append(("the learned rules", [], list(learned)))
    return steps


def significant_gain(new: list[dict], old: list[dict], z: float = GAIN_Z) -> bool:
    """Whether ``new`` drafts score above ``old`` ones (the same validation messages, in
    the same order) by more than ``z`` standard errors of the per-message gain.

    >>> rows = lambda *s: [{"score": x} for x in s]
    >>> significant_gain(rows(.5, .6, .7), rows(.4, .5, .6)), significant_gain(rows(.9, .1), rows(.4, .5))
    (True, False)
    """
    d = [a["score"] - b["score"] for a, b in zip(new, old)]
    if not d:
        return False
    m = statistics.fmean(d)
    if len(d) < 2:
        return m > 1e-9
    return m > 1e-9 and m - z * statistics.stdev(d) / math.sqrt(len(d)) > 0


def run_loop(profile_rules: list[Rule], learned: list[Rule], validation: list[Any], *,
             draft_fn: DraftFn, score_fn: ScoreFn, teacher: Any | None, rounds: int = 2,
             budget_tokens: int = 400, count: Callable[[str], int], max_rules: int = 8,
             n_failures: int = 3, n_successes: int = 2, teacher_max_tokens: int = 200,
             perfect: float = 0.999, content_fn: ContentFn | None = None, content_tolerance: float = 0.0,
             progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> LoopResult:
    guarded = content_fn is not None and bool(validation)
    steps = guard_steps(profile_rules, learned) if guarded else [("initial prompt", profile_rules, learned)]
    lp = _Loop(validation, draft_fn, score_fn, budget_tokens, count, content_fn, progress, cancel,
               total=rounds + len(steps) + (1 if guarded else 0))
    base_score = floor = None
    if guarded:
        base_score, floor = lp.floor()
    # the content a prompt must hold: the floor (less the tolerance), or the guard step's own
    lp.bar = None if floor is None else floor - content_tolerance
    kept, note = lp.grow(profile_rules, steps)
    guard = tuple({"step": t.note, "score": _r(t.score), "content": _r(t.content), "prompt_tokens": t.tokens,
                   "kept": t is kept} for t in lp.tried)
    records = [RoundRecord(0, round(kept.score, 4), round(kept.score, 4), True, len(kept.kl), note=note,
                           content=_r(kept.content))]
    rejected: list[Rejected] = []
    for r in range(1, rounds + 1):
        check(cancel)
        rec, kept = lp.revise(r, kept, teacher, rejected, n_failures=n_failures, n_successes=n_successes,
                              perfect=perfect, max_rules=max_rules, teacher_max_tokens=teacher_max_tokens)
        records.append(rec)
        if not rec.kept:
            break
    progress(Progress("loop", lp.total, lp.total, info={"kept": kept.score}))
    drafts = tuple({"pair": x["pair"].id, "draft": x["draft"], "score": round(x["score"], 4),
                    **({"content": round(x["content"], 4)} if "content" in x else {})} for x in kept.rows)
    return LoopResult(learned=tuple(kept.kl), profile=tuple(kept.kp), markdown=kept.md, prompt_tokens=kept.tokens,
                      rounds=tuple(records), rejected=tuple(rejected), drafts=drafts,
                      base_score=_r(base_score), base_content=_r(floor), content=_r(kept.content), guard=guard)


@dataclass
class _Loop:
    """The loop's settings and its progress: the prompts tried and the content bar."""

    validation: list[Any]
    draft_fn: DraftFn
    score_fn: ScoreFn
    budget_tokens: int
    count: Callable[[str], int]
    content_fn: ContentFn | None
    progress: ProgressFn
    cancel: CancelToken | None
    total: int = 0
    done: int = 0
    bar: float | None = None
    tried: list[_Step] = field(default_factory=list)

    def holds(self, c: float | None) -> bool:
        return self.bar is None or c is None or c >= self.bar - 1e-9

    def floor(self) -> tuple[float, float | None]:
        """The student with no style prompt: its score and mean content (the floor)."""
        self.progress(Progress("loop", 0, self.total, message="no style prompt (the content floor)"))
        base_score, base_rows = evaluate("", self.validation, self.draft_fn, self.score_fn, self.cancel,
                                         self.content_fn)
        floor = mean_content(base_rows)
        self.done += 1
        self.progress(Progress("loop", self.done, self.total, info={"base": base_score, "floor": floor}))
        return base_score, floor

    def try_step(self, note: str, prof: list[Rule], lrn: list[Rule]) -> _Step:
        check(self.cancel)
        self.progress(Progress("loop", self.done, self.total, message=note))
        md, kp, kl, tokens = build_prompt(list(prof), list(lrn), self.budget_tokens, self.count)
        score, rows = evaluate(student_prompt(md), self.validation, self.draft_fn, self.score_fn, self.cancel,
                               self.content_fn)
        self.done += 1
        step = _Step(score, rows, md, kp, kl, tokens, mean_content(rows), note)
        self.tried.append(step)
        self.progress(Progress("loop", self.done, self.total, info={"score": score, "content": step.content}))
        return step

    def grow(self, profile_rules: list[Rule], steps: list[tuple[str, list[Rule], list[Rule]]]) -> tuple[_Step, str]:
        """Grow from the simplest prompt: a group is added only on a paired gain that holds
        the floor. Returns the prompt kept and its note."""
        (first_note, prof, lrn), *groups = steps
        chosen: _Step | None = self.try_step(first_note, prof, lrn)
        cur_prof, cur_lrn, added = list(prof), list(lrn), []
        if not self.holds(chosen.content):
            chosen = None
        for name, add_prof, add_lrn in groups:
            prof = [r for r in profile_rules if r in cur_prof or r in add_prof]  # the profile's own order
            lrn = cur_lrn + list(add_lrn)
            step = self.try_step(f"+ {name}", prof, lrn)
            if self.holds(step.content) and (chosen is None or significant_gain(step.rows, chosen.rows)):
                chosen, cur_prof, cur_lrn = step, prof, lrn
                added.append(name)
        if chosen is not None:
            note = " + ".join([first_note, *added])
            if len(self.tried) > 1:
                note += (f" (content guard: {len(self.tried)} steps; a group is added only on a significant gain "
                         "that holds the no-style content)")
            return chosen, note
        chosen = max(self.tried, key=lambda t: t.content)
        self.bar = chosen.content  # from here on a revision may not lose content against this step either
        return chosen, chosen.note + " (content guard: no step kept the no-style content; this one came closest)"

    def revise(self, r: int, kept: _Step, teacher: Any | None, rejected: list[Rejected], *, n_failures: int,
               n_successes: int, perfect: float, max_rules: int, teacher_max_tokens: int
               ) -> tuple[RoundRecord, _Step]:
        """One revision round: the teacher rewrites the learned rules from the kept prompt's
        worst drafts and best ones; the revision is kept on a significant gain that holds the
        content bar. Returns the round's record (``kept`` False ends the loop) and the prompt kept."""
        ranked = sorted(kept.rows, key=lambda x: x["score"])
        failures = [x for x in ranked[:n_failures] if x["score"] < perfect]
        best = round(kept.score, 4)
        if teacher is None or not self.validation:
            return RoundRecord(r, None, best, False, len(kept.kl),
                               note="no teacher" if teacher is None else "no validation pairs"), kept
        if not failures:
            return RoundRecord(r, None, best, False, len(kept.kl), note="converged: all drafts in voice"), kept
        fail_ids = {id(x) for x in failures}
        successes = [x for x in reversed(ranked) if id(x) not in fail_ids][:n_successes]
        cand = self._candidates(r, kept, teacher, failures, successes, rejected, max_rules, teacher_max_tokens)
        if not cand:
            return RoundRecord(r, None, best, False, 0, len(failures), note="the teacher gave no usable rules"), kept
        cmd, ckp, ckl, ctok = build_prompt(list(kept.kp), cand, self.budget_tokens, self.count)
        score, crows = evaluate(student_prompt(cmd), self.validation, self.draft_fn, self.score_fn, self.cancel,
                                self.content_fn)
        c = mean_content(crows)
        gain = significant_gain(crows, kept.rows)
        improved = gain and self.holds(c)
        if improved:
            kept, note = _Step(score, crows, cmd, ckp, ckl, ctok, c, kept.note), "kept"
        elif gain:
            note = "dropped: more in voice, but content fell below the floor"
        elif score > kept.score + 1e-9:
            note = "dropped: a higher mean, but not by more than noise explains"
        else:
            note = "no improvement: revision dropped"
        self.done += 1
        self.progress(Progress("loop", min(self.done, self.total), self.total,
                               info={"score": score, "kept": kept.score}))
        return RoundRecord(r, round(score, 4), round(kept.score, 4), improved, len(ckl), len(failures),
                           note=note, content=_r(c)), kept

    def _candidates(self, r: int, kept: _Step, teacher: Any, failures: list[dict], successes: list[dict],
                    rejected: list[Rejected], max_rules: int, teacher_max_tokens: int) -> list[Rule]:
        """The teacher's revised rules that pass ``check_rule`` (the others go to ``rejected``)."""
        msgs = revise_messages([x.text for x in kept.kp + kept.kl], failures, successes, max_rules=max_rules)
        out = teacher.complete(msgs, max_tokens=teacher_max_tokens, temperature=0.3, seed=r, cancel=self.cancel,
                               prefix=TEACHER_PREFIX)
        shown = tuple(t for x in failures + successes for t in (x["draft"], x["pair"].reply_text,
                                                               x["pair"].message_text))
        known = {x.text.lower() for x in kept.kp}
        cand: list[Rule] = []
        for text in parse_rule_list(out)[:max_rules]:
            why = check_rule(text, source_texts=shown,
                             names=tuple(x["pair"].message_sender for x in failures + successes))
            if why:
                rejected.append(Rejected(text, why, "revision"))
            elif text.lower() not in known and all(text != c.text for c in cand):
                cand.append(Rule(text=text, source="revised", evidence=f"revision round {r}", weight=1.0))
        return cand


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
