"""The voice scorer: "does this sentence sound like the user?" as a probability.

Fitted per user from the store: the user's own sentences (``store.messages(own=True)``)
against other people's sentences from the same archive (received mail and the quoted
parts of the user's own messages), so topic does not give the answer away. The user at
another address is neither: mail from an address that looks like theirs
(``identity.looks_like_me``), and quoted blocks whose header names them
(``normalize.quoted_blocks``, ``identity.names_me``: their earlier mail, forwarded back).
Quote headers are not sentences of anyone's.

Two fitted models, each a logistic regression on one feature family (features.py),
fitted on *disjoint halves of the threads* (a thread's half is a hash of its key, so
no training sentence is shared, checked by thread ids):
- the **selection scorer** (``scorer/``, family ``lexical``: word n-grams, the
  function-word skeleton and sentence shape). Everything that picks or optimises
  drafts uses it: PLD's feedback loop, self-distillation, the live scores.
- the **judge** (``judge/``, family ``char``: character n-grams), which nothing
  optimises against; the eval's headline ACC is the judge's.
Either model can stack an embedding model's logit (logistic regression on MiniLM
sentence embeddings) on its own; without embeddings it scores thousands of sentences
a second (``fast``).
Both are calibrated on a held-out fold (Platt: a logistic fit on the logits) at an
equal prior: the calibration fold is weighted so that the user's sentences and
everyone else's weigh half each. So p = 0.5 means "as likely the user as anyone else in
this archive", whatever the archive's ratio of own to others' mail (a big inbox would
otherwise pull every p down, and ACC's ceiling would depend on the archive, not the
voice). ECE is reported at the same prior. The atom score is ``s = 1 + 4p``.

Folds are by date: the newest sentences (from ``test_after``, or the newest 15%)
are the test fold the AUC and ECE are measured on, for both models; the 15% before
them calibrate and the rest train, each model keeping only its half's threads. The
saved models are exactly the ones measured (neither has seen the test fold, so the
evaluation's held-out replies are new to them). ``auc_message`` is measured on the
test fold's messages: each message scored by the mean log-odds over its sentences,
the user's messages against everyone else's (and the text the user quoted).

Saved in the voice pack's ``scorer/`` folder as ``.npy`` arrays (``allow_pickle=False``)
plus ``scorer.json``; loading never unpickles.

What it leaves out: no hyper-parameter search (C and the family were chosen on the
calibration folds of the two Enron users, never the test fold), no per-correspondent
negatives, no incremental refit (a fit takes seconds, so ``learn`` refits).
"""

from __future__ import annotations

import json
import math
import shutil
import zlib
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_replace_dir, atomic_write_bytes, atomic_write_json, private_dir
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.sources.normalize import quoted_blocks
from ingest.store.identity import looks_like_me, names_me
from trainer.score import features as F
from trainer.score.atoms import Atom, AtomScore, quoted_sentences, sentences, split_atoms
from trainer.score.metrics import acc_atom, ic_atom, mean_or_none, score_from_p

FORMAT = "ownvoice-scorer"
VERSION = 2  # 1: char n-grams only (idf.npy + char_coef.npy); still loads
DIR = "scorer"
JUDGE_DIR = "judge"
MIN_SENTENCES = 20  # per class, below which no scorer is fitted
C_LINEAR, C_EMB = 4.0, 1.0
FAMILIES: dict[str, tuple[str, ...]] = {"lexical": ("word", "shape"), "char": ("char",)}
SCORER_FAMILY, JUDGE_FAMILY = "lexical", "char"
SCORER_HALF, JUDGE_HALF = 0, 1


@dataclass(frozen=True)
class DraftScore:
    text: str
    atoms: tuple[Atom, ...]
    scores: tuple[AtomScore, ...]
    acc: float | None
    ic: float | None
    mean: float | None
    words: int
    typical_words: int | None
    length_ratio: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "acc": self.acc, "ic": self.ic, "mean": self.mean, "words": self.words,
            "typical_words": self.typical_words, "length_ratio": self.length_ratio,
            "atoms": [{"text": s.atom.text, "kind": s.atom.kind, "start": s.atom.start, "end": s.atom.end,
                       "score": s.score, "p": s.p} for s in self.scores],
        }


