"""How the user writes to one correspondent: their register.

People greet their boss and their sister differently. ``register_for(store, message)``
reads, from the user's earlier replies to the message's sender (only replies dated
before the message, outside its thread: what the user had written by then):

- the greeting they use (``greeting_of``'s form, the name as ``{name}``; "" when they
  usually write none) and how often;
- the sign-off (``sign_off_of``) and how often;
- the reply length (median words), the reply speed (median hours from the message to
  the reply), contractions per 100 words, and the share of the user's mail to them
  that starts a thread (the user writes first).

At least ``MIN_REPLIES`` replies to the sender make a correspondent's register; with
fewer, the same for the sender's organisation (its domain, never a free-mail one);
with fewer still, the user's global register (scope ``"global"``: every earlier reply,
to anyone); None only when the user has fewer than ``MIN_REPLIES`` replies at all.
Drafting opens with the register's usual greeting (none, when the user usually writes
none), ends with its usual sign-off (``Scaffold``) and stops near its length;
``describe`` says which register was used, in the user's words.

What it leaves out: formality beyond contractions (titles and surnames are in the
greeting form itself); time of day; a register for a group thread (the sender's is
used).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest.kernel.protocols import MailStore
from trainer.draft.storecache import per_store
from trainer.score.text import CONTRACTION, greeting_of, lines, sign_off_of, words

MIN_REPLIES = 3
MIN_SHARE = 0.5  # a greeting or sign-off used in at least half the replies is "usual"


@dataclass(frozen=True)
class Register:
    who: str  # the address, "@domain", or "" (global)
    scope: str  # "correspondent" | "domain" | "global"
    replies: int
    greeting: str  # the most used greeting form: "{name} —", "Hi {name},"; "" when the user greets with none
    greeting_share: float  # of the replies, those with that greeting (with none, when it is "")
    sign_off: str  # "thx, / D" (lines joined by " / "), or ""
    sign_off_share: float
    words: int
    hours: float | None = None
    contractions: float = 0.0  # per 100 words
    writes_first: float | None = None

    @property
    def usual_greeting(self) -> bool:
        """Whether the register says how to open: always, once the user either greets
        more often than not (with their most used form) or does not (with none)."""
        return self.replies > 0

    @property
    def usual_sign_off(self) -> bool:
        return bool(self.sign_off) and self.sign_off_share >= MIN_SHARE

    def opening(self, first: str) -> str | None:
        """The reply's first line to a correspondent called ``first``: None when the
        register has no usual greeting; "" when the user usually greets them with none."""
        if not self.usual_greeting:
            return None
        if not self.greeting:
            return ""
        if "{name}" in self.greeting and not first:
            return None
        text = self.greeting.replace("{name}", first)
        return text + (" " if text.rstrip().endswith(("—", "–", "-")) else "\n\n")

    def sign_off_text(self) -> str:
        return self.sign_off.replace(" / ", "\n") if self.usual_sign_off else ""

    def describe(self, first: str = "") -> str:
        """'writing to Megan as you usually do: "Megan —", about 30 words, "thx, D"'."""
        to = first or (self.who if self.scope == "correspondent" else f"people at {self.who.lstrip('@')}"
                       if self.scope == "domain" else "anyone")
        if self.scope == "global":
            to = f"{first or 'them'} as you write to anyone"
            return f"writing to {to} ({self.replies} earlier replies): " + ", ".join(self._bits(first))
        return f"writing to {to} as you usually do ({self.replies} earlier replies): " + ", ".join(self._bits(first))

    def _bits(self, first: str) -> list[str]:
        bits = []
        if self.usual_greeting:
            bits.append(f'"{self.greeting.replace("{name}", first or "<name>")}"' if self.greeting
                        else "no greeting")
        bits.append(f"about {self.words} words")
        if self.usual_sign_off:
            bits.append(f'"{self.sign_off.replace(" / ", " ")}"')
        return bits

    def to_json(self) -> dict[str, Any]:
        return {"who": self.who, "scope": self.scope, "replies": self.replies, "greeting": self.greeting,
                "greeting_share": round(self.greeting_share, 3), "sign_off": self.sign_off,
                "sign_off_share": round(self.sign_off_share, 3), "words": self.words,
                "hours": None if self.hours is None else round(self.hours, 1),
                "contractions": round(self.contractions, 2),
                "writes_first": None if self.writes_first is None else round(self.writes_first, 3)}


@dataclass(frozen=True)
class _Reply:
    date: datetime | None
    thread: str
    text: str
    hours: float | None


def _free_mail() -> frozenset[str]:
    from trainer.draft.replycheck.people import _FREE_MAIL

    return _FREE_MAIL


_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


def domain_of(address: str) -> str:
    """The organisation's domain of an address ("" for free mail, whatever the country:
    yahoo.co.uk and outlook.com.au are free mail too).

    >>> domain_of("a@yahoo.co.uk"), domain_of("b@drovers-arms.example"), domain_of("c@acme.co.uk")
    ('', 'drovers-arms.example', 'acme.co.uk')
    """
    d = (address or "").rpartition("@")[2].lower()
    labels = [x for x in d.split(".") if x]
    if len(labels) < 2:
        return ""
    i = -3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else -2  # co.uk
    return "" if labels[i] in _free_mail() else d


class _Index:
    """The user's replies by correspondent and domain, and who wrote first (per store)."""

    def __init__(self, store: MailStore) -> None:
        dates = {}
        first: Counter[str] = Counter()
        sent: Counter[str] = Counter()
        for m in store.messages():
            dates[m.id] = m.date
            if m.own:
                for a in {x.lower() for x in (*m.to, *m.cc) if x}:
                    sent[a] += 1
                    if not m.in_reply_to and not m.references:
                        first[a] += 1
        self.by_sender: dict[str, list[_Reply]] = defaultdict(list)
        self.by_domain: dict[str, list[_Reply]] = defaultdict(list)
        self.all: list[_Reply] = []
        for p in store.reply_pairs():
            sender = (p.message_sender or "").lower()
            if not sender or not p.reply_text.strip():
                continue
            mdate = dates.get(p.message_id) if p.message_id else None
            hours = ((p.date - mdate).total_seconds() / 3600 if p.date and mdate and p.date >= mdate else None)
            r = _Reply(p.date, p.thread, p.reply_text, hours)
            self.all.append(r)
            self.by_sender[sender].append(r)
            dom = domain_of(sender)
            if dom:
                self.by_domain[dom].append(r)
        self.first, self.sent = first, sent


