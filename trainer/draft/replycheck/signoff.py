"""The user's sign-off where a reader expects it: once, at the end.

A small model sometimes signs off on the greeting line ("Hiya Joanna, Cheers, W." and
then the body), or signs with the user's name just before the sign-off drafting appends
("...the rest of the day. Wren\\n\\ncheers, W."). Both read as broken mail. Drafting
knows the sign-off it keeps (the register's or the style prompt's), so the check runs
only when it is given one; a real reply is never judged by it.

A closing signed with another name ("Love,\\nJordan") is a signature the model made up:
the user's names come from the store's own mail (``people.user_names``).

What it leaves out: other closings the model wrote in the middle of a draft without the
user's own sign-off ("Best," then more text), which real mail also has (a "Thanks,"
before a postscript).
"""

from __future__ import annotations

import re
from typing import Iterable

from trainer.draft.replycheck.spans import Span

MID_WORDS = 3  # words after a sign-off that make it a sign-off in the middle


def sign_off_problems(draft: str, sign_off: str, user_first: Iterable[str] = (),
                      user_names: Iterable[str] = ()) -> list[Span]:
    """Where ``sign_off`` stands before the reply is done, a signature by the user's
    first name right before the final sign-off (signed twice), and a closing signed with
    a name that is none of the user's (``user_names``: "Love,\nJordan").

    >>> [s.reason for s in sign_off_problems("Hiya Jo, Cheers, W.\\n\\nThanks for the offer. Wren\\n\\ncheers, W.",
    ...                                       "cheers, W.", {"wren"})]
    ['signs off before the reply is done', 'signed twice: your name, then your sign-off']
    >>> sign_off_problems("Hiya Jo,\\n\\nThe hedge pitch, please.\\n\\ncheers, W.", "cheers, W.", {"wren"})
    []
    >>> sign_off_problems("Thanks, that works for me.\\n\\nThanks,\\nPhil", "Thanks,\\nPhil")
    []
    >>> sign_off_problems("I hope you will.\\n\\nBest,\\nWill", "Best,\\nWill", {"will"})
    []
    >>> sign_off_problems("That is all the best\\nwe can do.\\n\\nBest", "Best")
    []
    >>> [s.text for s in sign_off_problems("Hiya Jo,\\nLove,\\nJordan cheers, W.", "cheers, W.", {"wren"},
    ...                                    {"wren", "halloway"})]
    ['Jordan']
    >>> sign_off_problems("Hiya Jo,\\nSee you then.\\nThanks,\\nWren\\ncheers, W.", "cheers, W.", (), {"wren"})
    []
    """
    so = sign_off.strip()
    if not so:
        return []
    out = []
    # the sign-off as a line's end ("Cheers, W." then a line break), not "Thanks, that works"
    hits = [m for m in re.finditer(r"(?<!\w)" + re.escape(so) + r"(?=[ \t]*(?:\n|$))", draft, re.I)
            if _starts_line(draft, m.start())]
    for m in hits:
        if len(re.findall(r"[A-Za-z]{2,}", draft[m.end():])) >= MID_WORDS:
            out.append(Span(m.group(0), m.start(), m.end(), "signs off before the reply is done"))
    names = {n.lower() for n in user_first if n}
    if hits and names:
        # a capitalised name on its own line or after a sentence end, with no full stop of
        # its own ("... the rest of the day. Wren"; not "I hope you will.")
        before = draft[:hits[-1].start()].rstrip(" \t\n,—–-")
        last = re.search(r"(?:^|[.!?]\s+|\n\s*)([A-Z][\w'’-]*)$", before)
        if last and last.group(1).lower() in names:
            out.append(Span(last.group(1), last.start(1), last.end(1), "signed twice: your name, then your sign-off"))
    return out + _signed_by_someone_else(draft, so, {n.lower() for n in user_names} | names)


_CLOSING = (r"(?:love|lots of love|thanks|thank you|many thanks|cheers|best|best wishes|regards|best regards|"
            r"kind regards|warm regards|warmly|sincerely|yours|yours truly|all the best|take care|xx?)")
# a closing on a line of its own, then (a blank line allowed) a line that is one or two
# capitalised name words and nothing else but, at most, the appended sign-off or kisses
_NAME = r"[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?"
_SIGNED = re.compile(rf"(?m)^[ \t]*(?i:{_CLOSING})[ \t]*[,!.]?[ \t]*\n(?:[ \t]*\n)?[ \t]*({_NAME}(?: {_NAME})?)"
                     rf"(?=[ \t]*(?:x+)?[ \t]*(?:\n|$|[ \t]+\S))")
_NOT_NAMES = frozenset("""i i'll i'm i've i'd we we'll we're the team see talk speak hope have let will sure yes no
ok okay thanks cheers best love regards all looking please just sorry great good""".split())


def _signed_by_someone_else(draft: str, sign_off: str, mine: set[str]) -> list[Span]:
    """A closing line, then a line holding only a name that is none of the user's names
    and not in the sign-off drafting keeps (which may follow it on the line): a signature
    the model made up. Nothing when the user's names are unknown.

    >>> [s.text for s in _signed_by_someone_else("Love,\\n\\nJordan", "", {"wren"})]
    ['Jordan']
    >>> [_signed_by_someone_else(t, "cheers, W.", {"wren"}) for t in ("Thanks!\\nI'll bring it.",
    ...  "Thank you.\\nWe can deliver.", "Thanks!\\nsee you then", "Best,\\nThe Halloway team",
    ...  "Thanks!\\nJo, the pitch is fine.")]
    [[], [], [], [], []]
    >>> _signed_by_someone_else("Best,\\nAnne-Marie", "Best,\\nAnne-Marie", {"anne", "marie"})
    []
    """
    if not mine:
        return []
    own = mine | {w.lower() for w in re.findall(r"[A-Za-z]+", sign_off)}
    out = []
    for m in _SIGNED.finditer(draft):
        rest = draft[m.end(1):].split("\n", 1)[0].strip()
        if rest and rest.lower() != sign_off.strip().lower()[:len(rest)] and not re.fullmatch(r"x+", rest):
            continue  # the line goes on: a sentence ("Jo, the pitch is fine"), not a signature
        words = [w for w in re.split(r"[\s-]+", m.group(1).lower()) if w]
        if words[0] in _NOT_NAMES or any(w in own for w in words):
            continue
        out.append(Span(m.group(1), m.start(1), m.end(1), "signed with a name that is not yours"))
    return out


def _starts_line(text: str, at: int) -> bool:
    """Whether position ``at`` begins a line, or follows only a greeting on it ("Hiya
    Joanna, " then the sign-off), not the middle of a sentence ("... all the best")."""
    head = text[text.rfind("\n", 0, at) + 1:at]
    return not head.strip() or bool(re.fullmatch(r"\s*\S+(?:\s+\S+){0,2},\s*", head))