@dataclass(frozen=True)
class Corpus:
    """Sentences with labels (1: the user) and a date key (seconds; -inf when unknown).

    ``threads``: each sentence's thread key (where it was first seen; "" unknown).
    ``messages``: (label, date, thread, sentence indices) per message, for the
    message-level AUC; the user's quoted text counts as one "others" message.
    """

    texts: list[str]
    labels: np.ndarray
    when: np.ndarray
    typical_words: int | None = None
    threads: list[str] = field(default_factory=list)
    messages: list[tuple[int, float, str, tuple[int, ...]]] = field(default_factory=list)


def collect(store: Any, *, progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
            max_per_class: int = 20000) -> Corpus:
    """The user's sentences against others' from ``store`` (deduplicated by text)."""
    own: dict[str, tuple[float, str]] = {}
    other: dict[str, tuple[float, str]] = {}
    msgs: list[tuple[int, float, str, list[str]]] = []
    words: list[int] = []
    me = tuple(store.me()[0]) if hasattr(store, "me") else ()
    my_names = tuple(store.my_names()) if hasattr(store, "my_names") else ()
    total = store.count() if hasattr(store, "count") else None
    done = 0
    for own_flag in (True, False):
        for m in store.messages(own=own_flag):
            done += 1
            if done % 200 == 0:
                check(cancel)
                progress(Progress("scorer: sentences", done, total))
            t = m.date.timestamp() if m.date is not None else -math.inf
            th = m.thread or ""
            name = getattr(m, "sender_name", "") or ""
            if not own_flag and looks_like_me(m.sender, name, me, my_names):
                continue  # the user at another address: neither evidence nor a negative
            mine = sentences(m.text)
            if own_flag:
                if m.text.strip():
                    words.append(len(m.text.split()))
                for s in mine:
                    own.setdefault(s, (t, th))
                quoted = [s for author, block in quoted_blocks(m.quoted or "")
                          if not names_me(author, me, my_names) for s in quoted_sentences(block)]
                for s in quoted:
                    other.setdefault(s, (t, th))
                msgs.append((1, t, th, mine))
                msgs.append((0, t, th, quoted))
            else:
                for s in mine:
                    other.setdefault(s, (t, th))
                msgs.append((0, t, th, mine))
    progress(Progress("scorer: sentences", done, done))  # the store's count can include documents
    own_keys = {_key(s) for s in own}
    other = {s: v for s, v in other.items() if _key(s) not in own_keys}  # quoting oneself is not a negative
    own_items = _cap(list(own.items()), max_per_class)
    other_items = _cap(list(other.items()), max_per_class)
    items = own_items + other_items
    texts = [s for s, _ in items]
    labels = np.array([1] * len(own_items) + [0] * len(other_items), dtype=np.int8)
    when = np.array([v[0] for _, v in items], dtype=np.float64)
    index = {s: i for i, s in enumerate(texts)}
    messages = []
    for label, t, th, ss in msgs:
        idx = tuple(index[s] for s in ss if s in index)
        if idx:
            messages.append((label, t, th, idx))
    typical = int(statistics.median(words)) if words else None
    return Corpus(texts, labels, when, typical, [v[1] for _, v in items], messages)


def _key(s: str) -> str:
    return " ".join(s.casefold().split())


def _cap(items: list[tuple[str, tuple[float, str]]], n: int) -> list[tuple[str, tuple[float, str]]]:
    """Keep the newest ``n`` (the voice drifts; new mail matters most)."""
    if len(items) <= n:
        return items
    return sorted(items, key=lambda it: it[1][0])[-n:]


def thread_half(thread: str, text: str = "") -> int:
    """Which half (0 or 1) a thread belongs to: a stable hash of its key (of the
    sentence itself when the thread is unknown).

    >>> thread_half("t1"), thread_half("t1"), thread_half("", "a sentence") in (0, 1)
    (1, 1, True)
    """
    return zlib.crc32((thread or f"\x00{text}").encode("utf-8")) & 1


def halves(corpus: Corpus) -> np.ndarray:
    """Each sentence's half (``thread_half``)."""
    threads = corpus.threads or [""] * len(corpus.texts)
    return np.array([thread_half(th, tx) for th, tx in zip(threads, corpus.texts)], dtype=np.int8)


