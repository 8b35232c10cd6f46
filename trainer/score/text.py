"""Small text helpers shared by the PLD modules: words, sentences, lines, stopwords.

Plain regular expressions, English-centred. What it leaves out: no real sentence
segmenter (abbreviations like "e.g." split a sentence), no language detection.

Two splitters on purpose: the scorer's atoms (``trainer.score.atoms``) segment with
pysbd and keep offsets; ``sentences`` here is PLD's profile's, over up to 20,000
messages. On the demo archive pysbd was about 100 times slower than this regex and
split 34 of 182 messages differently (NOTES.md, twelfth session), which would change
the profile and PLD's figures.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,:/]\d+)*")
_SENT = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves also get got let may
might must shall us let's i'm i'll i've i'd it's that's there's don't can't won't didn't
doesn't isn't aren't wasn't weren't haven't hasn't wouldn't couldn't shouldn't you're we're
they're you'll we'll they'll you've we've they've
""".split())


def words(text: str) -> list[str]:
    """Words (letters and inner apostrophes), case kept.

    >>> words("I'm fine -- thanks, Bob!")
    ["I'm", 'fine', 'thanks', 'Bob']
    """
    return [w.replace("’", "'") for w in WORD.findall(text or "")]


def tokens(text: str) -> list[str]:
    """Lower-cased words and numbers, for n-gram counting."""
    return [t.replace("’", "'").lower() for t in TOKEN.findall(text or "")]


def lines(text: str) -> list[str]:
    """Non-empty stripped lines."""
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


def sentences(text: str) -> list[str]:
    """Sentences: split after . ! ? and at blank lines and list items.

    >>> sentences("Hi Bob.  Sure thing! See you\\n\\nW.")
    ['Hi Bob.', 'Sure thing!', 'See you', 'W.']
    """
    out = []
    for part in _SENT.split((text or "").strip()):
        part = " ".join(part.split())
        if part:
            out.append(part)
    return out


# -- the shape of a mail: greeting, sign-off, opener, habits ------------------------------
GREETING_WORDS = ("hi", "hey", "hello", "dear", "morning", "good", "greetings", "yo", "hiya", "howdy")
CLOSING_WORDS = ("thanks", "thank", "cheers", "best", "regards", "sincerely", "love", "take",
                 "talk", "later", "ciao", "yours", "warmly", "warm", "kind", "all", "xo", "x")
CONTRACTION = re.compile(r"\b(?:\w+n['’]t|i['’]m|\w+['’](?:re|ve|ll|d)|(?:it|that|there|what|here|he|she|"
                          r"let|who|where)['’]s)\b", re.I)
FULL_FORM = re.compile(r"\b(?:do|does|did|is|are|was|were|could|would|should|have|has|had) not\b|"
                        r"\bcannot\b|\bwill not\b|\bi am\b|\bi will\b|\bi have\b|\bi would\b|"
                        r"\b(?:you|we|they) (?:are|will|have)\b|\b(?:it|that|there) is\b|\blet us\b", re.I)
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\U0001F000-\U0001F02F]|(?<!\\w)[:;]-?[)(DPp](?!\\w)")
LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S")
PUNCT = {
    "exclamation": re.compile(r"!"),
    "question": re.compile(r"\?"),
    "ellipsis": re.compile(r"\.\.\.|…"),
    "dash": re.compile(r"\s--?\s|—|–"),
    "doubled": re.compile(r"[!?]{2,}"),
}


_NOT_NAMES = frozenset("""thanks thank sure right yes no ok okay great grand lovely sorry morning
afternoon evening so well also and but just quick fine done update note""".split()) | STOPWORDS


def _name_token(w: str) -> bool:
    return w[:1].isupper() and w.lower() not in GREETING_WORDS and w.lower() not in ("i", "all", "team", "everyone", "folks", "guys")


def greeting_of(ls: list[str]) -> str:
    """The normalised greeting line of a message, or ''.

    >>> greeting_of(["Hi Lucy,", "Sure."]), greeting_of(["Jeff,", "I got it."]), greeting_of(["I got it."])
    ('Hi {name},', '{name},', '')
    >>> greeting_of(["Hey Molly, can you call me?"]), greeting_of(["Fen — the press is fixed."])
    ('Hey {name},', '{name} —')
    >>> greeting_of(["Dai —", "Trailer would be grand."])
    '{name} —'

    """
    if not ls:
        return ""
    first = ls[0]
    m = re.match(r"((?:%s)\b[^,.!?]{0,25}[,!])\s+\S" % "|".join(GREETING_WORDS), first, re.I)
    d = re.match(r"([A-Z][a-z]+)\s*[—–](?:\s+\S|\s*$)", first)
    if m and len(m.group(1).split()) <= 4:
        first = m.group(1)  # an inline greeting: "Hey Molly, can you ..."
    elif d and d.group(1).lower() not in _NOT_NAMES:
        return "{name} —"  # "Fen — thanks for ..."
    elif len(ls) < 2:
        return ""
    ws = first.split()
    if not ws or len(ws) > 5 or re.search(r"\d|@", first):
        return ""
    lead = ws[0].lower().strip(",!.:")
    if not (first.endswith((",", "!", ":")) or lead in GREETING_WORDS):
        return ""
    if lead not in GREETING_WORDS and not all(_name_token(w.strip(",!:")) for w in ws):
        return ""  # "Please see below:" is not a greeting
    out = []
    for w in ws:
        core = w.strip(",!:.")
        out.append(w.replace(core, "{name}") if core and _name_token(core) else w)
    g = " ".join(out)
    return re.sub(r"(\{name\}\s*)+", "{name}", g).replace("{name}{name}", "{name}")


def sign_off_of(ls: list[str]) -> str:
    """The sign-off: the last short line, with a short closing line before it.

    >>> sign_off_of(["Jeff,", "Sure.", "Thanks,", "Phillip"]), sign_off_of(["ok", "cheers, W."])
    ('Thanks, / Phillip', 'cheers, W.')
    """
    if len(ls) < 2:
        return ""
    last = ls[-1]
    if len(last.split()) > 4 or last.endswith("?") or re.search(r"\d|@|https?:", last):
        return ""
    if last.endswith(".") and len(last.split()) > 2:
        return ""  # a short sentence, not a sign-off
    prev = ls[-2]
    if (len(ls) >= 3 and len(prev.split()) <= 3 and not re.search(r"\d|@", prev)
            and (prev.endswith(",") or prev.split()[0].lower().strip(",.!") in CLOSING_WORDS)
            and last.split()[0].lower().strip(",.!") not in CLOSING_WORDS):
        return f"{prev} / {last}"
    return last


def opener_of(ls: list[str], has_greeting: bool) -> str:
    """The first two words of the body (after any greeting), lower-cased."""
    body = ls[1:] if has_greeting else ls
    if not body:
        return ""
    ws = words(body[0])[:2]
    if not ws or any(w[:1].isupper() and w.lower() not in STOPWORDS and w != "I" for w in ws[1:]):
        return ""
    return " ".join(w if w == "I" else w.lower() for w in ws)


