"""Reply checks: would a person send this draft? Cheap, per draft, no LLM.

A draft can sound like the user and still be unsendable. Four checks, each naming the
spans it flags (``Span``: text, offsets into the draft, reason):

- **role**: the draft speaks as the user, to the sender. It fails when the draft
  greets the user by the user's own name ("Dear Wren," in Wren's reply), signs with
  the correspondent's name ("Cheers,\\nJoanna Pryce"), or claims the correspondent's
  identity or organisation in the first person ("I'm Joanna", "the owner of The Salt
  Cellar" in a reply to thesaltcellar.example). Names come from the store's own mail
  (the user's display names and addresses), the message's From, and the name the
  message is signed with.
- **prompt leak**: residue of the prompt: a run of the fence boundary's characters
  (spaces inside it too), fence labels, "Reply:" / "Message:" lines, chat-template
  tokens, "Here is a draft", and any five-word run of the prompt's own instruction text.
- **invented**: money, percentages, times, dates, phone numbers, e-mail addresses, URLs,
  numbers of two or more digits and capitalised names (not at a sentence start) that
  appear neither in the thread being answered nor anywhere in the user's archive (their
  own mail, their documents and the mail they received: their prices and places are
  theirs to repeat, and a name from their inbox is one they know).
- **answered**: the requests and questions in the incoming message (a question mark,
  "could you", "let me know", "please ...", "I need ..."; boilerplate such as "let me
  know if you have any questions" and "please see attached" is not an ask), and for each
  whether a draft sentence responds: close in meaning (MiniLM cosine), or an
  acknowledgement ("Yes", "Will do", "I'll ...") to a request that is at least on the
  same subject. A sentence that only restates the ask (no content word of its own)
  does not count.

``usable`` = role ok, no prompt leak, no invented span, and at least half the asks
answered (all of them when there are at most two).

The thresholds were set on the Enron users' *older* reply pairs (their real replies
against the messages they answered, and against other messages as a negative
control), never on drafts or on the held-out pairs the eval reports; see
``tests/trainer/test_replycheck.py`` and NOTES.md.

What it leaves out: facts the user knows but never wrote down cannot be told from
invented ones, so a real reply that brings a new number counts as inventing it (the
``real`` eval row shows how often); single-digit numbers and bare weekdays or months
are not checked; an answer in another language than the ask is judged by the
multilingual-blind MiniLM.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from trainer.fidelity.atoms import split_atoms
from trainer.flags import normalize_url, urls_in

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class ReplyChecks:
    role_problems: tuple[Span, ...] = ()
    prompt_spans: tuple[Span, ...] = ()
    invented: tuple[Span, ...] = ()
    asks: int = 0
    answered: float | None = None  # share of the asks answered; None when there are none
    unanswered: tuple[str, ...] = ()  # the asks no sentence responds to
    words: int = 0

    @property
    def role_ok(self) -> bool:
        return not self.role_problems

    @property
    def prompt_leak(self) -> bool:
        return bool(self.prompt_spans)

    @property
    def answered_ok(self) -> bool:
        if not self.asks or self.answered is None:
            return True
        need = 1.0 if self.asks <= 2 else 0.5
        return self.answered >= need - 1e-9

    @property
    def usable(self) -> bool:
        return self.role_ok and not self.prompt_leak and not self.invented and self.answered_ok

    @property
    def invented_per_100w(self) -> float:
        return 100.0 * len(self.invented) / max(1, self.words)

    def flags(self) -> tuple[str, ...]:
        """The draft flags these checks add: "role", "prompt_leak", "invented"."""
        return tuple(f for f, on in (("role", not self.role_ok), ("prompt_leak", self.prompt_leak),
                                     ("invented", bool(self.invented))) if on)

    def problems(self) -> int:
        """How far from usable (for picking the best of several samples)."""
        return (3 * len(self.role_problems) + 3 * len(self.prompt_spans) + len(self.invented)
                + (0 if self.answered_ok else 2))

    def spans(self) -> tuple[Span, ...]:
        """Every flagged span, in text order (for marking the draft)."""
        return tuple(sorted((*self.role_problems, *self.prompt_spans, *self.invented), key=lambda s: s.start))

    def to_json(self) -> dict[str, Any]:
        return {"role_ok": self.role_ok, "role_problems": [s.to_json() for s in self.role_problems],
                "prompt_leak": self.prompt_leak, "prompt_spans": [s.to_json() for s in self.prompt_spans],
                "invented": [s.to_json() for s in self.invented], "asks": self.asks,
                "answered": None if self.answered is None else round(self.answered, 3),
                "unanswered": list(self.unanswered)}


# -- names -------------------------------------------------------------------------------------
_FREE_MAIL = frozenset({"gmail", "googlemail", "yahoo", "hotmail", "outlook", "live", "msn", "aol", "icloud",
                        "me", "mac", "gmx", "web", "proton", "protonmail", "fastmail", "mail", "zoho", "yandex",
                        "btinternet", "comcast", "verizon", "att", "example"})
_NOT_NAME_WORDS = frozenset({"the", "and", "of", "for", "mr", "mrs", "ms", "dr", "jr", "sr", "ii", "iii"})


def _words(s: str) -> list[str]:
    return re.findall(r"[a-z][a-z'-]*", (s or "").lower())


def _compact(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (s or "").lower().replace("&", "and"))


def name_parts(display: str, address: str = "") -> set[str]:
    """Lower-case name words of a person: display-name words and first.last address parts.

    >>> sorted(name_parts("Allen, Phillip K.", "phillip.allen@x.com"))
    ['allen', 'phillip']
    """
    parts = {w for w in _words(display) if len(w) > 1 and w not in _NOT_NAME_WORDS}
    local = (address or "").split("@", 1)[0].lower()
    bits = [b for b in re.split(r"[._-]+", local) if b]
    if len(bits) >= 2 and all(b.isalpha() and len(b) > 1 for b in bits[:2]):
        parts.update(bits[:2])
    return parts


def org_key(address: str, exclude: Iterable[str] = ()) -> str:
    """The organisation an address's domain names ("thesaltcellar"), or "" for free mail
    and for the user's own organisations (``exclude``).

    >>> org_key("i0086@thesaltcellar.example"), org_key("a@gmail.com"), org_key("a@enron.com", ["enron"])
    ('thesaltcellar', '', '')
    """
    domain = (address or "").rpartition("@")[2].lower()
    labels = [x for x in domain.split(".") if x]
    if len(labels) < 2:
        return ""
    label = labels[-2] if labels[-1] not in ("uk", "au", "nz", "jp", "za") or len(labels) < 3 else labels[-3]
    if label in _FREE_MAIL or label in set(exclude) or len(label) < 3:
        return ""
    return label


@dataclass(frozen=True)
class People:
    """Who writes and who reads: the user's names and the correspondent's."""

    user_names: frozenset[str] = frozenset()  # lower-case words (first names, surnames)
    user_first: frozenset[str] = frozenset()
    corr_names: frozenset[str] = frozenset()
    corr_first: str = ""
    corr_full: tuple[str, ...] = ()  # full names as word tuples' compact forms ("joannapryce")
    corr_orgs: frozenset[str] = frozenset()  # compact organisation keys


# -- the archive's known facts --------------------------------------------------------------------
_MONEY = r"(?:[$£€¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn|million|billion|thousand))?\b|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars|pounds|euros|usd|gbp|eur|p)\b)"
_PERCENT = r"\b\d+(?:\.\d+)?\s?(?:%|percent\b|per cent\b)"
_TIME = r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)(?![a-z])|\b\d{1,2}:\d{2}\b"
_DATE = (r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b|\b\d{1,2}(?:st|nd|rd|th)\b|"
         r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b")
_PHONE = r"(?<![\w.])(?:\+?\d{1,3}[ .-]?)?(?:\(\d{2,4}\) ?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}(?![\w])"
_EMAIL = r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"
_NUMBER = r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])"
FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(p, re.I)) for kind, p in (
        ("email", _EMAIL), ("phone", _PHONE), ("money", _MONEY), ("percent", _PERCENT), ("time", _TIME),
        ("date", _DATE), ("number", _NUMBER)))
_NUM_IN = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MONEY_RX = re.compile(_MONEY, re.I)
_PERCENT_RX = re.compile(_PERCENT, re.I)
_CAP_WORD = re.compile(r"(?<![\w'’-])[A-Z][a-zA-Z'’-]{1,}")
# capitalised for grammar, not names
_COMMON_CAPS = frozenset("""i i'm i'll i've i'd ok okay mon tue wed thu fri sat sun monday tuesday wednesday thursday
friday saturday sunday january february march april may june july august september october november december
mr mrs ms dr re fw fwd fyi asap pm am tbd eta cc bcc ps""".split())


def number_key(s: str) -> str:
    """A number as a comparable key: separators gone, trailing zero decimals gone.

    >>> number_key("$1,200.00"), number_key("4.50"), number_key("16th")
    ('1200', '4.5', '16')
    """
    m = _NUM_IN.search(s or "")
    if not m:
        return ""
    n = m.group(0).replace(",", "")
    if "." in n:
        n = n.rstrip("0").rstrip(".")
    return n.lstrip("0") or "0"


def fact_keys(text: str) -> set[str]:
    """Everything in ``text`` a fact can be matched against: numbers, digit strings
    (phones), addresses, URLs and lower-case words."""
    keys: set[str] = set()
    for m in _NUM_IN.finditer(text or ""):
        keys.add("n:" + number_key(m.group(0)))
    # a price or a percentage is known only as a price or a percentage ("75 cases" is not "75%")
    for m in _MONEY_RX.finditer(text or ""):
        keys.add("m:" + number_key(m.group(0)))
    for m in _PERCENT_RX.finditer(text or ""):
        keys.add("p:" + number_key(m.group(0)))
    for m in re.finditer(_PHONE, text or ""):
        keys.add("d:" + re.sub(r"\D", "", m.group(0))[-7:])
    for m in re.finditer(_EMAIL, text or "", re.I):
        keys.add("e:" + m.group(0).lower())
    for u in urls_in(text or ""):
        keys.add("u:" + normalize_url(u))
    keys.update("w:" + w for w in re.findall(r"[a-z][a-z'’-]*", (text or "").lower()))
    return keys


def _span_keys(kind: str, text: str) -> list[str]:
    """The keys a fact span must all find to be known."""
    if kind == "email":
        return ["e:" + text.lower()]
    if kind == "url":
        return ["u:" + normalize_url(text)]
    if kind == "phone":
        return ["d:" + re.sub(r"\D", "", text)[-7:]]
    if kind == "name":
        return ["w:" + re.sub(r"['’](?:s)?$", "", text.lower())]
    if kind in ("money", "percent"):
        return [kind[0] + ":" + number_key(text)]
    return ["n:" + number_key(m.group(0)) for m in _NUM_IN.finditer(text)]


class Archive:
    """Document frequencies of fact keys over the whole store (messages, their
    signatures and quotes, and documents), so a held-out reply can be left out of it
    (``without``). Built once per store and size (cached)."""

    def __init__(self, df: Counter[str]) -> None:
        self.df = df

    @classmethod
    def of(cls, store: Any) -> "Archive":
        if store is None:
            return cls(Counter())
        try:
            n = store.count()
        except Exception:  # noqa: BLE001 - a store without counts is not cached
            n = -1
        with _lock:
            try:
                hit = _archives.get(store)
            except TypeError:
                hit = None
            if hit is not None and hit[0] == n and n >= 0:
                return hit[1]
        df: Counter[str] = Counter()
        for m in store.messages():
            df.update(fact_keys("\n".join((m.subject or "", m.sender_name or "", m.sender or "", m.body or m.text or "",
                                           m.signature or ""))))
        docs = getattr(store, "documents", None)
        for d in (docs() if callable(docs) else ()):
            df.update(fact_keys(d.title + "\n" + d.text))
        arch = cls(df)
        with _lock:
            try:
                _archives[store] = (n, arch)
            except TypeError:
                pass
        return arch

    def knows(self, key: str, minus: frozenset[str] = frozenset()) -> bool:
        return self.df.get(key, 0) - (1 if key in minus else 0) > 0

    def number_prefixes(self) -> frozenset[str]:
        """Every prefix of every number the archive holds (for the decoding constraint)."""
        got = getattr(self, "_prefixes", None)
        if got is None:
            got = self._prefixes = number_prefixes(k for k in self.df if k.startswith("n:"))
        return got


def number_prefixes(keys: Iterable[str]) -> frozenset[str]:
    """Prefixes of the numbers behind ``n:`` keys.

    >>> sorted(number_prefixes(["n:4.5", "n:12"]))
    ['1', '12', '4', '4.', '4.5']
    """
    out: set[str] = set()
    for k in keys:
        n = k[2:] if k.startswith("n:") else ""
        out.update(n[:i] for i in range(1, len(n) + 1))
    return frozenset(out)


_archives: "weakref.WeakKeyDictionary[Any, tuple[int, Archive]]" = weakref.WeakKeyDictionary()
_user_names: "weakref.WeakKeyDictionary[Any, tuple[int, frozenset[str], frozenset[str]]]" = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


def user_names(store: Any, me: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(name words, first names) of the user, lower case: from the display names on their
    own mail (those used on at least a tenth of it) and their addresses."""
    words: set[str] = set()
    firsts: set[str] = set()
    for a in me:
        p = name_parts("", a)
        words |= p
        local = a.split("@", 1)[0].lower()
        bits = re.split(r"[._-]+", local)
        if len(bits) >= 2 and bits[0].isalpha() and len(bits[0]) > 1:
            firsts.add(bits[0])
    if store is not None:
        try:
            n = store.count(own=True)
        except Exception:  # noqa: BLE001
            n = -1
        with _lock:
            try:
                hit = _user_names.get(store)
            except TypeError:
                hit = None
        if hit is not None and hit[0] == n and n >= 0:
            return frozenset(words | hit[1]), frozenset(firsts | hit[2])
        names: Counter[str] = Counter()
        total = 0
        for m in store.messages(own=True):
            total += 1
            if m.sender_name:
                names[m.sender_name.strip()] += 1
        w2: set[str] = set()
        f2: set[str] = set()
        for name, c in names.items():
            if c * 10 < total:
                continue
            ws = [w for w in _words(name.split(",", 1)[1] + " " + name.split(",", 1)[0] if "," in name else name)
                  if len(w) > 1 and w not in _NOT_NAME_WORDS]
            w2.update(ws)
            if ws:
                f2.add(ws[0])
        with _lock:
            try:
                _user_names[store] = (n, frozenset(w2), frozenset(f2))
            except TypeError:
                pass
        words |= w2
        firsts |= f2
    return frozenset(words), frozenset(firsts)


