"""The closed loop: the student drafts with the prompt, the teacher revises the rules.

One evaluation = the student drafts a reply to every validation message with a
style prompt; ``score_fn`` scores each draft (the voice scorer's mean atom
probability, or the profile's habit share as a fallback) and ``content_fn`` says how
close the draft's content is to the user's real reply (embedding cosine).

**Content guard.** A style prompt must not buy voice with substance: before anything
else the student drafts the validation set with no style prompt, and that content
similarity is the floor. The initial prompt is tried in steps that drop the rules
that most often drag a small model off topic (the user's favourite phrases and
openers, then the teacher's learned rules); the most in-voice of the steps whose
content stays at the floor (within ``content_tolerance``) is the starting point. When
none does, the step with the best content is kept and the round says so.

Each round, the lowest-scoring drafts (failures), **with the highest-scoring drafts
beside them** (successes) and the user's real replies to the failed messages, go to
the teacher, which writes a revised list of learned rules. Revised rules pass the
same leak/malformed checks as the first ones. A revision is kept only if validation
fidelity improves and content holds the floor; the loop stops when a round brings
no improvement, when every draft is already in voice, or after ``rounds`` rounds.
Every round's candidate and kept score is recorded, so the kept score never
decreases.

What it leaves out: one draft per message per evaluation (no sampling variance is
measured; drafting is seeded, so an unchanged prompt scores the same); profile
rules are never revised here, only dropped by the content guard's steps.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, NamedTuple

from ingest.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from trainer.pld.cluster import fit_budget
from trainer.pld.prompt import INTRO, render, student_prompt
from trainer.pld.rules import Rejected, Rule, check_rule, parse_rule_list

DraftFn = Callable[[str, Any], str]  # (student prompt, reply pair) -> draft of the reply
ScoreFn = Callable[[str], float]  # draft -> fidelity in [0, 1]
ContentFn = Callable[[str, Any], float]  # (draft, reply pair) -> content similarity to the real reply
# profile traits that put words in the student's mouth; the content guard drops them first
CONTENT_KINDS = frozenset({"phrases", "openers"})


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
    kept = fit_budget(ordered, budget_tokens, count, overhead=count(INTRO + "\n"))
    kp = [r for r in kept if r in profile_rules]
    kl = [r for r in kept if r not in kp]
    md = render(kp, kl)
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
    """The initial prompt, then smaller ones, in the order the content guard tries them."""
    plain = [r for r in profile_rules if r.kind not in CONTENT_KINDS]
    steps = [("initial prompt", profile_rules, learned)]
    if len(plain) < len(profile_rules):
        steps.append(("without the favourite phrases and openers", plain, learned))
    if learned:
        steps.append(("without the learned rules", plain, []))
    return steps


REVISE_SYSTEM = (
    "You improve a list of style instructions that help a small model write e-mail replies "
    "the way one person does. You see drafts that sounded like the person (keep what made them "
    "work), drafts that did not, and what the person really wrote. Answer with the improved "
    "list only: one instruction per line, each starting with \"- \" and a verb, under 25 words. "
    "Never include names, numbers, places or any fact from the e-mails.")


def revise_messages(rules: list[Rule], failures: list[dict], successes: list[dict], *,
                    max_rules: int, clip: int = 400) -> list[dict]:
    def c(t: str) -> str:
        t = " ".join((t or "").split())
        return t if len(t) <= clip else t[:clip] + " ..."

    parts = ["Current instructions:"] + [f"- {r.text}" for r in rules]
    if successes:
        parts += ["", "Drafts that sounded like the person:"]
        parts += [f"[{i + 1}] {c(s['draft'])}" for i, s in enumerate(successes)]
    parts += ["", "Drafts that did NOT sound like the person, each with what the person really wrote:"]
    for i, f in enumerate(failures):
        parts += [f"[{i + 1}] draft: {c(f['draft'])}", f"    real reply: {c(f['pair'].reply_text)}"]
    parts += ["", f"Write the improved instructions (at most {max_rules}), one per line starting with \"- \":"]
    return [{"role": "system", "content": REVISE_SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def run_loop(profile_rules: list[Rule], learned: list[Rule], validation: list[Any], *,
             draft_fn: DraftFn, score_fn: ScoreFn, teacher: Any | None, rounds: int = 2,
             budget_tokens: int = 400, count: Callable[[str], int], max_rules: int = 8,
             n_failures: int = 3, n_successes: int = 2, teacher_max_tokens: int = 200,
             perfect: float = 0.999, content_fn: ContentFn | None = None, content_tolerance: float = 0.0,
             progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> LoopResult:
    steps = guard_steps(profile_rules, learned) if content_fn is not None and validation else \
        [("initial prompt", profile_rules, learned)]
    total = rounds + len(steps) + (1 if content_fn is not None and validation else 0)
    done = 0
    base_score = floor = None
    if content_fn is not None and validation:
        progress(Progress("loop", 0, total, message="no style prompt (the content floor)"))
        base_score, base_rows = evaluate("", validation, draft_fn, score_fn, cancel, content_fn)
        floor = mean_content(base_rows)
        done += 1
        progress(Progress("loop", done, total, info={"base": base_score, "floor": floor}))

    # the content a prompt must hold: the floor (less the tolerance), or the guard step's own
    bar = None if floor is None else floor - content_tolerance

    def holds(c: float | None) -> bool:
        return bar is None or c is None or c >= bar - 1e-9

    records: list[RoundRecord] = []
    tried: list[_Step] = []
    for note, prof, lrn in steps:
        check(cancel)
        progress(Progress("loop", done, total, message=note))
        md, kp, kl, tokens = build_prompt(list(prof), list(lrn), budget_tokens, count)
        score, rows = evaluate(student_prompt(md), validation, draft_fn, score_fn, cancel, content_fn)
        done += 1
        c = mean_content(rows)
        tried.append(_Step(score, rows, md, kp, kl, tokens, c, note))
        progress(Progress("loop", done, total, info={"score": score, "content": c}))
    holding = [t for t in tried if holds(t.content)]
    if holding:  # the most in-voice of the steps that keep the content
        chosen = max(holding, key=lambda t: t.score)
        note = chosen.note
        if len(tried) > 1:
            note += f" (content guard: best of {len(holding)} of {len(tried)} steps at the no-style content)"
    else:
        chosen = max(tried, key=lambda t: t.content)
        note = chosen.note + " (content guard: no step kept the no-style content; this one came closest)"
        bar = chosen.content  # from here on a revision may not lose content against this step either
    best, rows, md, kp, kl, tokens, best_c, _ = chosen
    guard = tuple({"step": t.note, "score": _r(t.score), "content": _r(t.content), "prompt_tokens": t.tokens,
                   "kept": t is chosen} for t in tried)
    records.append(RoundRecord(0, round(best, 4), round(best, 4), True, len(kl), note=note,
                               content=_r(best_c)))
    rejected: list[Rejected] = []
    for r in range(1, rounds + 1):
        check(cancel)
        ranked = sorted(rows, key=lambda x: x["score"])
        failures = [x for x in ranked[:n_failures] if x["score"] < perfect]
        if teacher is None or not validation:
            note = "no teacher" if teacher is None else "no validation pairs"
            records.append(RoundRecord(r, None, round(best, 4), False, len(kl), note=note))
            break
        if not failures:
            records.append(RoundRecord(r, None, round(best, 4), False, len(kl), note="converged: all drafts in voice"))
            break
        fail_ids = {id(x) for x in failures}
        successes = [x for x in reversed(ranked) if id(x) not in fail_ids][:n_successes]
        msgs = revise_messages(kp + kl, failures, successes, max_rules=max_rules)
        out = teacher.complete(msgs, max_tokens=teacher_max_tokens, temperature=0.3, seed=r, cancel=cancel,
                               prefix="- ")
        shown = tuple(t for x in failures + successes for t in (x["draft"], x["pair"].reply_text,
                                                               x["pair"].message_text))
        known = {x.text.lower() for x in kp}
        cand: list[Rule] = []
        for text in parse_rule_list(out)[:max_rules]:
            why = check_rule(text, source_texts=shown,
                             names=tuple(x["pair"].message_sender for x in failures + successes))
            if why:
                rejected.append(Rejected(text, why, "revision"))
            elif text.lower() not in known and all(text != c.text for c in cand):
                cand.append(Rule(text=text, source="revised", evidence=f"revision round {r}", weight=1.0))
        if not cand:
            records.append(RoundRecord(r, None, round(best, 4), False, 0, len(failures),
                                       note="the teacher gave no usable rules"))
            break
        cmd, ckp, ckl, ctok = build_prompt(list(kp), cand, budget_tokens, count)
        score, crows = evaluate(student_prompt(cmd), validation, draft_fn, score_fn, cancel, content_fn)
        c = mean_content(crows)
        improved = score > best + 1e-9 and holds(c)
        if improved:
            best, rows, md, kp, kl, tokens, best_c = score, crows, cmd, ckp, ckl, ctok, c
            note = "kept"
        elif score > best + 1e-9:
            note = "dropped: more in voice, but content fell below the floor"
        else:
            note = "no improvement: revision dropped"
        records.append(RoundRecord(r, round(score, 4), round(best, 4), improved, len(ckl), len(failures),
                                   note=note, content=_r(c)))
        done += 1
        progress(Progress("loop", min(done, total), total, info={"score": score, "kept": best}))
        if not improved:
            break
    progress(Progress("loop", total, total, info={"kept": best}))
    drafts = tuple({"pair": x["pair"].id, "draft": x["draft"], "score": round(x["score"], 4),
                    **({"content": round(x["content"], 4)} if "content" in x else {})} for x in rows)
    return LoopResult(learned=tuple(kl), profile=tuple(kp), markdown=md, prompt_tokens=tokens,
                      rounds=tuple(records), rejected=tuple(rejected), drafts=drafts,
                      base_score=_r(base_score), base_content=_r(floor), content=_r(best_c), guard=guard)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
