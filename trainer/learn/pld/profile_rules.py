"""From a measured profile to candidate rules (with evidence), and habit checks.

``rules_from_profile(p)`` turns each notable trait of a ``Profile`` into a ``Rule``
whose ``evidence`` holds the numbers it rests on; a trait that is not notable
(close to what the user's correspondents do, or too rare) gives no rule.
``habit_checks(p, text)`` tells, for each of the user's strong habits, whether a
draft shows it: the model-free fallback score in ``profile.profile_score``.

What it leaves out: thresholds are fixed heuristics, not fitted per user.
"""

from __future__ import annotations

from typing import Any, Callable

from trainer.learn.pld.rules import Rule
from trainer.score.text import CONTRACTION, FULL_FORM, greeting_of, lines, sign_off_of, words


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _form(f: str) -> str:
    return f.replace("{name}", "<first name>")


def _signoff_text(form: str) -> str:
    if " / " in form:
        a, b = form.split(" / ", 1)
        return f'"{a}" on one line and "{b}" on the next'
    return f'"{form}"'


def rules_from_profile(p: Any) -> list[Rule]:
    """The profile's measured habits as style rules, in a fixed order: the frame (sign-off,
    greeting), length and case, sentences, punctuation, then emoji, lists, phrases and
    openers."""
    n = p.n_messages
    if n == 0:
        return []
    return [r for part in (_frame_rules, _length_case_rules, _sentence_rules, _punctuation_rules, _extra_rules)
            for r in part(p, n)]


def _adder(out: list[Rule]) -> Callable[[str, str, float, str], None]:
    def add(text: str, evidence: str, weight: float, kind: str) -> None:
        out.append(Rule(text=text, source="profile", evidence=evidence, weight=weight, kind=kind))
    return add


def _frame_rules(p: Any, n: int) -> list[Rule]:
    """Sign-off and greeting."""
    out: list[Rule] = []
    add = _adder(out)
    if p.sign_offs and p.sign_offs[0][2] >= 0.08:
        form, cnt, share = p.sign_offs[0]
        alts = [f'"{_form(f)}" ({_pct(s)})' for f, _, s in p.sign_offs[1:3]]
        add(f"Sign off with {_signoff_text(_form(form))}.",
            f"{cnt} of {n} messages ({_pct(share)})" + (f"; also {', '.join(alts)}" if alts else ""), 10, "sign_off")
    elif p.no_sign_off_share >= 0.6:
        alt = f' or at most a plain "{p.sign_offs[0][0]}"' if p.sign_offs else ""
        add(f"End without a sign-off line{alt}; stop after the last sentence.",
            f"no sign-off in {_pct(p.no_sign_off_share)} of {n} messages"
            + (f'; "{p.sign_offs[0][0]}" in {_pct(p.sign_offs[0][2])}' if p.sign_offs else ""), 9, "sign_off")

    if p.greetings and p.greetings[0][2] >= 0.08:
        form, cnt, share = p.greetings[0]
        alts = [f'"{_form(f)}" ({_pct(s)})' for f, _, s in p.greetings[1:3]]
        extra = f"; no greeting in {_pct(p.no_greeting_share)}" if p.no_greeting_share >= 0.3 else ""
        close = [f'"{_form(f)}"' for f, _, s in p.greetings[1:3] if s >= 0.5 * share]
        add(f'Open with "{_form(form)}"' + "".join(f" or {c}" for c in close) + " on its own line.",
            f"{cnt} of {n} messages ({_pct(share)})" + (f"; also {', '.join(alts)}" if alts else "") + extra, 9.5,
            "greeting")
    elif p.no_greeting_share >= 0.6:
        add("Skip the greeting and start with the point.",
            f"no greeting in {_pct(p.no_greeting_share)} of {n} messages", 9.5, "greeting")
    return out


def _length_case_rules(p: Any, n: int) -> list[Rule]:
    """Reply length and capitals."""
    out: list[Rule] = []
    add = _adder(out)
    lw = p.length_words
    if lw.get("median"):
        med, lo, hi = int(lw["median"]), int(lw["p10"]), int(lw["p90"])
        if med <= 60:
            text = f"Keep replies short: usually {lo} to {hi} words, about {med} typically."
        elif med <= 150:
            text = f"Write replies of moderate length: usually {lo} to {hi} words, about {med} typically."
        else:
            text = f"Write full, detailed replies: usually {lo} to {hi} words."
        add(text, f"median {med} words (10th-90th percentile {lo}-{hi}); others' median "
                  f"{int(lw.get('others_median', 0))}", 9, "length")

    cap = p.capitals
    if cap.get("all_lowercase", 0) >= 0.3:
        add("Write entirely in lower case.", f"{_pct(cap['all_lowercase'])} of messages are all lower case", 8, "case")
    else:
        if cap.get("lowercase_i", 0) >= 0.3:
            add('Write the pronoun "I" as lower-case "i".',
                f'lower-case "i" in {_pct(cap["lowercase_i"])} of uses (others {_pct(cap["others_lowercase_i"])})', 8,
                "case")
        ls, ols = cap.get("lowercase_starts", 0), cap.get("others_lowercase_starts", 0)
        if ls >= 0.25 and ls >= 2 * ols:
            add("Often start sentences with a lower-case letter.",
                f"{_pct(ls)} of sentences (others {_pct(ols)})", 7.5, "case")
    return out


