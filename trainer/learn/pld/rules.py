"""PLD rules: the record, the parsing of the teacher's answers, and the checks (the
prompts that ask for them are ``trainer.draft.prompt``'s teacher mode).

A rule is one short abstract instruction about how the user writes ("Open with a
one-word greeting and the reader's first name."). Rules come from three places:
the stylometric profile (``source="profile"``, with measured evidence), the
teacher explaining one real reply (``"teacher"``), and merges/revisions
(``"merged"``, ``"revised"``).

``check_rule`` rejects what must not reach a style prompt:
- leaks: a name, number, proper noun, e-mail address or URL taken from the pair
  the rule was written for, or a copy of 5 or more consecutive words from it;
- malformed output: empty, too short, too long, or not an instruction.
``normalize_rule`` first turns common descriptive phrasings ("The writer uses
short sentences.") into instructions ("Use short sentences."), since small
teachers describe more often than they instruct.

What it leaves out: no semantic check that a rule is *true* of the reply; the
closed loop (loop.py) judges rules by what they do to validation fidelity.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from trainer.score.text import STOPWORDS

MAX_RULE_WORDS = 40
MIN_RULE_WORDS = 3
COPY_RUN = 5

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

# First words that make a line an instruction.
IMPERATIVES = frozenset("""
acknowledge add address admit agree aim answer apologise apologize ask assume avoid be begin
bring call close confirm include keep end explain express favor favour focus follow get give
go greet help invite leave let limit make match mention mirror name note offer omit open
optionally pose prefer put reassure refer repeat reply respond restate say show sign skip
sound speak start state stay stick suggest summarise summarize thank tell try use vary
write always never don't do rarely often sometimes usually point share send check clarify
provide pair lead wrap finish drop cut soften balance adopt employ maintain convey personalise
personalize reference list group break stress emphasise emphasize request remind encourage
""".split())

_SUBJECT = (r"(?:(?:the|this|their|his|her)\s+(?:writer|author|user|person|sender|replier|reply|response|"
            r"email|e-mail|message|answer|text|tone)|they|he|she)")
_DESCRIPTIVE = re.compile(rf"^{_SUBJECT}\s+(?:(always|often|usually|typically|tends to|frequently|"
                          rf"sometimes|rarely|never)\s+)?(\w+)\b(.*)$", re.I | re.S)

# Capitalised words that are not proper nouns even mid-sentence.
_COMMON_CAPS = frozenset("""
i i'm i'll i've i'd ok okay thanks thank hi hey hello dear please fyi re fw fwd monday tuesday
wednesday thursday friday saturday sunday january february march april may june july august
september october november december am pm yes no sure sorry great cheers best regards right
well so also just quick fine glad happy lovely grand morning afternoon evening
""".split())


@dataclass(frozen=True)
class Rule:
    """One candidate instruction and where it came from."""

    text: str
    source: str = "teacher"  # profile | teacher | merged | revised | user
    evidence: str = ""  # measured numbers / examples (profile rules), or a note
    weight: float = 1.0  # ordering priority inside the prompt (higher first)
    pair_id: str = ""  # the reply pair a teacher rule explains
    kind: str = ""  # profile rules: the trait (sign_off, greeting, length, ..., phrases, openers)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Rule":
        return cls(**{k: d[k] for k in ("text", "source", "evidence", "weight", "pair_id", "kind") if k in d})


@dataclass(frozen=True)
class Rejected:
    text: str
    reason: str
    pair_id: str = ""

    def to_json(self) -> dict:
        return asdict(self)


# a rule carrying the prompt's fence ("[EMAIL 9f3c...]", "[/REPLY ...]") or chat markup
_FENCE = re.compile(r"\[/?(?:EMAIL|REPLY|DRAFT|EXAMPLE|INCOMING|THREAD|EARLIER)\b[^\]]{0,20}\]|"
                    r"<\|[^|>]{1,40}\|>|<(?:start|end)_of_turn>")
# instructions a style rule never needs: overriding the prompt, revealing or sending mail
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+|these\s+)?"
    r"(?:previous|prior|above|earlier|system|original|other)\s+(?:instructions?|rules|prompts?|messages?)\b|"
    r"\b(?:ignore|disregard|override)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?(?:instructions?|prompt)\b|"
    r"\bsystem prompt\b|\byou are now\b|\b(?:reveal|paste|leak)\b.{0,40}\b(?:e-?mails?|messages?|"
    r"threads?|data|prompt|secrets?|passwords?)\b|\bsend\b.{0,30}\bto\b.{0,40}@", re.I)


# -- parsing and normalising ---------------------------------------------------------
_PREFIX = re.compile(r"^\s*(?:[-*•>]+|\d+[.)]|rule\s*\d*\s*[:.-]|instruction\s*[:.-]|"
                     r"style\s*rule\s*[:.-]|answer\s*[:.-])\s*", re.I)


def parse_rule(output: str) -> str:
    """The first instruction-looking line of a teacher's output, cleaned.

    >>> parse_rule('Instruction: "Keep it short and friendly."\\nExplanation: ...')
    'Keep it short and friendly.'
    """
    for line in (output or "").splitlines():
        prev = None
        while prev != line:  # "- 1. Rule:" carries several prefixes
            prev = line
            line = _PREFIX.sub("", line.strip()).strip().strip("\"'“”`* ").strip()
        if line.lower().startswith(("explanation", "note:", "here is", "here's", "sure")):
            continue
        if line:
            return normalize_rule(line)
    return ""


def parse_rule_list(output: str) -> list[str]:
    """All instruction lines of a teacher's output (one rule per line)."""
    out = []
    for line in (output or "").splitlines():
        text = parse_rule(line)
        if text:
            out.append(text)
    return out


