"""Reply checks: would a person send this draft? Cheap, per draft, no LLM.

A draft can sound like the user and still be unsendable. Four checks, each naming the
spans it flags (``Span``: text, offsets into the draft, reason):

- **role**: the draft speaks as the user, to the sender. It fails when the draft
  greets the user by the user's own name ("Dear Wren," in Wren's reply), signs with
  the correspondent's name ("Cheers,\\nJoanna Pryce"), or claims the correspondent's
  identity or organisation in the first person ("I'm Joanna", "the owner of The Salt
  Cellar" in a reply to thesaltcellar.example). Names come from the store's own mail
  (the user's display names and addresses), the message's From, and the name the
  message is signed with. It also fails when the draft names nobody but keeps the
  sender's persons: a four-word run of the message copied in the same person ("I'll
  send over the ..."), "your cider" where the sender said "your cider", "our third
  year" where the sender said "our third year", or an invitation in reply to one
  (``side``).
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

- **sign-off**: the user's sign-off that drafting keeps stands once, at the end: not on
  the greeting line or before the body, and not after the user's own name (signed twice).

``usable`` = something said (beyond a greeting line), not cut off mid-sentence, role ok,
no prompt leak, no invented span, the sign-off where it belongs, and at least half the
asks answered (all of them when there are at most two).

The thresholds were set on the Enron users' *older* reply pairs (their real replies
against the messages they answered, and against other messages as a negative
control), never on drafts or on the held-out pairs the eval reports;
``bench/bench_replycheck.py`` measures both splits and the controls.

Modules: ``people`` (names and the role check), ``side`` (the role check without
names), ``signoff`` (the sign-off's place), ``frame`` (prompt residue and the
decoding veto), ``facts`` (the archive's facts and the invented check), ``asks``
(questions, requests and answers); this one holds the verdict (``ReplyChecks``) and
the per-message ``CheckContext``.

What it leaves out: facts the user knows but never wrote down cannot be told from
invented ones, so a real reply that brings a new number counts as inventing it (the
``real`` eval row shows how often); single-digit numbers and bare weekdays or months
are not checked; an answer in another language than the ask is judged by the
multilingual-blind MiniLM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ingest.kernel.protocols import MailStore

from trainer.draft.replycheck.asks import ACT_SIM, SIM, Embed, answered_asks, find_asks
from trainer.draft.replycheck.facts import Archive, fact_keys, invented_spans, number_key, number_prefixes
from trainer.draft.replycheck.frame import draft_veto, frame_ngrams, prompt_leaks
from trainer.draft.replycheck.people import People, name_parts, org_key, people_for, role_problems, user_names
from trainer.draft.replycheck.side import Sides, own_runs, person_runs
from trainer.draft.replycheck.signoff import sign_off_problems
from trainer.draft.replycheck.spans import Span, _dedup
from trainer.score.atoms import split_atoms

__all__ = ["ACT_SIM", "SIM", "Archive", "CheckContext", "People", "ReplyChecks", "Sides", "Span", "answered_asks",
           "draft_veto", "fact_keys", "find_asks", "frame_ngrams", "invented_spans", "name_parts", "number_key",
           "number_prefixes", "org_key", "people_for", "prompt_leaks", "role_problems", "user_names"]


@dataclass(frozen=True)
class ReplyChecks:
    role_problems: tuple[Span, ...] = ()
    prompt_spans: tuple[Span, ...] = ()
    invented: tuple[Span, ...] = ()
    asks: int = 0
    answered: float | None = None  # share of the asks answered; None when there are none
    unanswered: tuple[str, ...] = ()  # the asks no sentence responds to
    words: int = 0
    empty: bool = False  # nothing said beyond a greeting line
    unfinished: bool = False  # the model ran out of tokens mid-sentence, with no whole sentence to cut back to
    sign_off_spans: tuple[Span, ...] = ()  # the user's sign-off mid-draft, or signed twice (``signoff``)

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
        return (not self.empty and not self.unfinished and self.role_ok and not self.prompt_leak
                and not self.invented and not self.sign_off_spans and self.answered_ok)

    @property
    def invented_per_100w(self) -> float:
        return 100.0 * len(self.invented) / max(1, self.words)

    def flags(self) -> tuple[str, ...]:
        """The draft flags these checks add: "role", "prompt_leak", "invented", "unfinished", "sign_off"."""
        return tuple(f for f, on in (("role", not self.role_ok), ("prompt_leak", self.prompt_leak),
                                     ("invented", bool(self.invented)), ("unfinished", self.unfinished),
                                     ("sign_off", bool(self.sign_off_spans))) if on)

    def problems(self) -> int:
        """How far from usable (for picking the best of several samples)."""
        return (3 * len(self.role_problems) + 3 * len(self.prompt_spans) + len(self.invented)
                + (0 if self.answered_ok else 2) + (5 if self.empty else 0) + (2 if self.unfinished else 0)
                + 2 * len(self.sign_off_spans))

    def spans(self) -> tuple[Span, ...]:
        """Every flagged span, in text order (for marking the draft)."""
        return tuple(sorted((*self.role_problems, *self.prompt_spans, *self.invented, *self.sign_off_spans),
                            key=lambda s: s.start))

    def to_json(self) -> dict[str, Any]:
        return {"role_ok": self.role_ok, "role_problems": [s.to_json() for s in self.role_problems],
                "prompt_leak": self.prompt_leak, "prompt_spans": [s.to_json() for s in self.prompt_spans],
                "invented": [s.to_json() for s in self.invented], "asks": self.asks,
                "answered": None if self.answered is None else round(self.answered, 3),
                "unanswered": list(self.unanswered), "empty": self.empty, "unfinished": self.unfinished,
                "sign_off_spans": [s.to_json() for s in self.sign_off_spans]}


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
    sides: Sides | None = None  # the message's persons (the role check's no-name part)

    @classmethod
    def build(cls, message: Any, *, store: MailStore | None = None, me: Sequence[str] = (), thread: Sequence[Any] = (),
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
        own_text = getattr(message, "text", "") or getattr(message, "body", "") or ""
        return cls(people=people_for(message, store, me), thread_keys=frozenset(keys), archive=Archive.of(store),
                   asks=tuple(find_asks(own_text)),
                   boundary=boundary, frame=frame_ngrams(frame_text), embed=embed,
                   minus=frozenset(fact_keys(exclude_text)) if exclude_text else frozenset(),
                   sides=Sides(own_text, own_runs(store), person_runs(exclude_text) if exclude_text else ()))

    def known(self, key: str) -> bool:
        return key in self.thread_keys or self.archive.knows(key, self.minus)

    def number_prefixes(self) -> frozenset[str]:
        """Prefixes of every number in the thread, the examples and the archive."""
        return self.archive.number_prefixes() | number_prefixes(k for k in self.thread_keys if k.startswith("n:"))

    def check(self, draft: str, *, unfinished: bool = False, sign_off: str = "") -> ReplyChecks:
        """The checks of one draft; ``unfinished``: the generation stopped at its token
        budget mid-sentence and could not be cut back to a whole sentence (the drafting
        loop knows; a text alone cannot tell a cut-off from a reply written without a
        final full stop, which real mail often is); ``sign_off``: the user's sign-off the
        drafting keeps, checked to stand once, at the end (``signoff``)."""
        from trainer.score.checks import word_count

        atoms = split_atoms(draft)
        sentences = [a.text for a in atoms if a.kind == "sentence"]
        got = answered_asks(self.asks, sentences, self.embed) if self.asks else []
        return ReplyChecks(
            role_problems=tuple(_dedup([*role_problems(draft, self.people),
                                        *(self.sides.problems(draft) if self.sides else ())])),
            prompt_spans=tuple(prompt_leaks(draft, self.boundary, self.frame)),
            invented=tuple(invented_spans(draft, self.known)),
            asks=len(self.asks), answered=(sum(got) / len(got)) if got else None,
            unanswered=tuple(a for a, ok in zip(self.asks, got) if not ok),
            words=word_count(draft), unfinished=unfinished,
            sign_off_spans=tuple(sign_off_problems(draft, sign_off, self.people.user_first,
                                                   self.people.user_names)),
            empty=not any(re.search(r"\w", a.text) for a in atoms if a.kind != "greeting"))


def _default_embed(texts: list[str]) -> np.ndarray:
    """MiniLM, for checking drafts when there is no store to embed with."""
    from ingest.store.embed import get_embedder

    return get_embedder().encode(texts)