def _sentence_rules(p: Any, n: int) -> list[Rule]:
    """Sentence length and contractions."""
    out: list[Rule] = []
    add = _adder(out)
    sw, osw = p.sentence_words.get("median", 0), p.sentence_words.get("others_median", 0)
    if sw and osw and sw <= 0.8 * osw:
        add(f"Use short sentences, about {int(sw)} words each.", f"median {sw:g} words (others {osw:g})", 6,
            "sentences")
    elif sw and osw and sw >= 1.25 * osw:
        add(f"Use long, full sentences, about {int(sw)} words each.", f"median {sw:g} words (others {osw:g})", 6,
            "sentences")

    cr, ocr = p.contractions.get("rate", 0), p.contractions.get("others_rate", 0)
    if cr >= 0.6:
        add("Use contractions (I'm, don't, it's, I'll).", f"contracted {_pct(cr)} of the time (others {_pct(ocr)})", 6,
            "contractions")
    elif 0 < cr <= 0.3 or (cr == 0 and ocr > 0.3):
        add("Avoid contractions: write I am, do not, it is.",
            f"contracted only {_pct(cr)} of the time (others {_pct(ocr)})", 6, "contractions")
    return out


def _punctuation_rules(p: Any, n: int) -> list[Rule]:
    """Punctuation."""
    out: list[Rule] = []
    add = _adder(out)
    punct = p.punctuation
    ex, oex = punct.get("exclamation", (0, 0))
    if ex >= 0.3 and ex >= 1.5 * oex:
        add("Use exclamation marks freely.", f"{ex:.2f} per 100 words (others {oex:.2f})", 5, "punctuation")
    elif ex < 0.05 and oex >= 0.1:
        add("Avoid exclamation marks.", f"{ex:.2f} per 100 words (others {oex:.2f})", 5, "punctuation")
    d, od = punct.get("doubled", (0, 0))
    if d >= 0.05 and d >= 2 * od:
        add('Double up punctuation for emphasis ("!!", "??").', f"{d:.2f} per 100 words (others {od:.2f})", 5,
            "punctuation")
    el, oel = punct.get("ellipsis", (0, 0))
    if el >= 0.2 and el >= 2 * oel:
        add("Trail off with ellipses (...) now and then.", f"{el:.2f} per 100 words (others {oel:.2f})", 4.5,
            "punctuation")
    da, oda = punct.get("dash", (0, 0))
    if da >= 0.3 and da >= 2 * oda:
        add("Join thoughts with dashes.", f"{da:.2f} per 100 words (others {oda:.2f})", 4.5,
            "punctuation")
    return out


def _extra_rules(p: Any, n: int) -> list[Rule]:
    """Emoji, lists, the user's own phrases and openers."""
    out: list[Rule] = []
    add = _adder(out)
    em, oem = p.emoji_share
    if em >= 0.05:
        add("Use an emoji or emoticon such as :) now and then.", f"in {_pct(em)} of messages (others {_pct(oem)})", 4,
            "emoji")
    elif em == 0 and n >= 20:
        add("Do not use emoji.", f"none in {n} messages", 3, "emoji")

    li, oli = p.list_share
    if li >= 0.1:
        add("Use bulleted or numbered lists for several items.", f"lists in {_pct(li)} of messages (others {_pct(oli)})", 3,
            "lists")

    if p.phrases:
        top = [ph for ph, _, _ in p.phrases[:5]]
        add("Favour your own phrases, such as " + ", ".join(f'"{t}"' for t in top) + ".",
            "; ".join(f'"{ph}" z={z:g} in {c} messages' for ph, z, c in p.phrases[:5]), 7, "phrases")

    if p.openers:
        top = [o for o, _, _ in p.openers[:3]]
        add("Begin the body with openers like " + ", ".join(f'"{o}"' for o in top) + ".",
            "; ".join(f'"{o}" {_pct(s)}' for o, _, s in p.openers[:3]), 5.5, "openers")
    return out


def habit_checks(p: Any, text: str) -> list[bool]:
    """One boolean per strong habit of ``p``: does ``text`` show it?"""
    ls = lines(text)
    checks: list[bool] = []
    if p.sign_offs and p.sign_offs[0][2] >= 0.15:
        s = sign_off_of(ls).lower()
        forms = [f.lower() for f, _, share in p.sign_offs if share >= 0.05]
        checks.append(bool(s) and any(s == f or s.endswith(f.split(" / ")[-1]) for f in forms))
    elif p.no_sign_off_share >= 0.6:
        checks.append(not sign_off_of(ls))
    if p.greetings and p.greetings[0][2] >= 0.15:
        g = greeting_of(ls)
        checks.append(g in [f for f, _, share in p.greetings if share >= 0.05])
    elif p.no_greeting_share >= 0.6:
        checks.append(not greeting_of(ls))
    lw = p.length_words
    if lw.get("median"):
        checks.append(lw["p10"] <= len(words(text)) <= max(lw["p90"], lw["p10"] + 1))
    cr = p.contractions.get("rate", 0)
    if cr >= 0.6 or 0 < cr <= 0.3:
        c, f = len(CONTRACTION.findall(text)), len(FULL_FORM.findall(text))
        if c + f:
            checks.append((c >= f) == (cr >= 0.6))
    if p.capitals.get("lowercase_i", 0) >= 0.3:
        checks.append(" I " not in f" {text} ")
    return checks