def people_for(message: Any, store: Any, me: Sequence[str]) -> People:
    """The user's and the correspondent's names for checking a reply to ``message``."""
    from trainer.scaffold import first_name, signed_name

    me = tuple(me) or (tuple(store.me()[0]) if hasattr(store, "me") else ())
    u_words, u_first = user_names(store, me)
    sender = getattr(message, "sender", "") or ""
    sname = getattr(message, "sender_name", "") or ""
    corr = name_parts(sname, sender)
    first = first_name(message).lower()
    signed = signed_name(getattr(message, "text", "") or "").lower()
    corr |= {x for x in (first, signed) if x}
    full = []
    if sname:
        ws = [w for w in _words(sname.split(",", 1)[1] + " " + sname.split(",", 1)[0] if "," in sname else sname)
              if w not in _NOT_NAME_WORDS]
        if len(ws) >= 2:
            full.append("".join(ws[:1] + ws[-1:]))
    # a name both people share says nothing about who speaks
    shared = corr & u_words
    user_orgs = {org_key(a) for a in me} | {a.rpartition("@")[2].split(".")[0].lower() for a in me if "@" in a}
    org = org_key(sender, exclude=user_orgs)
    return People(user_names=frozenset(u_words - shared), user_first=frozenset(u_first - shared),
                  corr_names=frozenset(corr - shared),
                  corr_first=first if first not in shared else "",
                  corr_full=tuple(full), corr_orgs=frozenset({org} if org else set()))


