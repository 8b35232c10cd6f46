"""The "explain" stage: the teacher writes one abstract rule per real reply.

For each (message, reply) pair the teacher is asked what makes the reply sound like
the user; the answer is parsed, normalised and checked (rules.check_rule): leaks and
malformed answers are rejected with their reason. Answers are cached in the voice
pack (``pld/explanations.json``, rewritten atomically every few pairs) keyed by pair
id and teacher, so an interrupted learn resumes where it stopped.

What it leaves out: one rule per pair (no self-consistency sampling); the cache is
dropped when the teacher or the prompt version changes.
"""

from __future__ import annotations

from typing import Any

from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from trainer.draft.prompt import TEACHER_PREFIX, explain_messages, fixed_boundary
from trainer.learn.pld.rules import Rejected, Rule, check_rule, parse_rule
from trainer.voicepack import VoicePack

CACHE = "pld/explanations.json"
PROMPT_VERSION = 3  # 3: the mail is fenced as data


def explain_pairs(pairs: list[Any], teacher: Any, pack: VoicePack | None = None, *, max_tokens: int = 48,
                  fresh: bool = False, save_every: int = 8, progress: ProgressFn = no_progress,
                  cancel: CancelToken | None = None) -> tuple[list[Rule], list[Rejected]]:
    """Rules (accepted) and rejections for ``pairs``; resumable through ``pack``'s cache."""
    key = {"teacher": getattr(teacher, "name", "?"), "version": PROMPT_VERSION}
    items: dict[str, dict] = {}
    if pack is not None and not fresh:
        cached = pack.read_json(CACHE) or {}
        if {k: cached.get(k) for k in key} == key:
            items = dict(cached.get("items") or {})
    rules: list[Rule] = []
    rejected: list[Rejected] = []
    dirty = 0
    total = len(pairs)
    for i, pair in enumerate(pairs):
        check(cancel)
        item = items.get(pair.id)
        if item is None:
            msgs = explain_messages(pair.message_text, pair.reply_text, boundary=fixed_boundary("explain", pair.id))
            raw = teacher.complete(msgs,
                                   max_tokens=max_tokens, temperature=0.2, seed=i, cancel=cancel,
                                   prefix=TEACHER_PREFIX, stop=("\n",))
            text = parse_rule(raw)
            why = check_rule(text, source_texts=(pair.message_text, pair.reply_text, pair.message_subject),
                             names=(pair.message_sender,))
            item = items[pair.id] = {"rule": text, "raw": raw[:300], "rejected": why}
            dirty += 1
        if item["rejected"]:
            rejected.append(Rejected(item["rule"] or item.get("raw", "")[:120], item["rejected"], pair.id))
        else:
            rules.append(Rule(text=item["rule"], source="teacher", pair_id=pair.id))
        if pack is not None and dirty >= save_every:
            pack.write_json(CACHE, {**key, "items": items})
            dirty = 0
        progress(Progress("explain", i + 1, total, info={"rules": len(rules), "rejected": len(rejected)}))
    if pack is not None and dirty:
        pack.write_json(CACHE, {**key, "items": items})
    return rules, rejected
