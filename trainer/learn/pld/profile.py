"""The stylometric profile: how the user writes, measured without any model.

``profile(store) -> Profile`` reads the user's own messages (``.text``, plus a short
signature block for sign-offs) and documents, and other people's messages as the
contrast. It measures greetings and sign-offs with their frequencies, reply length,
sentence length, contractions, capitalisation (lower-case starts, lone "i"),
punctuation (! ? ... dashes, doubled !!/??), emoji, lists, typical openers and the
phrases the user uses far more than the others in the archive (log-odds ratio with
an informative Dirichlet prior, Monroe et al. 2008). Each notable trait becomes a
candidate ``Rule`` with its evidence, so the style prompt is useful even when the
teacher is the tiny embedded model.

``profile_score(profile, text)`` is a model-free fallback fidelity score (the share
of the user's strongest habits a draft shows); the loop uses it only when the voice
scorer is not available.

What it leaves out: English-centred heuristics; names in greetings are replaced by
``{name}``; documents count for sentence-level traits but not for greetings,
sign-offs or reply length.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable

from ingest.kernel.protocols import MailStore
from trainer.learn.pld.profile_rules import habit_checks, rules_from_profile
from trainer.learn.pld.rules import Rule
from trainer.score.text import (CONTRACTION, EMOJI, FULL_FORM, LIST_LINE, PUNCT, STOPWORDS, greeting_of, lines,
                              opener_of, sentences, sign_off_of, tokens, words)

FORMAT_VERSION = 1

@dataclass(frozen=True)
class Profile:
    version: int = FORMAT_VERSION
    n_messages: int = 0
    n_documents: int = 0
    n_others: int = 0
    greetings: tuple[tuple[str, int, float], ...] = ()  # (form, count, share of own messages)
    no_greeting_share: float = 0.0
    sign_offs: tuple[tuple[str, int, float], ...] = ()
    no_sign_off_share: float = 0.0
    length_words: dict[str, float] = field(default_factory=dict)  # p10, median, p90, others_median
    sentence_words: dict[str, float] = field(default_factory=dict)  # median, others_median
    contractions: dict[str, float] = field(default_factory=dict)  # rate, others_rate
    capitals: dict[str, float] = field(default_factory=dict)  # lowercase_starts, lowercase_i, all_lowercase (+ others_)
    punctuation: dict[str, tuple[float, float]] = field(default_factory=dict)  # per 100 words: (own, others)
    emoji_share: tuple[float, float] = (0.0, 0.0)  # share of messages with emoji: (own, others)
    list_share: tuple[float, float] = (0.0, 0.0)
    openers: tuple[tuple[str, int, float], ...] = ()
    phrases: tuple[tuple[str, float, int], ...] = ()  # (phrase, z-score, own messages using it)
    rules: tuple[Rule, ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["format"] = "ownvoice-profile"
        d["rules"] = [r.to_json() for r in self.rules]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Profile":
        kw = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for k in ("greetings", "sign_offs", "openers", "phrases"):
            kw[k] = tuple(tuple(x) for x in kw.get(k, ()))
        for k in ("emoji_share", "list_share"):
            if k in kw:
                kw[k] = tuple(kw[k])
        kw["punctuation"] = {k: tuple(v) for k, v in kw.get("punctuation", {}).items()}
        kw["rules"] = tuple(Rule.from_json(r) for r in kw.get("rules", ()))
        return cls(**kw)


# -- measuring ------------------------------------------------------------------------
def profile(store: MailStore, *, max_messages: int = 20000) -> Profile:
    """Measure the user's profile from ``store`` (own vs others' messages, documents)."""
    own = []
    for i, m in enumerate(store.messages(own=True)):
        if i >= max_messages:
            break
        if (m.text or "").strip():
            own.append(_with_short_signature(m.text, getattr(m, "signature", "")))
    others = []
    for i, m in enumerate(store.messages(own=False)):
        if i >= max_messages:
            break
        if (m.text or "").strip():
            others.append(m.text)
    docs = [d.text for d in store.documents() if (d.text or "").strip()]
    return profile_texts(own, others, docs)


def _with_short_signature(text: str, signature: str) -> str:
    sig = lines(signature)
    if sig and len(sig) <= 2 and sum(len(s.split()) for s in sig) <= 6 and not re.search(r"\d|@", signature):
        return text.rstrip() + "\n" + "\n".join(sig)
    return text


def profile_texts(own: list[str], others: list[str], docs: Iterable[str] = ()) -> Profile:
    """The profile from raw texts: ``own`` messages, ``others``' messages, own ``docs``."""
    docs = list(docs)
    n = len(own)
    greet_c, sign_c, open_c = Counter(), Counter(), Counter()
    sign_forms: dict[str, Counter] = defaultdict(Counter)  # case/punctuation variants of one sign-off
    no_greet = no_sign = 0
    lengths = []
    for text in own:
        ls = lines(text)
        lengths.append(len(words(text)))
        g = greeting_of(ls)
        if g:
            greet_c[g] += 1
        else:
            no_greet += 1
        s = sign_off_of(ls)
        if s:
            key = s.lower().rstrip(".,!")
            sign_c[key] += 1
            sign_forms[key][s] += 1
        else:
            no_sign += 1
        o = opener_of(ls, bool(g))
        if o:
            open_c[o] += 1
    proper = _mostly_capitalised(own + others)
    sent_own = [s for t in own + docs for s in sentences(_body_only(t))]
    sent_oth = [s for t in others for s in sentences(_body_only(t))]
    prof = Profile(
        n_messages=n, n_documents=len(docs), n_others=len(others),
        greetings=_top(greet_c, n, min_share=0.03),
        no_greeting_share=_ratio(no_greet, n),
        sign_offs=tuple((sign_forms[k].most_common(1)[0][0], c, sh) for k, c, sh in _top(sign_c, n, min_share=0.03)),
        no_sign_off_share=_ratio(no_sign, n),
        length_words=_length_stats(lengths, [len(words(t)) for t in others]),
        sentence_words={"median": _median([len(words(s)) for s in sent_own]),
                        "others_median": _median([len(words(s)) for s in sent_oth])},
        contractions={"rate": _contraction_rate(own + docs), "others_rate": _contraction_rate(others)},
        capitals=_capitals(own, sent_own, others, sent_oth),
        punctuation={k: (_per100(rx, own + docs), _per100(rx, others)) for k, rx in PUNCT.items()},
        emoji_share=(_share(own, EMOJI), _share(others, EMOJI)),
        list_share=(_list_share(own), _list_share(others)),
        openers=_top(Counter({o: c for o, c in open_c.items() if not set(o.lower().split()) & proper}),
                     n, min_share=0.03, min_count=3, k=5),
        phrases=distinctive_phrases(own + docs, others, proper=proper),
    )
    return replace(prof, rules=tuple(rules_from_profile(prof)))