# -- the checks ---------------------------------------------------------------------------------
_GREET_WORDS = r"(?:hi|hello|hey|dear|hiya|howdy|morning|good morning|good afternoon|good evening|greetings|thanks|thank you)"
_CLAIM = re.compile(r"\b(?:i'?m|i am|my name is|this is|we are|we're|i run|i own|we run|we own|i work (?:at|for)|"
                    r"(?:owner|manager|director|organi[sz]er|founder|head|ceo|president) of|here at|"
                    r"on behalf of|speaking for)\s+(?=(.{1,80}))", re.I)
_CLOSING_LINE = re.compile(r"^(?:thanks|thank you|thx|cheers|best|regards|best regards|kind regards|warm regards|"
                           r"sincerely|yours|all the best|take care|love|many thanks|best wishes|warmly)\b[\s,.!-]*",
                           re.I)


def role_problems(draft: str, people: People) -> list[Span]:
    """Where the draft speaks as the correspondent, or to the user."""
    out: list[Span] = []
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", draft) if m.group(0).strip()]
    if not lines:
        return out
    # 1. greeting the user by the user's own name (the first line, or the body's first words)
    if people.user_names:
        start, line = lines[0]
        words = re.findall(r"[A-Za-z][A-Za-z'-]*", line)
        greet_word = bool(re.match(rf"\s*{_GREET_WORDS}\b", line, re.I))
        for i, w in enumerate(words[:4]):
            if w.lower() not in people.user_names:
                continue
            m = re.search(rf"\b{re.escape(w)}\b", line)
            # "Dear Wren", "Hi Wren Halloway", or a name addressed with a comma or dash ("Wren,",
            # "Wren -"); a bare "Chris Lee Germany" line is the user signing, not a greeting
            addressed = m is not None and re.match(r"\s*(?:[A-Za-z'.-]+\s*)?(?:,|:|—|–|-{1,2}(?:\s|$))",
                                                   line[m.end():]) is not None
            if m is not None and (greet_word or (i == 0 and addressed)):
                out.append(Span(m.group(0), start + m.start(), start + m.end(),
                                "greets you by your own name: the draft speaks to you, not to the sender"))
            break
    # 2. signed with the correspondent's name (a name line at the end)
    tail = lines[-3:]
    names = people.corr_names
    for k, (start, line) in enumerate(tail):
        text = line.strip()
        rest = _CLOSING_LINE.sub("", text) if _CLOSING_LINE.match(text) else text
        ws = _words(rest)
        closing_before = k > 0 and bool(_CLOSING_LINE.match(tail[k - 1][1].strip()))
        is_last = k == len(tail) - 1
        name_line = (1 <= len(ws) <= 3 and all(w in names for w in ws) and rest.rstrip(".!").strip() == rest.strip()
                     and not rest.rstrip().endswith(("?", "!")))
        if not name_line:
            # "Cheers, Joanna Pryce" / "Joanna Pryce / Mendip Fair": a full name, or the org
            comp = _compact(rest)
            if (people.corr_full and any(comp.startswith(f) for f in people.corr_full)) or \
                    (people.corr_orgs and comp and any(comp.startswith(o) for o in people.corr_orgs)
                     and len(ws) <= 6 and (closing_before or is_last or k > 0)):
                off = line.find(rest)
                out.append(Span(rest, start + max(0, off), start + max(0, off) + len(rest),
                                "signed with the sender's name or organisation: the draft speaks as the sender"))
            continue
        block_below = all(len(ln.split()) <= 6 and not ln.rstrip().endswith((".", "?", "!", ":"))
                          for _, ln in tail[k + 1:])  # only a title or an organisation follows
        if text == rest and not (closing_before or is_last or block_below):
            continue  # a lone name mid-text
        if text != rest and len(ws) == 1 and not closing_before:
            continue  # "Thanks Judy": thanking the sender by name, not signing as them
        off = line.find(rest)
        out.append(Span(rest, start + max(0, off), start + max(0, off) + len(rest),
                        "signed with the sender's name: the draft speaks as the sender"))
    # 3. claiming the correspondent's identity or organisation in the first person
    keys = {people.corr_first} | set(people.corr_full) | set(people.corr_orgs)
    keys.discard("")
    if keys:
        for m in _CLAIM.finditer(draft):
            after = m.group(1)
            words = re.findall(r"[A-Za-z0-9&'-]+", after)
            starts = [words, words[1:]] if words and words[0].lower() == "the" else [words]
            hit = next((ws[:n] for ws in starts for n in range(1, min(5, len(ws)) + 1)
                        if _compact("".join(ws[:n])) in keys), None)
            if hit:
                end = m.end() + after.find(hit[-1]) + len(hit[-1])
                out.append(Span(draft[m.start():end], m.start(), end,
                                "claims the sender's name or organisation as the draft's own"))
    return _dedup(out)


