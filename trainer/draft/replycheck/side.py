"""Whose side a draft speaks from, when it names nobody.

A reply turns the sender's "I" into "you" and the sender's "you" into "I". A draft that
keeps the sender's persons speaks as the sender even when it neither greets the user
nor signs as the sender, so ``side_problems`` flags three shapes of it:

- **echo**: a four-word run with a person in it ("I will send over the", "we would
  be delighted to") copied from the message in the same person. Runs the user writes
  too (two or more of their own messages hold it: "let me know if you", "I hope you
  are") and a short list of formulas both sides use are left alone.
- **possession**: "your X" where the message said "your X" (the user's cider, the
  user's trade prices), or "our X" / "my X" where the message said "our X" / "my X"
  (the sender's fair, the sender's regulars). Nouns both sides own alike (email, time,
  call, help, thoughts, meeting ...) are left out.
- **the sender's act**: an invitation in a reply to an invitation ("it's a pleasure
  to invite you", "we'd love to have you").

Words are compared with contractions spelled out ("I'll" is "I will").

What it leaves out: a reversal in other words ("the fair has thirty producers this
year, come along") is not caught; neither is one about a third person.
"""

from __future__ import annotations

import re
from ingest.kernel.protocols import MailStore
from collections import Counter
from typing import Callable, Iterable

from trainer.draft.replycheck.spans import Span, _dedup
from trainer.draft.storecache import per_store

FIRST = frozenset({"i", "me", "my", "mine", "we", "us", "our", "ours", "myself", "ourselves"})
SECOND = frozenset({"you", "your", "yours", "yourself", "yourselves"})
_PERSON = FIRST | SECOND
_CONTRACTIONS = {"i'm": "i am", "i'll": "i will", "i've": "i have", "i'd": "i would", "we're": "we are",
                 "we'll": "we will", "we've": "we have", "we'd": "we would", "you're": "you are",
                 "you'll": "you will", "you've": "you have", "you'd": "you would", "it's": "it is",
                 "that's": "that is", "don't": "do not", "doesn't": "does not", "didn't": "did not",
                 "can't": "can not", "cannot": "can not", "won't": "will not", "isn't": "is not",
                 "aren't": "are not", "wasn't": "was not", "let's": "let us", "there's": "there is",
                 "couldn't": "could not", "wouldn't": "would not", "shouldn't": "should not"}
_STOP = frozenset("""a an the and or but if so to of in on at for with from by as is are was were be been being
am do does did have has had will would can could should may might must shall not no this that these those
it its there here then than too very just also about into over up out what which who when where how all any
some more most much many such own same other""".split()) | _PERSON
# formulas both sides of a mail write, whatever their voice
_FORMULAS = frozenset(tuple(s.split()) for s in """
i hope you are|hope you are well|hope you are doing|hope you have a|i hope you have|let me know if|me know if you
know if you have|know if you need|know if you are|if you have any|if you need anything|you have any questions
thank you for your|thank you so much|thank you very much|thanks for your help|i look forward to
look forward to hearing|forward to hearing from|to hearing from you|look forward to seeing|forward to seeing you
to seeing you there|please let me know|let me know what|me know what you|know what you think|you for your help
i will let you|will let you know|i would like to|i wanted to let|wanted to let you|to let you know
i just wanted to|do let me know|let me know when|me know when you|get back to you|i will get back
will get back to|back to you soon|talk to you soon|see you there|see you soon|i am sure you|have a great weekend
hope you had a|you had a good|i am happy to|i would be happy|would be happy to|be happy to help
thanks for getting back|for getting back to|getting back to me|thank you for getting|you for getting back
""".replace("\n", "|").split("|") if s.strip())
# nouns both people own alike: "your email" and "my email" are different emails
_SHARED = frozenset("""email e-mail mail message messages note letter reply response answer call phone number time
times help thoughts thought opinion views view question questions comments comment input feedback
meeting meetings conversation discussion chat talk lunch dinner coffee deal agreement contract
relationship friendship team family kids children wife husband partner life day week weekend
trip holiday holidays vacation name address behalf part side end offer plan plans schedule calendar
diary work job best regards thanks support patience interest understanding attention records
information info list inbox mind own""".split())
_ACT_ASKED = re.compile(r"\binvit(?:e|es|ed|ing|ation)\b|\b(?:delighted|love|like|happy|pleased|glad) to have\b"
                        r"|\bwould (?:love|like) you to\b", re.I)
_ACT_DRAFT = re.compile(r"\b(?:invite|inviting)\s+you\b|\b(?:pleasure|delighted|thrilled|happy|pleased|love|like)"
                        r" to (?:invite|have) you\b|\b(?:our|my) invitation\b|\bwelcome you\b", re.I)