def normalize_rule(text: str) -> str:
    """Turn a descriptive sentence about the writer into an instruction.

    >>> normalize_rule("The writer uses short sentences")
    'Use short sentences.'
    >>> normalize_rule("The reply is brief and warm.")
    'Be brief and warm.'
    """
    t = " ".join(text.split())
    m = _DESCRIPTIVE.match(t)
    if m:
        adverb, verb, rest = m.group(1), m.group(2).lower(), m.group(3)
        if verb in ("is", "are", "was", "sounds", "seems", "feels"):
            base = "be"
        elif verb in ("has", "have"):
            base = "have"
        elif verb.endswith("ies") and len(verb) > 4:
            base = verb[:-3] + "y"
        elif verb.endswith(("ches", "shes", "sses", "xes")):
            base = verb[:-2]
        elif verb.endswith("s") and not verb.endswith("ss"):
            base = verb[:-1]
        else:
            base = verb
        if adverb and adverb.lower() not in ("tends to",):
            base = f"{adverb.lower()} {base}"
        t = base + rest
    t = t[:1].upper() + t[1:]
    if t and t[-1] not in ".!?":
        t += "."
    return t


# -- checks --------------------------------------------------------------------------
def specifics(*texts: str) -> dict[str, set[str]]:
    """Names, numbers, proper nouns, e-mails and URLs found in ``texts``.

    Proper nouns are capitalised words other than common capitalised words (I, days,
    months, greetings); at the start of a sentence or line a word counts only when it
    never appears in lower case in the text and is not a stopword or an imperative.
    """
    found: dict[str, set[str]] = {"email": set(), "url": set(), "number": set(), "proper": set()}
    for text in texts:
        if not text:
            continue
        found["email"].update(e.lower() for e in _EMAIL.findall(text))
        found["url"].update(u.lower() for u in _URL.findall(text))
        found["number"].update(n for n in _NUMBER.findall(text) if any(c.isdigit() for c in n))
        lower_seen = {w.lower() for w in _WORD.findall(text) if w[:1].islower()}
        for m in re.finditer(r"\b[A-Z][a-zA-Z'’-]+", text):
            word = m.group(0)
            w = word.lower()
            if w in _COMMON_CAPS or len(word) < 2:
                continue
            before = text[max(0, m.start() - 12):m.start()].rstrip(" \t\"'(")
            initial = not before or before[-1] in ".!?:\n"
            if initial and (w in lower_seen or w in STOPWORDS or w in IMPERATIVES):
                continue  # a sentence-initial ordinary word
            found["proper"].add(w)
    return found


def check_rule(text: str, *, source_texts: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> str | None:
    """Why ``text`` must be rejected, or None when it is a usable rule.

    ``source_texts`` are the mail texts the rule was written from (leak check);
    ``names`` are extra specifics (sender address and name).

    >>> check_rule("Use short sentences and sign with a first name.") is None
    True
    >>> check_rule("Thank Lucy for the report.", source_texts=("Lucy, here is the report.",))
    'leak: proper noun "lucy" from the mail'
    """
    t = " ".join((text or "").split())
    if not t:
        return "malformed: empty"
    words = _WORD.findall(t)
    if len(t.split()) > MAX_RULE_WORDS or len(t) > 300:
        return "malformed: too long"
    low = t.lower()
    if _EMAIL.search(t):
        return "leak: e-mail address"
    if _URL.search(t):
        return "leak: URL"
    spec = specifics(*source_texts, *names)
    for n in _NUMBER.findall(t):
        if n in spec["number"]:
            return f'leak: number "{n}" from the mail'
    rule_words = {w.lower().strip("'’-") for w in words}
    name_bits = {b for nm in names for b in _name_bits(nm)}
    for w in sorted(rule_words):
        if w in spec["proper"] or (w in name_bits and w not in _COMMON_CAPS):
            return f'leak: proper noun "{w}" from the mail'
    run = copied_run(low, source_texts)
    if run:
        return f'leak: copies "{run}" from the mail'
    if _FENCE.search(t):
        return "unsafe: carries prompt markup"
    if _INJECTION.search(t):
        return "unsafe: an instruction that is not about style"
    if len(words) < MIN_RULE_WORDS:
        return "malformed: too short"
    if words[0].lower().replace("’", "'") not in IMPERATIVES:
        return "malformed: not an instruction"
    return None


_GENERIC_DOMAIN = frozenset("example mail email gmail googlemail hotmail outlook live yahoo icloud me "
                            "fastmail proton protonmail aol gmx com co org net uk de fr io info".split())


def _name_bits(name: str) -> set[str]:
    """Words of a sender name or address that would identify them ("fen", "marlow").

    >>> sorted(_name_bits("fen@marlow.example"))
    ['fen', 'marlow']
    """
    name = name.lower()
    if "@" in name:
        local, _, domain = name.partition("@")
        name = local + " " + " ".join(domain.split(".")[:-1])
    return {b for b in re.findall(r"[a-z]{2,}", name) if b not in _GENERIC_DOMAIN}


def copied_run(text: str, sources: tuple[str, ...], n: int = COPY_RUN) -> str:
    """The first run of ``n`` consecutive words of ``text`` found in ``sources``, or ''."""
    toks = [w.lower() for w in _WORD.findall(text)]
    if len(toks) < n:
        return ""
    grams = set()
    for s in sources:
        st = [w.lower() for w in _WORD.findall(s or "")]
        grams.update(tuple(st[i:i + n]) for i in range(len(st) - n + 1))
    for i in range(len(toks) - n + 1):
        g = tuple(toks[i:i + n])
        if g in grams:
            return " ".join(g)
    return ""