_CHAT_TOKENS = re.compile(r"<\|[^|<>\n]{1,24}\|>|</?(?:start_of_turn|end_of_turn|s)>|\[/?INST\]|<<SYS>>")
_META = re.compile(r"\b(?:here(?:'s| is) (?:a |the |your |my )?(?:sample |draft |copy )?(?:of )?(?:your |the |my |a )?"
                   r"(?:draft|reply|response|e-?mail)\b|"
                   r"draft (?:reply|response)\s*:|as an ai\b|language model\b|the user's (?:reply|voice|own)|"
                   r"in your response you\b|write (?:a|the) reply\b|reply body\b|untrusted data\b)", re.I)
_FRAME_LINE = re.compile(r"^\s*(?:Reply|Message|Subject|From|To|Date)\s*:\s*$|^\s*(?:Reply|Message)\s*:", re.M)
_LABELS = re.compile(r"\[\s*/?\s*(?:EMAIL|EARLIER|EXAMPLE|INCOMING|[Ee]mail)\b|"
                     r"\b(?:EMAIL|EARLIER|EXAMPLE|INCOMING)\s+[0-9a-f]{3,}\b")  # the labels are upper case


def _boundary_runs(draft: str, boundary: str, min_run: int = 4) -> list[Span]:
    """Runs of ``boundary``'s characters in ``draft`` (whitespace inside a run allowed):
    4+ characters when the run mixes digits and letters, 6+ when it is all digits (phone
    numbers and prices share digits with any boundary)."""
    if not boundary:
        return []
    chars = [(i, c.lower()) for i, c in enumerate(draft) if not c.isspace()]
    flat = "".join(c for _, c in chars)
    b = boundary.lower()
    out: list[Span] = []
    i = 0
    while i < len(flat):
        best = 0
        for j in range(len(b)):
            k = 0
            while i + k < len(flat) and j + k < len(b) and flat[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
        run = flat[i:i + best]
        mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        if best >= (min_run if mixed else min_run + 2):
            # a run inside a longer word or number is part of it only when it is the whole boundary piece
            s, e = chars[i][0], chars[i + best - 1][0] + 1
            before = draft[s - 1] if s > 0 else " "
            after = draft[e] if e < len(draft) else " "
            if not (before.isalnum() and after.isalnum()) or best >= 6:
                out.append(Span(draft[s:e], s, e, "copies the prompt's fence boundary"))
                i += best
                continue
        i += 1
    return out


_TYPING_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d*)?$")


