"""What the user changes when they edit a draft, as evidence for the style prompt.

Each saved edit (``ingest.store.edits``) is a (draft, final) pair; the final is the reply
the user really sent when an import found it. ``changes`` compares the two on what a
person would notice: the greeting, the sign-off, the length, exclamation marks, and
opening pleasantries ("I hope you are well"). ``observations`` counts each change over
all edits ("you removed the greeting in 9 of 12 edits"), and ``rules_from_edits``
turns the consistent ones (at least 2 edits and half of them) into ``Rule``s with
``source="edits"``: the PLD loop puts them before the profile's rules and drops a
profile rule of the same kind, since what the user changed by hand is the most
direct evidence there is.

What it leaves out: word-level rewrites (which words the user swaps), and content
the user added (facts, not style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from trainer.learn.pld.rules import Rule
from trainer.score.text import greeting_of, lines, sign_off_of

MIN_EDITS = 2
MIN_SHARE = 0.5
_PLEASANTRY = re.compile(r"\b(hope (you|this|all)|i trust|thank(s| you) for (your|the) (email|message|note)|"
                         r"i am writing|just (wanted|writing) to|happy to help|great to hear)\b", re.I)
_WORD = re.compile(r"[A-Za-z0-9']+")


@dataclass(frozen=True)
class Change:
    greeting_removed: bool
    greeting_added: bool
    greeting_changed: bool
    sign_off_removed: bool
    sign_off_added: bool
    sign_off_changed: bool
    shorter: bool  # the final has at most 80% of the draft's words
    longer: bool  # at least 125%
    exclamations_removed: bool
    pleasantry_removed: bool
    words: tuple[int, int]  # (draft, final)


def changes(draft: str, final: str) -> Change:
    """How ``final`` differs from ``draft``.

    >>> c = changes("Hi Jo,\\n\\nI hope you are well! The fair is on.\\n\\nBest,\\nWren", "The fair is on.\\n\\nW")
    >>> c.greeting_removed, c.pleasantry_removed, c.exclamations_removed, c.sign_off_changed, c.shorter
    (True, True, True, True, True)
    """
    dl, fl = lines(draft), lines(final)
    dg, fg = greeting_of(dl), greeting_of(fl)
    ds, fs = sign_off_of(dl).lower(), sign_off_of(fl).lower()
    dw, fw = len(_WORD.findall(draft)), len(_WORD.findall(final))
    return Change(
        greeting_removed=bool(dg) and not fg, greeting_added=not dg and bool(fg),
        greeting_changed=bool(dg) and bool(fg) and dg != fg,
        sign_off_removed=bool(ds) and not fs, sign_off_added=not ds and bool(fs),
        sign_off_changed=bool(ds) and bool(fs) and ds != fs,
        shorter=dw > 0 and fw <= 0.8 * dw, longer=dw > 0 and fw >= 1.25 * dw,
        exclamations_removed=draft.count("!") > 0 and final.count("!") == 0,
        pleasantry_removed=bool(_PLEASANTRY.search(draft)) and not _PLEASANTRY.search(final),
        words=(dw, fw))


_SAY = {
    "greeting_removed": "you removed the greeting",
    "greeting_added": "you added a greeting",
    "greeting_changed": "you changed the greeting",
    "sign_off_removed": "you removed the sign-off",
    "sign_off_added": "you added a sign-off",
    "sign_off_changed": "you changed the sign-off",
    "shorter": "you cut the draft to 80% of its words or fewer",
    "longer": "you lengthened the draft by a quarter or more",
    "exclamations_removed": "you removed every exclamation mark",
    "pleasantry_removed": "you removed the opening pleasantry",
}


def observations(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Per kind of change: how many of the edits made it, most common first."""
    cs = [changes(d, f) for d, f in pairs if d.strip() and f.strip()]
    n = len(cs)
    out = []
    for key, say in _SAY.items():
        k = sum(1 for c in cs if getattr(c, key))
        if k:
            out.append({"change": key, "count": k, "of": n, "text": f"{say} in {k} of {n} edits"})
    out.sort(key=lambda o: -o["count"])
    return out


def _final_greeting(finals: Sequence[str]) -> str:
    forms = [greeting_of(lines(f)) for f in finals]
    forms = [g for g in forms if g]
    return max(set(forms), key=forms.count) if forms else ""


def rules_from_edits(pairs: Sequence[tuple[str, str]]) -> list[Rule]:
    """Rules for the changes at least ``MIN_EDITS`` edits and ``MIN_SHARE`` of them made."""
    obs = {o["change"]: o for o in observations(pairs)}
    finals = [f for _, f in pairs]

    def strong(key: str) -> dict[str, Any] | None:
        o = obs.get(key)
        return o if o and o["count"] >= MIN_EDITS and o["count"] >= MIN_SHARE * o["of"] else None

    out: list[Rule] = []
    if o := strong("greeting_removed"):
        out.append(Rule("Skip the greeting and start with the point.", source="edits", evidence=o["text"],
                        weight=9.9, kind="greeting"))
    elif (o := strong("greeting_changed") or strong("greeting_added")) and _final_greeting(finals):
        out.append(Rule(f'Open with "{_final_greeting(finals)}" on its own line.', source="edits",
                        evidence=o["text"], weight=9.9, kind="greeting"))
    if o := strong("sign_off_removed"):
        out.append(Rule("End without a sign-off line; stop after the last sentence.", source="edits",
                        evidence=o["text"], weight=9.8, kind="sign_off"))
    if o := strong("pleasantry_removed"):
        out.append(Rule("Leave out pleasantries such as \"I hope you are well\".", source="edits",
                        evidence=o["text"], weight=9.7, kind="pleasantry"))
    if o := strong("shorter"):
        words = sorted(changes(d, f).words[1] for d, f in pairs)
        med = words[len(words) // 2]
        out.append(Rule(f"Keep it short: about {max(5, med)} words.", source="edits", evidence=o["text"],
                        weight=9.6, kind="length"))
    if o := strong("exclamations_removed"):
        out.append(Rule("Do not use exclamation marks.", source="edits", evidence=o["text"], weight=9.5,
                        kind="exclamations"))
    return out


def merge_rules(profile_rules: Sequence[Rule], edit_rules: Sequence[Rule]) -> list[Rule]:
    """Edit rules first; a profile rule of a kind an edit rule covers is dropped."""
    kinds = {r.kind for r in edit_rules}
    return [*edit_rules, *(r for r in profile_rules if not (r.kind and r.kind in kinds))]


def describe_summary(e: dict) -> str:
    """One line, e.g. "Learned from 3 edited drafts (1 replaced by the reply you sent): you removed the
    greeting in 2 of 3 edits." (``learn`` and the Voice page)"""
    n, sent = int(e.get("saved") or 0), int(e.get("sent_found") or 0)
    head = f"Learned from {n} edited draft{'s' if n != 1 else ''}"
    if sent:
        head += f" ({sent} replaced by the reply you sent)"
    changes = [c["text"] for c in (e.get("changes") or [])[:3]]
    return head + (": " + "; ".join(changes) + "." if changes else ".")
