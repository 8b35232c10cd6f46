"""Who writes and who reads: the user's names, the correspondent's, and the role check.

``role_problems`` flags a draft that greets the user by the user's own name, signs with
the correspondent's name or organisation, or claims the correspondent's identity in the
first person. Names come from the store's own mail (``user_names``), the message's From
and the name it is signed with (``people_for``).

What it leaves out: a draft that speaks as the sender without naming anyone is the
business of ``side`` (the sender's words in the sender's persons), and ``ReplyChecks``
reports both as the role check; a reversal in new words ("I've just been invited to
the fair!") is caught by neither.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ingest.kernel.protocols import MailStore
from trainer.draft.replycheck.spans import Span, _dedup
from trainer.draft.storecache import per_store

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

    >>> org_key("i0086@thesaltcellar.example"), org_key("a@gmail.com"), org_key("a@halloway-cider.example", ["halloway-cider"])
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


def user_names(store: MailStore, me: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
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
        w2, f2 = per_store("user names", store, _display_names, own=True)
        words |= w2
        firsts |= f2
    return frozenset(words), frozenset(firsts)


def _display_names(store: MailStore) -> tuple[frozenset[str], frozenset[str]]:
    """Name words and first names of the display names on a tenth or more of the user's mail."""
    names: Counter[str] = Counter()
    total = 0
    for m in store.messages(own=True):
        total += 1
        if m.sender_name:
            names[m.sender_name.strip()] += 1
    words: set[str] = set()
    firsts: set[str] = set()
    for name, c in names.items():
        if c * 10 < total:
            continue
        ws = [w for w in _words(name.split(",", 1)[1] + " " + name.split(",", 1)[0] if "," in name else name)
              if len(w) > 1 and w not in _NOT_NAME_WORDS]
        words.update(ws)
        if ws:
            firsts.add(ws[0])
    return frozenset(words), frozenset(firsts)


def people_for(message: Any, store: MailStore, me: Sequence[str]) -> People:
    """The user's and the correspondent's names for checking a reply to ``message``."""
    from trainer.draft.scaffold import first_name, signed_name

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
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", draft) if m.group(0).strip()]
    if not lines:
        return []
    out = _greets_user(lines, people) + _signed_as_sender(lines, people)
    out += _signature_above(lines, people, {s.start for s in out})
    return _dedup(out + _claims(draft, people))


def _greets_user(lines: list[tuple[int, str]], people: People) -> list[Span]:
    """Greeting or thanking the user by their own name: on the first line, or, after a
    salutation line of its own ("Hiya Joanna,"), at the start of the body ("Thanks,
    Wren! The fair...", "Wren, the pitch is yours"). A body line that is only a closing
    and the name ("Thanks, Wren", "Cheers, Wren x") is the user's signature."""
    if not people.user_names:
        return []
    out = _greeting_to_user(*lines[0], people)
    if not out and len(lines) > 1 and _SALUTATION_LINE.match(lines[0][1]) and people.user_first:
        start, line = lines[1]
        m = _ADDRESSED.match(line)
        if m and m.group(1).lower() in people.user_first and not _SIGNATURE_LINE.match(line):
            out.append(Span(m.group(1), start + m.start(1), start + m.end(1),
                            "thanks or addresses you by your own name: the draft speaks to you, not to the sender"))
    return out


_SALUTE = r"(?:hi|hello|hey|dear|hiya|howdy|morning|good morning|good afternoon|good evening|greetings)"
_SALUTATION_LINE = re.compile(rf"\s*{_SALUTE}\b(?:,?[^\S\n]+[^\s,!]+){{0,4}}[^\S\n]*[,!]?\s*$", re.I)
# "Thanks, Wren! ...", "Hi Wren, ...", "Wren, ..." (the name capitalised, addressed)
_ADDRESSED = re.compile(r"\s*(?:(?i:thanks|thank you|cheers|hi|hello|hey|hiya|dear)[^\S\n]*[,!]?[^\S\n]+)?"
                        r"([A-Z][a-z'’-]+)[^\S\n]*[,!.—–]")
_SIGNATURE_LINE = re.compile(r"\s*(?i:thanks|thank you|many thanks|cheers|best|regards|love|take care|all the best)"
                             r"[^\S\n]*[,!.]?[^\S\n]*[A-Z][a-z'’-]+[^\S\n]*[,.!]?[^\S\n]*(?:x+)?\s*$")


def _greeting_to_user(start: int, line: str, people: People) -> list[Span]:
    """The user's name among a line's first words, greeted or addressed."""
    out: list[Span] = []
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
    return out


def _signed_as_sender(lines: list[tuple[int, str]], people: People) -> list[Span]:
    """Signed with the correspondent's name or organisation (a name line at the end)."""
    out: list[Span] = []
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
    return out


def _signature_above(lines: list[tuple[int, str]], people: People, seen: set[int]) -> list[Span]:
    """The sender's signature block further up (the draft went on after it): a line that
    is the sender's full name and nothing else, past the first line."""
    out: list[Span] = []
    for start, line in lines[1:-3] if len(lines) > 4 else ():
        text = line.strip()
        comp = _compact(_CLOSING_LINE.sub("", text) if _CLOSING_LINE.match(text) else text)
        if people.corr_full and comp in people.corr_full and start not in seen:
            off = line.find(text)
            out.append(Span(text, start + off, start + off + len(text),
                            "signed with the sender's name: the draft speaks as the sender"))
    return out


def _claims(draft: str, people: People) -> list[Span]:
    """Claiming the correspondent's identity or organisation in the first person."""
    out: list[Span] = []
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
    return out