def draft_veto(boundary: str, user_first: Iterable[str] = (), opening: str = "",
               numbers: frozenset[str] | None = None) -> Callable[[str, str], bool]:
    """A decoding constraint for ``Runtime.generate(veto=...)``: refuse a piece that
    completes a run of the fence boundary (as ``prompt_leaks`` counts one), that makes
    the reply, past its prefilled ``opening``, start by greeting the user by name, or
    (with ``numbers``, the prefixes of every number in the thread and the archive) that
    types a number of two or more digits found nowhere in them.

    >>> v = draft_veto("64058f3ccb12", ["wren"], "Hi Jo,\\n\\n")
    >>> v("Hi Jo,\\n\\nIt is 640", "58f"), v("Hi Jo,\\n\\nIt is 640", "ish"), v("Hi Jo,\\n\\nWren", ","), v("Hi Jo,\\n\\nDear", " Wren")
    (True, False, True, True)
    >>> v("Hi Jo,\\n\\nI", " think"), v("Hi Jo,\\n\\nWren", " and I")
    (False, False)
    >>> n = draft_veto("", numbers=number_prefixes(["n:27", "n:4.5"]))
    >>> n("It is £", "27"), n("It is £2", "8"), n("It is £", "4.5"), n("It is £4.", "6"), n("I have ", "3")
    (False, True, False, True, False)
    """
    b = boundary.lower()
    names = [n.lower() for n in user_first if n]
    alt = "|".join(map(re.escape, names))
    greet = re.compile(rf"^(?:{_GREET_WORDS}\s+(?:{alt})\b|(?:{alt})\s*[,:—–-])", re.I) if names else None

    def veto(text: str, piece: str) -> bool:
        if numbers is not None and any(c.isdigit() for c in piece):
            m = _TYPING_NUMBER.search(text[-40:] + piece)
            if m is not None:
                typed = m.group(0).replace(",", "").lstrip("0") or "0"
                forms = {typed, typed.rstrip("0")} if "." in typed else {typed}  # "4.50" is "4.5"
                if sum(c.isdigit() for c in typed) >= 2 and not forms & numbers:
                    return True
        if b:
            tail = re.sub(r"\s", "", text[-24:]).lower()
            s = tail + re.sub(r"\s", "", piece).lower()
            new = len(s) - len(tail)
            for n in range(min(len(s), len(b)), 3, -1):
                run = s[-n:]
                if n - new < n and run in b:
                    mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
                    if n >= (4 if mixed else 6):
                        return True
                    break
        if greet is not None:
            body = (text + piece)[len(opening):] if (text + piece).startswith(opening) else text + piece
            head = body.lstrip()
            if len(head) <= 40 and greet.match(head) and not (greet.match(text[len(opening):].lstrip())
                                                               if text.startswith(opening) else False):
                return True
        return False

    return veto