def _body_only(text: str) -> str:
    ls = lines(text)
    if greeting_of(ls):
        ls = ls[1:]
    return "\n".join(ls)


def _top(c: Counter, n: int, *, min_share: float, min_count: int = 2, k: int = 4) -> tuple:
    return tuple((form, cnt, round(cnt / n, 3)) for form, cnt in c.most_common(k)
                 if n and cnt >= min_count and cnt / n >= min_share)


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else 0.0


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return float(s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))])


def _length_stats(own: list[int], others: list[int]) -> dict[str, float]:
    return {"p10": _pct(own, 0.1), "median": _median(own), "p90": _pct(own, 0.9), "others_median": _median(others)}


def _contraction_rate(texts: list[str]) -> float:
    c = sum(len(CONTRACTION.findall(t)) for t in texts)
    f = sum(len(FULL_FORM.findall(t)) for t in texts)
    return _ratio(c, c + f)


def _capitals(own, sent_own, others, sent_oth) -> dict[str, float]:
    def starts(sents):
        first = [s[0] for s in sents if s[:1].isalpha()]
        return _ratio(sum(ch.islower() for ch in first), len(first))

    def lone_i(texts):
        lo = sum(len(re.findall(r"(?<![\w'])i(?![\w])(?!\.)", t)) for t in texts)
        up = sum(len(re.findall(r"(?<![\w'])I(?![\w])", t)) for t in texts)
        return _ratio(lo, lo + up)

    def all_lower(texts):
        cand = [t for t in texts if len(words(t)) >= 3]
        return _ratio(sum(t == t.lower() for t in cand), len(cand))

    return {"lowercase_starts": starts(sent_own), "others_lowercase_starts": starts(sent_oth),
            "lowercase_i": lone_i(own), "others_lowercase_i": lone_i(others),
            "all_lowercase": all_lower(own), "others_all_lowercase": all_lower(others)}


