"""Voice scaffolding: the style prompt's habits that decoding keeps, not just asks for.

A small student reads "Sign off with "Phillip"." and "Keep replies short" and then
writes 100 words ending in "Best regards". Three of the measured habits are not a
matter of wording, so the drafting runtime keeps them itself:

- the greeting: the reply's first line is the user's usual greeting, prefilled
  (``<first name>`` becomes the correspondent's first name; no name, no prefill);
- the length: past about twice the user's typical length (never past their 90th
  percentile), generation stops at the next sentence end;
- the sign-off: the model's own sign-off line is cut (a stop string) and the user's
  is appended.

The config's ``scaffold`` setting says which are kept: ``length`` (the default),
``full`` (greeting and sign-off too) or ``off``. The default leaves the greeting and
sign-off to the model because the held-out eval measured them costing ACC: on
allen-p, pld with all three scored ACC -0.038 [-0.057, -0.020] against base (the voice
scorer, trained on deduplicated atoms, rates a bare "Phillip" line at 0.46, and his
correspondents greet him with the same name).

They are read from the style prompt's rule lines (``trainer.learn.pld.profile_rules``
writes them), so the style prompt stays the one readable place: a user who deletes or
edits "Sign off with ..." changes the scaffold too. Everything added is streamed, so
the stream still adds up to the final text.

What it leaves out: only the rule wordings ownvoice writes are recognised (a rule the
user rewrites in other words is left to the model). Per-correspondent greetings,
sign-offs and lengths come from ``trainer.draft.register`` (``with_register``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.kernel.errors import UserError

_GREETING = re.compile(r'^-\s*Open with "([^"\n]+)"', re.M)
_SIGN_OFF = re.compile(r'^-\s*Sign off with "([^"\n]+)"(?: on one line and "([^"\n]+)" on the next)?', re.M)
_LENGTH = re.compile(r"^-\s*[^\n]*?usually (\d+) to (\d+) words(?:, about (\d+) typically)?", re.M)
NAME = "<first name>"
HABITS = ("off", "length", "full")
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dear"})
_ROLES = frozenset({"support", "noreply", "no-reply", "info", "admin", "team", "sales", "help", "service",
                    "customer", "the", "mailer-daemon", "postmaster", "newsletter", "notifications"})
TOKENS_PER_WORD = 1.4  # English mail with a SmolLM2 / Gemma tokenizer
# lines a model starts its own sign-off with; the user's sign-off replaces them
# (whole closing lines only: "Thanks, that works" in the body must not stop the draft)
MODEL_SIGN_OFFS = ("\nBest regards", "\nKind regards", "\nWarm regards", "\nRegards,\n", "\nBest,\n",
                   "\nBest wishes", "\nSincerely", "\nCheers,\n", "\nThanks,\n", "\nThank you,\n",
                   "\nMany thanks,\n", "\nYours truly", "\nYours sincerely")


@dataclass(frozen=True)
class Scaffold:
    greeting: str = ""  # e.g. "<first name>," or "Hi all,"
    sign_off: str = ""  # one or two lines, e.g. "Thanks\nChris"
    max_words: int = 0  # 0: no length stop

    @classmethod
    def from_style(cls, style: str | None, habits: str = "full") -> "Scaffold":
        """The scaffold a style prompt asks for; ``habits`` is the config's ``scaffold``
        (off | length | full).

        >>> s = Scaffold.from_style('- Open with "<first name>," on its own line.\\n'
        ...                         '- Sign off with "Phillip".\\n'
        ...                         '- Keep replies short: usually 7 to 130 words, about 28 typically.')
        >>> s.greeting, s.sign_off, s.max_words
        ('<first name>,', 'Phillip', 56)
        """
        if not style:
            return cls()
        if habits not in HABITS:
            raise UserError(f"Unknown scaffold setting {habits!r}.",
                            hint=f"Set `scaffold` in config.toml to one of: {', '.join(HABITS)}.")
        if habits == "off":
            return cls()
        g = _GREETING.search(style)
        s = _SIGN_OFF.search(style)
        n = _LENGTH.search(style)
        max_words = 0
        if n:
            hi, typical = int(n.group(2)), int(n.group(3) or 0)
            max_words = min(hi, 2 * typical) if typical else hi
        if habits == "length":
            return cls(max_words=max_words)
        sign_off = "\n".join(x for x in (s.group(1), s.group(2)) if x) if s else ""
        return cls(greeting=g.group(1).strip() if g else "", sign_off=sign_off.strip(), max_words=max_words)

    def with_register(self, reg: Any, *, length: bool = False) -> "Scaffold":
        """This scaffold written to one correspondent (``trainer.draft.register.Register``): their
        usual sign-off, and with ``length`` a stop at about twice the user's replies to
        them (never past this scaffold's own). The greeting is the register's ``opening``."""
        sign_off = reg.sign_off_text() or self.sign_off
        max_words = self.max_words
        if length and reg.words:
            cap = max(20, 2 * int(reg.words))
            max_words = min(max_words, cap) if max_words else cap
        return Scaffold(greeting=self.greeting, sign_off=sign_off, max_words=max_words)

    def __bool__(self) -> bool:
        return bool(self.greeting or self.sign_off or self.max_words)

    def prefix(self, message: Any) -> str:
        """The reply's opening (greeting line and a blank line), or "" when the greeting
        needs a name the message does not give."""
        if not self.greeting:
            return ""
        text = self.greeting
        if NAME in text:
            name = first_name(message)
            if not name:
                return ""
            text = text.replace(NAME, name)
        return text + (" " if text.rstrip().endswith(("—", "–", "-")) else "\n\n")

    def generate_kwargs(self, opening: str) -> dict[str, Any]:
        """What ``Runtime.generate`` needs to keep this scaffold, given ``prefix()``'s opening."""
        return {"prefix": opening, "soft_max_tokens": self.soft_max_tokens(), "stop": self.stops()}

    def soft_max_tokens(self) -> int | None:
        return max(16, round(self.max_words * TOKENS_PER_WORD)) if self.max_words else None

    def stops(self) -> tuple[str, ...]:
        return MODEL_SIGN_OFFS if self.sign_off else ()

    def sign_off_piece(self, text: str) -> str:
        """What to append to ``text`` so it ends with the user's sign-off ("" if it does
        already, or if there is no text to sign)."""
        if not self.sign_off or not text.strip():
            return ""
        if text.rstrip().lower().endswith(self.sign_off.lower()):
            return ""
        tail = len(text) - len(text.rstrip(" \t"))
        body = text[:len(text) - tail] if tail else text
        sep = "" if body.endswith("\n\n") else "\n" if body.endswith("\n") else "\n\n"
        return sep + self.sign_off


def said_nothing(text: str, opening: str) -> bool:
    """Whether a generation is empty, or only the prefilled opening."""
    return text.strip() in ("", opening.strip())


_END = re.compile(r"""[.!?]["')\]]*(?=\s|$)|\n""")


def whole_sentences(text: str) -> str:
    r"""``text`` up to the end of its last whole sentence: a ".", "!" or "?" (closing
    quotes and brackets kept) before a space or the end, or a line break after a line
    that does not introduce what follows; "" when it has none. For a generation the
    token budget stopped mid-sentence.

    >>> whole_sentences("Hi Jo,\n\nThe prices are attached. I can send some of")
    'Hi Jo,\n\nThe prices are attached.'
    >>> whole_sentences("It costs 3.5 (about) for the")
    ''
    >>> whole_sentences("Times are:\nMonday at")
    ''
    >>> whole_sentences("Sure. I'll ask Dr. Smith to send the")
    'Sure.'
    """
    end = 0
    for m in _END.finditer(text):
        if m.group() == "\n":
            line = text[:m.start()].rstrip(" \t")
            if not line or line.endswith((":", "\n")):
                continue
            end = m.start()
        elif not _abbreviation(text[:m.start() + 1]):
            end = m.end()
    return text[:end].rstrip() if end else ""


_ABBREVIATIONS = frozenset("""dr mr mrs ms st jr sr vs etc e.g i.e a.m p.m approx no inc ltd co dept est fig
mt prof rev sgt capt col gen lt jan feb mar apr jun jul aug sep sept oct nov dec""".split())


def _abbreviation(upto_dot: str) -> bool:
    """Whether the "." ending ``upto_dot`` closes an abbreviation ("Dr.", "e.g.", "p.m."),
    not a sentence."""
    m = re.search(r"([A-Za-z][A-Za-z.]{0,5})\.$", upto_dot)
    return bool(m) and m.group(1).lower() in _ABBREVIATIONS


def ends_sentence(text: str) -> bool:
    r"""Whether ``text`` ends a sentence (a whole-sentence text needs no cutting back): a
    sentence end, or a finished line (the length stop stops at a line break too).

    >>> ends_sentence("See you at the fair\n"), ends_sentence("Times are:\n"), ends_sentence("and some of")
    (True, False, False)
    """
    t = text.rstrip(" \t")
    if t.endswith("\n"):
        line = t.rstrip().rsplit("\n", 1)[-1]
        return bool(line.strip()) and not line.rstrip().endswith(":")
    t = t.rstrip()
    return bool(t) and whole_sentences(t) == t


def first_name(message: Any) -> str:
    r"""The correspondent's first name: from the display name ("Last, First" too; a sender
    with no address is a display name), else from a first.last address, else from the
    name the message is signed with; "" when none gives one.

    >>> from types import SimpleNamespace as M
    >>> first_name(M(sender_name="Allen, Phillip K.", sender="")), first_name(M(sender_name="", sender="chris.germany@x.com"))
    ('Phillip', 'Chris')
    >>> first_name(M(sender_name="", sender="jsmith@x.com", text="Can you come?\n\nThanks,\nJeff Smith"))
    'Jeff'
    >>> first_name(M(sender_name="", sender="jsmith@x.com"))
    ''
    """
    sender = (getattr(message, "sender", "") or "").strip()
    name = (getattr(message, "sender_name", "") or "").strip() or ("" if "@" in sender else sender)
    got = _display_first(name.strip("\"'"))
    if got is not None:
        return got
    local = sender.split("@", 1)[0]
    parts = re.split(r"[._]", local)
    if len(parts) >= 2 and len(parts[0]) > 1 and parts[0].isalpha() and parts[0].lower() not in _ROLES:
        return parts[0].capitalize()
    return signed_name(getattr(message, "text", "") or "")


def _display_first(name: str) -> str | None:
    """The first name in a display name; "" when it refuses one (an initial, a role
    account), None when it has no word to go on (empty, or only titles)."""
    if "," in name:
        name = name.split(",", 1)[1]
    for w in name.split():
        w = w.strip(".,;:'\"()<>")
        if w.lower() in _TITLES or not w:
            continue
        if len(w) == 1 or not w.replace("-", "").isalpha() or w.lower() in _ROLES:
            return ""  # an initial ("J. Smith"), a number, or a role account: no first name to use
        return w.capitalize() if (w.isupper() or w.islower()) else w
    return None


_CLOSING = re.compile(r"^(?:(?:with )?(?:best|kind|warm|many)?\s*(?:regards|wishes|thanks)|thanks(?: again| so much)?|"
                      r"thank you(?: again)?|thx|cheers|best|sincerely|yours(?: truly| sincerely)?|love|ciao|"
                      r"later(?: gator)?|good luck|take care|talk soon)\b"
                      r"\s*[,.!-]*\s*", re.I)
_NOT_NAMES = frozenset({"thanks", "regards", "hi", "hello", "hey", "test", "call", "note", "please", "west",
                        "east", "north", "south", "attached", "see", "fyi"})
_NAME_WORD = re.compile(r"^[A-Z][a-zA-Z'-]+$|^[A-Z]\.$")


def signed_name(text: str) -> str:
    r"""The first name a message is signed with: its last line, when that line is a name
    of one to three words ("Heather", "Tony Roberts", "Thanks, Jim Wills"), after
    separator lines and attachment markers; "" otherwise (a sentence, a phone number,
    initials, a closing with no name).

    >>> signed_name("Let me know.\n\nHeather"), signed_name("Thanks,\n\nTony Roberts\n----------")
    ('Heather', 'Tony')
    >>> signed_name("last long. With best regards, Jim Wills"), signed_name("Call you soon.\nWRP")
    ('Jim', '')
    >>> signed_name("See you then.\nThanks"), signed_name("Phone: 713-345-4666")
    ('', '')
    >>> signed_name("Enron North America\n(713) 853-3278"), signed_name("The information is below.\nInformation Risk")
    ('', '')
    >>> signed_name("Sure.\nMary K. Smith"), signed_name("Sure.\nLoveday Jones"), signed_name("Sure.\nBestie")
    ('Mary', 'Loveday', 'Bestie')
    """
    lines = [ln.strip() for ln in text.strip().splitlines()]
    lines = [ln for ln in lines if ln and any(c.isalnum() for c in ln) and not ln.startswith("<<")]
    if not lines:
        return ""
    last = lines[-1]
    m = re.search(r"(?:^|[.!?]\s+)((?:with )?(?:best |kind |warm )?regards,?\s+.+)$", last, re.I)
    if m and m.start(1) > 0:
        last = m.group(1)  # "...last long. With best regards, Jim Wills"
    rest = _CLOSING.sub("", last, count=1) if _CLOSING.match(last) else last
    if rest == last and last.endswith((".", "?", "!", ":", ",")):
        return ""
    words = rest.rstrip(".").split()
    # capitalised words; a middle initial ("Mary K. Smith") is fine, all-caps words are not ("WRP")
    if not 1 <= len(words) <= 3 or not all(_NAME_WORD.match(w) and not (w.isalpha() and w.isupper())
                                           for w in words):
        return ""
    first = words[0].rstrip("'")
    if not 2 <= len(first) <= 20 or first.endswith(".") or first.lower() in _TITLES | _ROLES | _NOT_NAMES:
        return ""
    if re.search(rf"(?<![\w'-]){re.escape(first.lower())}(?![\w'-])", text):
        return ""  # used as a plain word in the message ("Information Risk Management"): not a name
    return first