def frame_ngrams(frame: str, n: int = 5) -> set[tuple[str, ...]]:
    """Five-word runs of the prompt's instruction text (quoted phrases, which can be the
    user's own habits, left out)."""
    frame = re.sub(r'"[^"\n]*"', " ", frame or "")
    ws = re.findall(r"[a-z']+", frame.lower())
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def prompt_leaks(draft: str, boundary: str = "", frame: set[tuple[str, ...]] | None = None) -> list[Span]:
    out = _boundary_runs(draft, boundary)
    for rx, why in ((_CHAT_TOKENS, "a chat-template token"), (_LABELS, "a fence label from the prompt"),
                    (_FRAME_LINE, "the prompt's frame ('Reply:', 'Message:')"),
                    (_META, "talks about the task instead of replying")):
        out += [Span(m.group(0), m.start(), m.end(), why) for m in rx.finditer(draft)]
    if frame:
        toks = [(m.start(), m.end(), m.group(0).lower()) for m in re.finditer(r"[A-Za-z']+", draft)]
        i = 0
        while i + 5 <= len(toks):
            if tuple(t[2] for t in toks[i:i + 5]) in frame:
                j = i + 5
                while j < len(toks) and tuple(t[2] for t in toks[j - 4:j + 1]) in frame:
                    j += 1
                s, e = toks[i][0], toks[j - 1][1]
                out.append(Span(draft[s:e], s, e, "copies the prompt's instructions"))
                i = j
            else:
                i += 1
    return _dedup(out)


def _sentence_starts(text: str) -> set[int]:
    starts = {0}
    for m in re.finditer(r"(?:[.!?:;]\s+|\n\s*|^\s*|[-—–•*]\s+|\(\s*|\"\s*)", text):
        starts.add(m.end())
    return starts