def _per100(rx: re.Pattern, texts: list[str]) -> float:
    n = sum(len(words(t)) for t in texts)
    return round(100 * sum(len(rx.findall(t)) for t in texts) / n, 3) if n else 0.0


def _share(texts: list[str], rx: re.Pattern) -> float:
    return _ratio(sum(bool(rx.search(t)) for t in texts), len(texts))


def _list_share(texts: list[str]) -> float:
    return _ratio(sum(sum(bool(LIST_LINE.match(ln)) for ln in t.splitlines()) >= 2 for t in texts), len(texts))


# -- distinctive phrases ----------------------------------------------------------------
def distinctive_phrases(own: list[str], others: list[str], *, k: int = 8, max_n: int = 3,
                        alpha0: float = 500.0, proper: set[str] | None = None
                        ) -> tuple[tuple[str, float, int], ...]:
    """Phrases the user uses far more than others: log-odds with an informative prior.

    Keeps n-grams (2 <= n <= ``max_n``: single words are mostly topic, not style) used in at least max(3, 2%) of the user's texts,
    with no digits, no proper nouns (words mostly capitalised mid-sentence) and at
    least one non-stopword; drops phrases contained in a better-scoring one.
    """
    if not own or not others:
        return ()
    proper = _mostly_capitalised(own + others) if proper is None else proper
    c_own, c_oth, df = Counter(), Counter(), Counter()
    for t in own:
        seen = set()
        for g in _ngrams(t, max_n):
            c_own[g] += 1
            seen.add(g)
        df.update(seen)
    for t in others:
        c_oth.update(_ngrams(t, max_n))
    n_own, n_oth = sum(c_own.values()), sum(c_oth.values())
    total = n_own + n_oth
    min_df = max(3, math.ceil(0.02 * len(own)))
    scored = []
    for g, yi in c_own.items():
        if df[g] < min_df:
            continue
        toks = g.split()
        if all(w in STOPWORDS for w in toks) or any(w in proper for w in toks):
            continue
        if toks[0] in _EDGE_START or toks[-1] in _EDGE_END:
            continue  # a fragment ("the barn", "case of"), not a phrase
        yj = c_oth.get(g, 0)
        a = alpha0 * (yi + yj) / total
        delta = math.log((yi + a) / (n_own + alpha0 - yi - a)) - math.log((yj + a) / (n_oth + alpha0 - yj - a))
        z = delta / math.sqrt(1 / (yi + a) + 1 / (yj + a))
        if z > 2.0:
            scored.append((g, z))
    scored.sort(key=lambda x: -x[1])
    out: list[tuple[str, float, int]] = []
    for g, z in scored:
        if any(f" {g} " in f" {h} " or f" {h} " in f" {g} " for h, _, _ in out):
            continue
        out.append((g, round(z, 2), df[g]))
        if len(out) >= k:
            break
    return tuple(out)


_EDGE_START = frozenset("a an the".split())
_EDGE_END = frozenset("a an the of to in for on at with and or by from my your our".split())


def _ngrams(text: str, max_n: int, min_n: int = 2) -> Iterable[str]:
    for sent in sentences(text):
        toks = [t for t in tokens(sent)]
        for n in range(min_n, max_n + 1):
            for i in range(len(toks) - n + 1):
                g = toks[i:i + n]
                if not any(ch.isdigit() for w in g for ch in w):
                    yield " ".join(g)


def _mostly_capitalised(texts: list[str]) -> set[str]:
    cap, low = Counter(), Counter()
    for t in texts:
        for sent in sentences(t):
            for w in words(sent)[1:]:
                (cap if w[:1].isupper() else low)[w.lower()] += 1
    return {w for w, c in cap.items() if w != "i" and c > low.get(w, 0)}


# -- candidate rules --------------------------------------------------------------------
def profile_score(p: Profile, text: str) -> float:
    """A model-free fidelity score in [0, 1]: the share of the user's strong habits ``text`` shows."""
    checks = habit_checks(p, text)
    return sum(checks) / len(checks) if checks else 0.0
