"""The asks of a message (questions and requests put to its reader), and whether a
draft answers them.

What it leaves out: asks in another language than English; the cosine is MiniLM's.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np

from trainer.score.atoms import split_atoms

Embed = Callable[[list[str]], np.ndarray]

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


# "I'd love to hear about ...", "I would like to know more about ...": a wish to be told
_WISH = re.compile(r"\b(?:love|like|happy|glad|keen|interested|curious|want|wish|hoping|hope|looking forward)\b"
                   r"[^.?!]{0,20}?\b(?:to hear|to learn|to know|to find out|to discuss|to talk|to chat|"
                   r"in hearing|in learning|to hearing|to learning)\b", re.I)
# the words such a sentence may use besides the ask's own
_HOLLOW = frozenset("""love hear happy glad keen interested interest curious want wish hoping hope looking forward
learn know find talk chat discuss more info information details detail like would touch""".split())


def _echo(s: str, ask_words: set[str]) -> bool:
    """Whether sentence ``s`` only echoes the ask as a wish to hear about it: a wish to be
    told ("I'd love to hear about", "I would like to know more about"), some of the ask's
    words, and no content word beyond the ask's, the wish's and contractions ("I'd love
    to hear about the trade prices" to "Could you send your trade prices?"). Acceptances
    ("I'd love to join you", "Happy to send them") are not echoes.

    >>> _echo("I'd love to hear about the trade prices.", _content("Could you send your trade prices?"))
    True
    >>> [_echo(s, _content("Could you send your trade prices?")) for s in ("I'll send the prices.",
    ...  "Happy to send the prices.", "I'd love to send the prices tomorrow.")]
    [False, False, False]
    """
    words = _content(s)
    return (bool(_WISH.search(s)) and bool(words & ask_words)
            and not {w for w in words - ask_words - _HOLLOW if "'" not in w})


def answered_asks(asks: Sequence[str], draft_sentences: Sequence[str], embed: Embed | None,
                  sim: float = SIM, act_sim: float = ACT_SIM) -> list[bool]:
    """For each ask, whether the draft responds to it: a sentence close in meaning to the
    ask (cosine >= ``sim``) that adds a content word of its own, or a reply act (an
    acknowledgement, a commitment, a refusal or a counter-question) in a draft that is on
    the ask's subject as a whole (cosine of the ask and the whole draft >= ``act_sim``).
    A sentence that only echoes the ask in words of interest (``_echo``) is neither."""
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
    out = []
    for i, ask in enumerate(asks):
        ask_words = _content(ask)
        own = [not _echo(s, ask_words) for s in sents]
        near = any(ok and cos[i, j] >= sim and (_content(s) - ask_words) for j, (s, ok) in enumerate(zip(sents, own)))
        acts = any(ok and (_ACK.match(s) or s.rstrip().endswith("?")) for s, ok in zip(sents, own))
        out.append(bool(near or (acts and cos[i, -1] >= act_sim)))
    return out