def invented_spans(draft: str, known: Callable[[str], bool]) -> list[Span]:
    """Fact spans in ``draft`` whose keys are not all ``known``."""
    taken: list[tuple[int, int]] = []
    out: list[Span] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    cands: list[tuple[int, int, str]] = []
    for u in urls_in(draft):
        i = draft.find(u)
        if i >= 0:
            cands.append((i, i + len(u), "url"))
    for kind, rx in FACT_PATTERNS:
        for m in rx.finditer(draft):
            cands.append((m.start(), m.end(), kind))
    starts = _sentence_starts(draft)
    for m in _CAP_WORD.finditer(draft):
        w = m.group(0)
        if m.start() in starts or re.sub(r"['’](?:s)?$", "", w.lower()) in _COMMON_CAPS or w.isupper():
            continue
        cands.append((m.start(), m.end(), "name"))
    for s, e, kind in cands:
        text = draft[s:e].strip()
        if not text or not free(s, e):
            continue
        if kind == "number" and len(re.sub(r"\D", "", text)) < 2:
            continue  # single digits: "2 minutes", "1 of them"
        taken.append((s, e))
        keys = [k for k in _span_keys(kind, text) if k.split(":", 1)[1]]
        if keys and not all(known(k) for k in keys):
            what = {"name": "a name", "url": "a link", "email": "an address", "phone": "a phone number"}.get(kind, kind)
            out.append(Span(text, s, s + len(draft[s:e].rstrip()), f"{what} found neither in this thread "
                                                                     "nor anywhere in your mail"))
    return sorted(out, key=lambda x: x.start)


# asks ----------------------------------------------------------------------------------------
SIM = 0.30  # ask vs one draft sentence; set on the Enron users' older pairs (module docstring)
ACT_SIM = 0.15  # ask vs the whole draft, when the draft makes a reply act
_ASK = re.compile(r"\b(?:could|can|would|will|won't|do|did|are|have) (?:you|u)\b|\blet (?:me|us) know\b|"
                  r"^please\b|, please\b|\b(?:i|we) (?:need|would like|'d like|want)\b|"
                  r"\b(?:send|give|call|tell|confirm|advise|email|e-mail|forward)\s+(?:me|us)\b|\bplease advise\b|"
                  r"\bany (?:thoughts|ideas|news|update)\b", re.I)
_NOT_ASK = re.compile(
    r"\b(?:let (?:me|us) know|please (?:call|contact|e-?mail|let)|feel free|do not hesitate|don't hesitate|"
    r"call me)\b[^.?!]*\b(?:if|should|whenever|when)\b[^.?!]*\b(?:questions?|concerns?|problems?|issues?|anything|"
    r"need|help|comments?|further)\b|\bplease (?:see|find|note|review|read) (?:the )?(?:attached|below|enclosed|"
    r"attachment)\b|\bthank you for\b|\bplease (?:be advised|note that)\b|\bhope you\b", re.I)
_ACK = re.compile(r"^\W*(?:yes|yeah|yep|no|nope|sure|ok|okay|will do|sounds good|of course|absolutely|definitely|"
                  r"certainly|done|agreed|correct|fine|no problem|happy to|glad to|count (?:me|us) in|"
                  r"i(?:'ll| will| can| can't| cannot| won't| would| do| don't)|"
                  r"we(?:'ll| will| can| can't| cannot| won't| would| do| don't)|"
                  r"not (?:yet|sure)|that (?:works|is fine|'s fine)|how about|what about|let's|let us|"
                  r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today)\b)", re.I)
_STOP = frozenset("""a an the and or but if of to in on at for from by with about as is are was were be been being
it its this that these those i you he she we they me him her us them my your our their mine yours do does did
have has had will would can could should may might must shall not no yes so than then there here what which who
whom whose when where why how all any some each just also very too only please let know thanks thank hi hello
asked ask asking question questions wondering regarding re mail email e-mail""".split())


def find_asks(text: str) -> list[str]:
    """The requests and questions in a message's own text, put to its reader (boilerplate,
    links, mangled characters and notices to a list left out).

    >>> find_asks("Hi Wren,\\nCould you send your trade prices? We loved the cider. "
    ...           "Let me know if you have any questions.\\nThanks, Jo")
    ['Could you send your trade prices?']
    """
    out = []
    for a in split_atoms(text or ""):
        if a.kind != "sentence":
            continue
        s = " ".join(a.text.split())
        words = re.findall(r"[A-Za-z][A-Za-z'-]*", s)
        if len(words) < 3 or len(words) > 60 or sum(c.isalpha() for c in s) < 0.6 * len(s.replace(" ", "")):
            continue  # a fragment, a pasted paragraph, or a line of symbols and mojibake
        if "://" in s or "www." in s.lower() or s.isupper():
            continue  # a link to click, a shouted notice
        question = bool(re.search(r"[A-Za-z0-9)\]'\"]\s*\?", s))
        if not (question or _ASK.search(s)) or _NOT_ASK.search(s):
            continue
        if len(_content(s) - _ASK_WORDS) < 2:
            continue  # "Please let me know.", "Give me a call.", "Thoughts?": any reply answers these
        out.append(s)
    return out[:8]


_ASK_WORDS = frozenset("""send give call tell confirm advise forward need like want thoughts ideas news update
soon possible asap time today tomorrow back reply respond response look sure""".split())