def split_by_date(when: np.ndarray, labels: np.ndarray, test_after: float | None = None,
                  frac: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of (train, calib, test) folds: test = newest, calib = the slice before it.

    Ties and unknown dates are broken by a seeded shuffle, so a corpus with no dates
    still splits. Raises UserError when a fold lacks one class.
    """
    n = len(when)
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(n), when))  # by date, ties shuffled
    n_test = int(round(n * frac))
    if test_after is not None and np.isfinite(test_after):
        n_after = int((when >= test_after).sum())
        n_test = max(n_test, n_after) if n_after <= n * 0.4 else n_test
    n_cal = int(round(n * frac))
    test = order[n - n_test:]
    cal = order[n - n_test - n_cal:n - n_test]
    train = order[:n - n_test - n_cal]
    for name, idx in (("train", train), ("calibration", cal), ("test", test)):
        ys = labels[idx]
        if ys.sum() < 3 or (len(ys) - ys.sum()) < 3:
            raise UserError(f"Too little mail to fit the voice scorer: its {name} fold has "
                            f"{int(ys.sum())} of your sentences and {int(len(ys) - ys.sum())} of others'.",
                            hint="Import more mail, including mail you received, then run `ownvoice learn` again.")
    return train, cal, test


class Featurizer:
    """A feature family's fitted state: idf per sparse block, the shape block's mean/sd."""

    def __init__(self, family: str, idf: dict[str, np.ndarray], shape_mu: np.ndarray | None = None,
                 shape_sd: np.ndarray | None = None) -> None:
        if family not in FAMILIES:
            raise ValueError(f"unknown feature family {family!r}")
        self.family = family
        self.blocks = FAMILIES[family]
        self.idf = {k: v.astype(np.float32) for k, v in idf.items()}
        self.shape_mu = None if shape_mu is None else shape_mu.astype(np.float32)
        self.shape_sd = None if shape_sd is None else shape_sd.astype(np.float32)

    @classmethod
    def fit(cls, family: str, texts: Sequence[str], idx: np.ndarray,
            cache: dict[str, Any] | None = None) -> tuple["Featurizer", Any]:
        """Fit on ``texts[idx]``; returns the featurizer and the full feature matrix of ``texts``."""
        cache = {} if cache is None else cache
        idf: dict[str, np.ndarray] = {}
        mu = sd = None
        for block in FAMILIES[family]:
            raw = _raw(block, texts, cache)
            if block == "shape":
                mu, sd = raw[idx].mean(axis=0), raw[idx].std(axis=0) + 1e-6
            else:
                idf[block] = F.fit_idf(raw[idx])
        fz = cls(family, idf, mu, sd)
        return fz, fz.transform(texts, cache)

    def transform(self, texts: Sequence[str], cache: dict[str, Any] | None = None) -> Any:
        import scipy.sparse as sp

        cache = {} if cache is None else cache
        parts = []
        for block in self.blocks:
            raw = _raw(block, texts, cache)
            if block == "shape":
                parts.append(sp.csr_matrix((raw - self.shape_mu) / self.shape_sd * F.SHAPE_WEIGHT))
            else:
                parts.append(F.tfidf(raw, self.idf[block]))
        return parts[0] if len(parts) == 1 else sp.hstack(parts, format="csr")

    def arrays(self) -> dict[str, np.ndarray]:
        out = {f"idf_{k}": v for k, v in self.idf.items()}
        if self.shape_mu is not None:
            out.update(shape_mu=self.shape_mu, shape_sd=self.shape_sd)
        return out

    @property
    def width(self) -> int:
        return sum(len(F.SHAPE_NAMES) if b == "shape" else F.N_FEATURES for b in self.blocks)


def _raw(block: str, texts: Sequence[str], cache: dict[str, Any]) -> Any:
    if block not in cache:
        texts = list(texts)
        cache[block] = (F.raw_counts(texts) if block == "char" else F.word_counts(texts) if block == "word"
                        else F.shape_features(texts))
    return cache[block]


class VoiceScorer:
    """A fitted scorer (or judge). Build with ``fit`` or ``load``; use ``score_atoms`` / ``score_text``."""

    def __init__(self, *, features: Featurizer, coef: np.ndarray, b: float, platt: tuple[float, float],
                 emb_coef: np.ndarray | None = None, emb_b: float = 0.0,
                 stack: tuple[float, float, float] | None = None, typical_words: int | None = None,
                 metrics: dict[str, Any] | None = None) -> None:
        self.features = features
        self.coef = coef.astype(np.float32)
        self.b = float(b)
        self.platt = (float(platt[0]), float(platt[1]))
        self.emb_coef = None if emb_coef is None else emb_coef.astype(np.float32)
        self.emb_b = float(emb_b)
        self.stack = None if stack is None else tuple(float(x) for x in stack)
        self.typical_words = typical_words
        self.metrics = dict(metrics or {})
        self.trained_on: frozenset[int] = frozenset()  # set by ``fit``: the corpus indices it trained on

    # -- scoring ----------------------------------------------------------------------
    @property
    def family(self) -> str:
        return self.features.family

    @property
    def has_embeddings(self) -> bool:
        return self.emb_coef is not None and self.stack is not None

    def linear_logits(self, texts: Sequence[str]) -> np.ndarray:
        """The linear model's raw logits (before calibration)."""
        X = self.features.transform(list(texts))
        return np.asarray(X @ self.coef).ravel() + self.b

    def logits(self, texts: Sequence[str], *, embed: Any = None, embeddings: np.ndarray | None = None,
               fast: bool = False) -> np.ndarray:
        """Calibrated log-odds that the user wrote each text (at an equal prior)."""
        if not texts:
            return np.zeros(0)
        z = self.linear_logits(texts)
        if fast or not self.has_embeddings or (embed is None and embeddings is None):
            a, b = self.platt
            return a * z + b
        E = embeddings if embeddings is not None else np.asarray(embed(list(texts)), dtype=np.float32)
        ze = E @ self.emb_coef + self.emb_b
        wc, we, b0 = self.stack
        return wc * z + we * ze + b0

    def probabilities(self, texts: Sequence[str], *, embed: Any = None, embeddings: np.ndarray | None = None,
                      fast: bool = False) -> np.ndarray:
        """p(user wrote it) per text. ``fast`` (or no embedding model / no ``embed``): linear model only.

        ``embed`` is a callable ``list[str] -> (n, 384)`` array (``store.embed``), or pass
        precomputed ``embeddings``.
        """
        return F.sigmoid(self.logits(texts, embed=embed, embeddings=embeddings, fast=fast))

    def score_atoms(self, atoms: Sequence[Atom], *, embed: Any = None, fast: bool = False) -> list[AtomScore]:
        p = self.probabilities([a.text for a in atoms], embed=embed, fast=fast)
        return [AtomScore(a, score_from_p(pi), float(pi)) for a, pi in zip(atoms, p)]

    def score_text(self, text: str, *, embed: Any = None, fast: bool = False) -> DraftScore:
        atoms = split_atoms(text)
        scores = self.score_atoms(atoms, embed=embed, fast=fast)
        return draft_score(text, atoms, scores, self.typical_words)

    # -- persistence ------------------------------------------------------------------
    def save(self, pack: Any, folder: str = DIR) -> Path:
        """Write ``folder`` (``scorer/`` or ``judge/``) into the pack (a temp folder swapped in atomically)."""
        root = Path(pack.path)
        tmp = private_dir(root / f".{folder}.tmp")
        try:
            for name, arr in self._arrays().items():
                atomic_write_bytes(tmp / f"{name}.npy", _npy_bytes(arr))
            atomic_write_json(tmp / "scorer.json", {
                "format": FORMAT, "version": VERSION, "family": self.family,
                "analyzers": {"char": F.ANALYZER, "word": F.WORD_ANALYZER, "shape": list(F.SHAPE_NAMES)},
                "n_features": F.N_FEATURES, "ngram": list(F.NGRAM), "shape_weight": F.SHAPE_WEIGHT,
                "b": self.b, "platt": list(self.platt), "emb_b": self.emb_b,
                "stack": list(self.stack) if self.stack else None, "typical_words": self.typical_words,
                "metrics": self.metrics, "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            })
            atomic_replace_dir(tmp, root / folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return root / folder

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {"coef": self.coef, **self.features.arrays()}
        if self.emb_coef is not None:
            out["emb_coef"] = self.emb_coef
        return out

    @classmethod
    def exists(cls, pack: Any, folder: str = DIR) -> bool:
        return (Path(pack.path) / folder / "scorer.json").is_file()

    @classmethod
    def load(cls, pack: Any, folder: str = DIR) -> "VoiceScorer":
        d = Path(pack.path) / folder
        what = "voice judge" if folder == JUDGE_DIR else "voice scorer"
        if not (d / "scorer.json").is_file():
            raise UserError(f"The voice pack {pack.path} has no fitted {what}.",
                            hint="Run `ownvoice learn` first.")
        try:
            meta = json.loads((d / "scorer.json").read_text(encoding="utf-8"))
            version = int(meta.get("version", 0))
            if meta.get("format") != FORMAT or version > VERSION or version < 1:
                raise ValueError(f"format {meta.get('format')} v{meta.get('version')}")
            if int(meta["n_features"]) != F.N_FEATURES or tuple(meta["ngram"]) != F.NGRAM:
                raise ValueError("feature settings differ from this ownvoice")

            def arr(name: str) -> np.ndarray:
                return np.load(d / f"{name}.npy", allow_pickle=False)

            if version == 1:  # character n-grams only
                if meta.get("analyzer") != F.ANALYZER:
                    raise ValueError("feature settings differ from this ownvoice")
                features = Featurizer("char", {"char": arr("idf")})
                coef, b = arr("char_coef"), meta["char_b"]
            else:
                family = meta.get("family")
                if family not in FAMILIES:
                    raise ValueError(f"unknown feature family {family!r}")
                want = {"char": F.ANALYZER, "word": F.WORD_ANALYZER, "shape": list(F.SHAPE_NAMES)}
                got = meta.get("analyzers") or {}
                if any(got.get(b) != want[b] for b in FAMILIES[family]) or (
                        "shape" in FAMILIES[family] and meta.get("shape_weight") != F.SHAPE_WEIGHT):
                    raise ValueError("feature settings differ from this ownvoice")
                idf = {blk: arr(f"idf_{blk}") for blk in FAMILIES[family] if blk != "shape"}
                mu, sd = (arr("shape_mu"), arr("shape_sd")) if "shape" in FAMILIES[family] else (None, None)
                features = Featurizer(family, idf, mu, sd)
                coef, b = arr("coef"), meta["b"]
            emb = arr("emb_coef") if (d / "emb_coef.npy").exists() else None
            if (coef.shape != (features.width,) or any(v.shape != (F.N_FEATURES,) for v in features.idf.values())
                    or (features.shape_mu is not None and features.shape_mu.shape != (len(F.SHAPE_NAMES),))):
                raise ValueError("array shapes do not match")
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            raise UserError(f"The {what} in {d} is damaged ({e}).",
                            hint="Run `ownvoice learn` again to refit it.") from e
        return cls(features=features, coef=coef, b=b, platt=tuple(meta["platt"]),
                   emb_coef=emb, emb_b=meta.get("emb_b", 0.0),
                   stack=tuple(meta["stack"]) if meta.get("stack") else None,
                   typical_words=meta.get("typical_words"), metrics=meta.get("metrics") or {})


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def draft_score(text: str, atoms: Sequence[Atom], scores: Sequence[AtomScore],
                typical_words: int | None) -> DraftScore:
    from trainer.score.checks import word_count

    s = [x.score for x in scores]
    words = word_count(text)
    ratio = (words / typical_words) if typical_words else None
    return DraftScore(text, tuple(atoms), tuple(scores), acc_atom(s), ic_atom(s), mean_or_none(s),
                      words, typical_words, ratio)


# -- fitting ---------------------------------------------------------------------------
def fit(corpus: Corpus, *, family: str = SCORER_FAMILY, half: int | None = None, embed: Any = None,
        test_after: float | None = None, max_embed: int = 6000, progress: ProgressFn = no_progress,
        cancel: CancelToken | None = None, seed: int = 0, cache: dict[str, Any] | None = None) -> VoiceScorer:
    """Fit, calibrate and measure a model of ``family`` on ``corpus``.

    ``half``: train and calibrate on that half of the threads only (``thread_half``);
    the test fold is always the whole newest slice. ``embed=None`` fits the linear model
    only. ``cache``: raw feature blocks shared between fits on the same corpus.
    """
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    y = corpus.labels.astype(int)
    tr, cal, te = split_by_date(corpus.when, y, test_after=test_after)
    if half is not None:
        h = halves(corpus)
        tr, cal = tr[h[tr] == half], cal[h[cal] == half]
        for name, idx in (("train", tr), ("calibration", cal)):
            if y[idx].sum() < 3 or (len(idx) - y[idx].sum()) < 3:
                raise UserError(f"Too little mail to fit the voice {'judge' if half else 'scorer'}: half of "
                                f"the threads' {name} fold has {int(y[idx].sum())} of your sentences and "
                                f"{int(len(idx) - y[idx].sum())} of others'.",
                                hint="Import more mail, including mail you received, then run `ownvoice learn` "
                                     "again.")
    progress(Progress("scorer: fit", 0, 3, f"{family} features"))
    features, X = Featurizer.fit(family, corpus.texts, tr, cache)
    check(cancel)
    lr = LogisticRegression(C=C_LINEAR, class_weight="balanced", max_iter=2000, solver="liblinear")
    lr.fit(X[tr], y[tr])
    coef, b = lr.coef_.ravel().astype(np.float32), float(lr.intercept_[0])
    zc = np.asarray(X @ coef).ravel() + b
    platt = _platt(zc[cal][:, None], y[cal])
    z_fast = platt[0][0] * zc + platt[1]
    p_fast = F.sigmoid(z_fast)
    metrics: dict[str, Any] = {
        "family": family, "half": half,
        "auc_fast": F.auc(p_fast[te], y[te]), "ece_fast": F.ece(p_fast[te], y[te], equal_prior=True),
        "auc_message_fast": message_auc(corpus, z_fast, te),
        "calibration": "equal prior",
        "n_own": int(y.sum()), "n_others": int(len(y) - y.sum()),
        "n_train": int(len(tr)), "n_calib": int(len(cal)), "n_test": int(len(te)),
    }
    emb_coef, emb_b, stack = None, 0.0, None
    if embed is not None:
        check(cancel)
        progress(Progress("scorer: fit", 1, 3, "sentence embeddings"))
        rng = np.random.default_rng(seed)
        tr_e = tr if len(tr) <= max_embed else rng.choice(tr, max_embed, replace=False)
        need = np.concatenate([tr_e, cal, te])
        E = _embed_batched(embed, [corpus.texts[i] for i in need], progress, cancel)
        Etr, Ecal, Ete = E[:len(tr_e)], E[len(tr_e):len(tr_e) + len(cal)], E[len(tr_e) + len(cal):]
        lr_e = LogisticRegression(C=C_EMB, class_weight="balanced", max_iter=2000)
        lr_e.fit(Etr, y[tr_e])
        emb_coef, emb_b = lr_e.coef_.ravel().astype(np.float32), float(lr_e.intercept_[0])
        ze_cal, ze_te = Ecal @ emb_coef + emb_b, Ete @ emb_coef + emb_b
        w, b0 = _platt(np.column_stack([zc[cal], ze_cal]), y[cal])
        stack = (float(w[0]), float(w[1]), float(b0))
        z_full = stack[0] * zc[te] + stack[1] * ze_te + stack[2]
        p_full = F.sigmoid(z_full)
        metrics.update(auc=F.auc(p_full, y[te]), ece=F.ece(p_full, y[te], equal_prior=True), embeddings=True,
                       auc_message=metrics["auc_message_fast"])  # messages: the linear model (no test embeddings)
    else:
        metrics.update(auc=metrics["auc_fast"], ece=metrics["ece_fast"], auc_message=metrics["auc_message_fast"],
                       embeddings=False)
    metrics["fit_seconds"] = round(time.perf_counter() - t0, 2)
    progress(Progress("scorer: fit", 3, 3, f"AUC {metrics['auc']:.3f}"))
    model = VoiceScorer(features=features, coef=coef, b=b, platt=(float(platt[0][0]), float(platt[1])),
                        emb_coef=emb_coef, emb_b=emb_b, stack=stack, typical_words=corpus.typical_words,
                        metrics=metrics)
    model.trained_on = frozenset(np.concatenate([tr, cal]).tolist())  # sentence indices (not saved)
    return model


def message_auc(corpus: Corpus, z: np.ndarray, test: np.ndarray) -> float:
    """AUC of whole messages from the test fold's dates on: each scored by the mean of
    its sentences' calibrated log-odds ``z``. NaN without messages of both kinds."""
    if not corpus.messages or not len(test):
        return float("nan")
    start = float(corpus.when[test].min())
    scored = [(label, float(np.mean(z[list(idx)]))) for label, t, _, idx in corpus.messages if t >= start]
    if not scored:
        return float("nan")
    return F.auc(np.array([s for _, s in scored]), np.array([lab for lab, _ in scored]))


def _platt(Z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic calibration of logits ``Z`` (n, k) against labels, each class weighing
    half: weights and bias."""
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=1e4, max_iter=1000)  # nearly unregularised: a calibration map
    m.fit(Z, y, sample_weight=F.balanced_weights(y))  # at an equal prior: see the module docstring
    return m.coef_.ravel(), float(m.intercept_[0])


def _embed_batched(embed: Any, texts: list[str], progress: ProgressFn, cancel: CancelToken | None,
                   batch: int = 256) -> np.ndarray:
    out = []
    for i in range(0, len(texts), batch):
        check(cancel)
        out.append(np.asarray(embed(texts[i:i + batch]), dtype=np.float32))
        progress(Progress("scorer: embed", min(i + batch, len(texts)), len(texts)))
    return np.concatenate(out) if out else np.zeros((0, 384), np.float32)


def holdout_cutoff(store: Any, holdout: float = 0.1) -> float | None:
    """The date (seconds) from which reply pairs are held out for evaluation."""
    pairs = [p for p in store.reply_pairs() if p.date is not None]
    if not pairs:
        return None
    k = max(1, int(round(len(pairs) * holdout)))
    return sorted(p.date for p in pairs)[-k].timestamp()


def learn(ctx: Any, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> dict[str, Any]:
    """The "scorer" learn route: fit the selection scorer and the judge on ``ctx.store``
    (disjoint halves of the threads, two feature families), save both into ``ctx.pack``,
    record them."""
    opts = ctx.options or {}
    corpus = collect(ctx.store, progress=progress, cancel=cancel)
    use_emb = bool(opts.get("scorer_embeddings", False))  # measured: +0.0003 AUC on allen-p for ~300 s of embedding
    test_after = holdout_cutoff(ctx.store, opts.get("holdout", 0.1))
    cache: dict[str, Any] = {}
    common = dict(embed=ctx.store.embed if use_emb else None, test_after=test_after,
                  max_embed=int(opts.get("scorer_max_embed", 6000)), progress=progress, cancel=cancel, cache=cache)
    scorer = fit(corpus, family=SCORER_FAMILY, half=SCORER_HALF, **common)
    check(cancel)
    judge = fit(corpus, family=JUDGE_FAMILY, half=JUDGE_HALF, **common)
    check(cancel)
    scorer.save(ctx.pack)
    judge.save(ctx.pack, JUDGE_DIR)
    keys = ("auc", "ece", "auc_message", "family", "n_train", "fit_seconds")
    entry = {k: scorer.metrics[k] for k in (*keys, "auc_fast", "ece_fast", "n_own", "n_others", "n_test",
                                             "embeddings")}
    entry["typical_words"] = scorer.typical_words
    entry["path"] = DIR
    entry["judge"] = {**{k: judge.metrics[k] for k in keys}, "kind": judge_kind(judge), "path": JUDGE_DIR}
    ctx.pack.set_route("scorer", entry)
    return entry


def judge_kind(judge: "VoiceScorer") -> str:
    """How the eval names a fitted judge."""
    emb = " + embeddings" if judge.has_embeddings else ""
    return f"{judge.family} n-grams{emb}, other half of the threads"