def register_for(store: MailStore, message: Any, *, min_replies: int = MIN_REPLIES,
                 fallback: bool = True) -> Register | None:
    """The register for replying to ``message`` (see the module), or None.
    ``fallback=False``: the correspondent's or organisation's only (None otherwise)."""
    if store is None or not hasattr(store, "reply_pairs"):
        return None
    sender = (getattr(message, "sender", "") or "").lower()
    idx = per_store("registers", store, _Index)
    when = getattr(message, "date", None)
    thread = getattr(message, "thread", "") or ""

    def earlier(rs: list[_Reply]) -> list[_Reply]:
        return [r for r in rs if (not thread or r.thread != thread)
                and (when is None or (r.date is not None and r.date < when))]

    def glob() -> Register | None:  # read only when it is needed (every earlier reply)
        return global_register_for(store, message, min_replies=min_replies)

    got = earlier(idx.by_sender.get(sender, [])) if sender else []
    if len(got) >= min_replies:
        sent = idx.sent.get(sender, 0)
        return _register(sender, "correspondent", got, idx.first.get(sender, 0) / sent if sent else None, glob())
    dom = domain_of(sender)
    got = earlier(idx.by_domain.get(dom, [])) if dom else []
    if len(got) >= min_replies:
        return _register("@" + dom, "domain", got, None, glob())
    return glob() if fallback else None


def global_register_for(store: MailStore, message: Any, *, min_replies: int = MIN_REPLIES) -> Register | None:
    """The user's global register as of ``message`` (every earlier reply, to anyone)."""
    if store is None or not hasattr(store, "reply_pairs"):
        return None
    idx = per_store("registers", store, _Index)
    when = getattr(message, "date", None)
    thread = getattr(message, "thread", "") or ""
    got = [r for r in idx.all if (not thread or r.thread != thread)
           and (when is None or (r.date is not None and r.date < when))]
    return _register("", "global", got, None) if len(got) >= min_replies else None


EVIDENCE = 2  # replies by which a correspondent's form must beat the global one in their own replies


def _register(who: str, scope: str, rs: list[_Reply], writes_first: float | None,
              glob: Register | None = None) -> Register:
    """The register of replies ``rs``. With ``glob`` (the global register), a greeting or
    sign-off of its own only when it outnumbers the global form in these replies by
    ``EVIDENCE`` or more (three replies to someone are few: measured on germany-c,
    taking their most used form alone was worse for sign-offs than the global one)."""
    n = len(rs)
    greet: Counter[str] = Counter()  # greeting forms; "" counts the replies with none
    sign: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    n_words: list[int] = []
    contr = 0
    for r in rs:
        ls = lines(r.text)
        greet[greeting_of(ls)] += 1
        s = sign_off_of(ls)
        key = s.lower().rstrip(".,!")
        sign[key] += 1
        forms[key][s] += 1
        ws = words(r.text)
        n_words.append(len(ws))
        contr += len(CONTRACTION.findall(r.text))
    # more often than not no greeting: none; else the most used form among the greeted
    none = greet[""]
    greeted = Counter({k: v for k, v in greet.items() if k})
    g, gc = ("", none) if none * 2 >= n or not greeted else greeted.most_common(1)[0]
    s_key, sc = sign.most_common(1)[0]
    if glob is not None:
        if gc - greet[glob.greeting] < EVIDENCE:
            g, gc = glob.greeting, greet[glob.greeting]
        g_key = glob.sign_off.lower().rstrip(".,!") if glob.usual_sign_off else ""
        if sc - sign[g_key] < EVIDENCE:
            s_key, sc = g_key, sign[g_key]
            if s_key and not forms[s_key]:
                forms[s_key][glob.sign_off] += 1
    hours = [r.hours for r in rs if r.hours is not None]
    sign_share = sc / n if glob is None or s_key != (glob.sign_off.lower().rstrip(".,!") if glob.usual_sign_off
                                                      else "") else max(sc / n, glob.sign_off_share)
    return Register(who=who, scope=scope, replies=n, greeting=g, greeting_share=gc / n,
                    sign_off=forms[s_key].most_common(1)[0][0] if s_key else "", sign_off_share=sign_share,
                    words=int(statistics.median(n_words)) if n_words else 0,
                    hours=statistics.median(hours) if hours else None,
                    contractions=100.0 * contr / max(1, sum(n_words)), writes_first=writes_first)