def _content(s: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", s.lower()) if w not in _STOP and len(w) > 2}


def answered_asks(asks: Sequence[str], draft_sentences: Sequence[str], embed: Embed | None,
                  sim: float = SIM, act_sim: float = ACT_SIM) -> list[bool]:
    """For each ask, whether the draft responds to it: a sentence close in meaning to the
    ask (cosine >= ``sim``) that adds a content word of its own, or a reply act (an
    acknowledgement, a commitment, a refusal or a counter-question) in a draft that is on
    the ask's subject as a whole (cosine of the ask and the whole draft >= ``act_sim``)."""
    if not asks:
        return []
    sents = [s for s in draft_sentences if len(s.strip()) > 1]
    if not sents:
        return [False] * len(asks)
    whole = " ".join(sents)
    if embed is not None:
        vecs = np.asarray(embed(list(asks) + list(sents) + [whole]), dtype=np.float32)
        cos = vecs[:len(asks)] @ vecs[len(asks):].T
    else:  # no embedder: content-word overlap stands in
        def ov(a: str, b: str) -> float:
            ca, cb = _content(a), _content(b)
            return 2 * len(ca & cb) / max(1, len(ca | cb))
        cos = np.asarray([[ov(a, s) for s in [*sents, whole]] for a in asks], dtype=np.float32)
    acts = any(_ACK.match(s) or s.rstrip().endswith("?") for s in sents)
    out = []
    for i, ask in enumerate(asks):
        ask_words = _content(ask)
        near = any(cos[i, j] >= sim and (_content(s) - ask_words) for j, s in enumerate(sents))
        out.append(bool(near or (acts and cos[i, -1] >= act_sim)))
    return out


# -- one context per message ---------------------------------------------------------------------
@dataclass
class CheckContext:
    """What the checks need to judge replies to one message (built once per draft call)."""

    people: People
    thread_keys: frozenset[str]
    archive: Archive
    asks: tuple[str, ...]
    boundary: str = ""
    frame: set[tuple[str, ...]] = field(default_factory=set)
    embed: Embed | None = None
    minus: frozenset[str] = frozenset()  # keys of a held-out reply left out of the archive

    @classmethod
    def build(cls, message: Any, *, store: Any = None, me: Sequence[str] = (), thread: Sequence[Any] = (),
              examples: Sequence[Any] = (), boundary: str = "", frame_text: str = "",
              embed: Embed | None = None, exclude_text: str = "") -> "CheckContext":
        texts = [getattr(message, a, "") or "" for a in ("subject", "sender_name", "sender", "body", "text",
                                                         "quoted", "signature")]
        texts += ["\n".join((m.subject or "", m.sender_name or "", m.sender or "", m.body or m.text or "",
                             m.signature or "")) for m in thread]
        texts += [getattr(p, "reply_text", "") or "" for p in examples]
        keys: set[str] = set()
        for t in texts:
            keys |= fact_keys(t)
        if embed is None:
            embed = getattr(store, "embed", None) or _default_embed
        return cls(people=people_for(message, store, me), thread_keys=frozenset(keys), archive=Archive.of(store),
                   asks=tuple(find_asks(getattr(message, "text", "") or getattr(message, "body", "") or "")),
                   boundary=boundary, frame=frame_ngrams(frame_text), embed=embed,
                   minus=frozenset(fact_keys(exclude_text)) if exclude_text else frozenset())

    def known(self, key: str) -> bool:
        return key in self.thread_keys or self.archive.knows(key, self.minus)

    def number_prefixes(self) -> frozenset[str]:
        """Prefixes of every number in the thread, the examples and the archive."""
        return self.archive.number_prefixes() | number_prefixes(k for k in self.thread_keys if k.startswith("n:"))

    def check(self, draft: str) -> ReplyChecks:
        from trainer.fidelity.checks import word_count

        atoms = split_atoms(draft)
        sentences = [a.text for a in atoms if a.kind == "sentence"]
        got = answered_asks(self.asks, sentences, self.embed) if self.asks else []
        return ReplyChecks(
            role_problems=tuple(role_problems(draft, self.people)),
            prompt_spans=tuple(prompt_leaks(draft, self.boundary, self.frame)),
            invented=tuple(invented_spans(draft, self.known)),
            asks=len(self.asks), answered=(sum(got) / len(got)) if got else None,
            unanswered=tuple(a for a, ok in zip(self.asks, got) if not ok),
            words=word_count(draft))


def _default_embed(texts: list[str]) -> np.ndarray:
    """MiniLM, for checking drafts when there is no store to embed with."""
    from ingest.embed import get_embedder

    return get_embedder().encode(texts)


def _dedup(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s in sorted(spans, key=lambda x: (x.start, -(x.end - x.start))):
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
