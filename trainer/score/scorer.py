"""The voice scorer: "does this sentence sound like the user?" as a probability.

This module holds the model (features, scoring, save and load); fitting it (the data,
the folds, the "scorer" learn route) is ``trainer.learn.scorer_fit``.

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
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.fsutil import atomic_replace_dir, atomic_write_bytes, atomic_write_json, private_dir
from ingest.kernel.protocols import Embed
from trainer.score import features as F
from trainer.score.atoms import Atom, AtomScore, split_atoms
from trainer.score.metrics import acc_atom, ic_atom, mean_or_none, score_from_p
from trainer.voicepack import JUDGE_DIR, SCORER_DIR
from trainer.voicepack import VoicePack

FORMAT = "ownvoice-scorer"
VERSION = 2  # 1: char n-grams only (idf.npy + char_coef.npy); still loads
DIR = SCORER_DIR
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

    def logits(self, texts: Sequence[str], *, embed: Embed | None = None, embeddings: np.ndarray | None = None,
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

    def probabilities(self, texts: Sequence[str], *, embed: Embed | None = None, embeddings: np.ndarray | None = None,
                      fast: bool = False) -> np.ndarray:
        """p(user wrote it) per text. ``fast`` (or no embedding model / no ``embed``): linear model only.

        ``embed`` is a callable ``list[str] -> (n, 384)`` array (``store.embed``), or pass
        precomputed ``embeddings``.
        """
        return F.sigmoid(self.logits(texts, embed=embed, embeddings=embeddings, fast=fast))

    def score_atoms(self, atoms: Sequence[Atom], *, embed: Embed | None = None, fast: bool = False) -> list[AtomScore]:
        p = self.probabilities([a.text for a in atoms], embed=embed, fast=fast)
        return [AtomScore(a, score_from_p(pi), float(pi)) for a, pi in zip(atoms, p)]

    def score_text(self, text: str, *, embed: Embed | None = None, fast: bool = False) -> DraftScore:
        atoms = split_atoms(text)
        scores = self.score_atoms(atoms, embed=embed, fast=fast)
        return draft_score(text, atoms, scores, self.typical_words)

    # -- persistence ------------------------------------------------------------------
    def save(self, pack: VoicePack, folder: str = DIR) -> Path:
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
    def exists(cls, pack: VoicePack, folder: str = DIR) -> bool:
        return (Path(pack.path) / folder / "scorer.json").is_file()

    @classmethod
    def load(cls, pack: VoicePack, folder: str = DIR) -> "VoiceScorer":
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


def judge_kind(judge: "VoiceScorer") -> str:
    """How the eval names a fitted judge."""
    emb = " + embeddings" if judge.has_embeddings else ""
    return f"{judge.family} n-grams{emb}, other half of the threads"