def words(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) for each word; a contraction gives its words the
    same offsets."""
    out: list[tuple[str, int, int]] = []
    for m in re.finditer(r"[A-Za-z]+(?:['’][A-Za-z]+)?", text or ""):
        w = m.group(0).lower().replace("’", "'")
        for part in _CONTRACTIONS.get(w, w).split():
            out.append((part, m.start(), m.end()))
    return out


def _lines_words(text: str) -> list[list[str]]:
    """Normalised words per sentence-ish piece (runs never cross a line or a full stop)."""
    return [[w for w, _, _ in words(piece)] for piece in re.split(r"[\n.!?;:]+", text or "") if piece.strip()]


def person_runs(text: str, n: int = 4) -> set[tuple[str, ...]]:
    """The ``n``-word runs of ``text`` with a person in them and a content word."""
    out: set[tuple[str, ...]] = set()
    for ws in _lines_words(text):
        for i in range(len(ws) - n + 1):
            run = tuple(ws[i:i + n])
            if any(w in _PERSON for w in run) and any(w not in _STOP for w in run):
                out.add(run)
    return out


def possessions(text: str) -> tuple[set[str], set[str]]:
    """(what the writer calls "your", what they call "our"/"my"): the first content word
    within two words of the possessive, shared nouns left out."""
    yours: set[str] = set()
    ours: set[str] = set()
    for ws in _lines_words(text):
        for i, w in enumerate(ws):
            if w in ("your", "our", "my"):
                head = next((x for x in ws[i + 1:i + 3] if x not in _STOP), None)
                if head and head not in _SHARED and len(head) > 2:
                    (yours if w == "your" else ours).add(head)
    return yours, ours


def own_runs(store: MailStore) -> Counter[tuple[str, ...]]:
    """How many of the user's own messages hold each person run (cached per store)."""
    if store is None:
        return Counter()
    return per_store("own person runs", store, _count_own_runs, own=True)


def _count_own_runs(store: MailStore) -> Counter[tuple[str, ...]]:
    c: Counter[tuple[str, ...]] = Counter()
    for m in store.messages(own=True):
        c.update(person_runs(m.text or m.body or ""))
    return c


class Sides:
    """The message's persons, for judging replies to it."""

    def __init__(self, message_text: str, own: Counter[tuple[str, ...]] | None = None,
                 minus: Iterable[tuple[str, ...]] = ()) -> None:
        own = own or Counter()
        drop = set(minus)
        self.echo = {r for r in person_runs(message_text) if r not in _FORMULAS
                     and own.get(r, 0) - (1 if r in drop else 0) < 2}
        yours, ours = possessions(message_text)
        self.yours = yours - ours  # said both ways: no side
        self.ours = ours - yours
        self.act = bool(_ACT_ASKED.search(message_text or ""))

    def problems(self, draft: str) -> list[Span]:
        out: list[Span] = []
        ws = words(draft)
        # an echo: the longest run of consecutive four-word matches, one span
        i = 0
        while i + 4 <= len(ws):
            if _same_piece(draft, ws[i:i + 4]) and tuple(w for w, _, _ in ws[i:i + 4]) in self.echo:
                j = i + 4
                while j < len(ws) and _same_piece(draft, ws[j - 3:j + 1]) and \
                        tuple(w for w, _, _ in ws[j - 3:j + 1]) in self.echo:
                    j += 1
                s, e = ws[i][1], ws[j - 1][2]
                out.append(Span(draft[s:e], s, e, "repeats the sender's own words as the draft's: "
                                                  "the draft speaks as the sender"))
                i = j
            else:
                i += 1
        for k, (w, s, _) in enumerate(ws):
            if w not in ("your", "our", "my"):
                continue
            nxt = [x for x in ws[k + 1:k + 3] if _same_piece(draft, [ws[k], x])]
            head = next((x for x in nxt if x[0] not in _STOP), None)
            if head is None:
                continue
            if (w == "your" and head[0] in self.yours) or (w != "your" and head[0] in self.ours):
                why = (f"calls your own {head[0]} the sender's" if w == "your"
                       else f"claims the sender's {head[0]} as the draft's own")
                out.append(Span(draft[s:head[2]], s, head[2], why + ": the draft speaks as the sender"))
        if self.act:
            out += [Span(m.group(0), m.start(), m.end(), "invites the sender to their own event: "
                                                          "the draft speaks as the sender")
                    for m in _ACT_DRAFT.finditer(draft)]
        return _dedup(out)


def _same_piece(text: str, ws: list[tuple[str, int, int]]) -> bool:
    """Whether the words stand in one sentence of ``text`` (no line break or full stop between)."""
    return not re.search(r"[\n.!?;:]", text[ws[0][1]:ws[-1][2]])


def side_problems(draft: str, message_text: str, own: Callable[[], Counter] | None = None) -> list[Span]:
    """Where ``draft`` speaks from the sender's side of ``message_text`` (see the module)."""
    return Sides(message_text, own() if own else None).problems(draft)
