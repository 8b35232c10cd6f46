"""The voice scorer: "does this sentence sound like the user?" as a probability.

Fitted per user from the store: the user's own sentences (``store.messages(own=True)``)
against other people's sentences from the same archive (received mail and the quoted
parts of the user's own messages), so topic does not give the answer away.

Two linear models share one calibration step:
- ``fast``: logistic regression on character n-grams (features.py). It needs no
  embedding, so it scores thousands of sentences a second: the live path.
- ``full``: the char-model's logit and an embedding model's logit (logistic
  regression on MiniLM sentence embeddings) stacked.
Both are calibrated on a held-out fold (Platt: a logistic fit on the logits) at an
equal prior: the calibration fold is weighted so that the user's sentences and
everyone else's weigh half each. So p = 0.5 means "as likely the user as anyone else in
this archive", whatever the archive's ratio of own to others' mail (a big inbox would
otherwise pull every p down, and ACC's ceiling would depend on the archive, not the
voice). ECE is reported at the same prior. The atom score is ``s = 1 + 4p``.

Folds are by date: the newest sentences (from ``test_after``, or the newest 15%)
are the test fold the AUC and ECE are measured on; the 15% before them calibrate;
the rest train. The saved scorer is exactly the one measured (it has not seen the
test fold, so the evaluation's held-out replies are new to it).

Saved in the voice pack's ``scorer/`` folder as ``.npy`` arrays (``allow_pickle=False``)
plus ``scorer.json``; loading never unpickles.

What it leaves out: no hyper-parameter search (C is fixed), no per-correspondent
negatives, no incremental refit (a fit takes seconds, so ``learn`` refits).
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ingest.errors import UserError
from ingest.fsutil import atomic_replace_dir, atomic_write_bytes, atomic_write_json, private_dir
from ingest.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from trainer.fidelity import features as F
from trainer.fidelity.atoms import Atom, AtomScore, quoted_sentences, sentences, split_atoms
from trainer.fidelity.metrics import acc_atom, ic_atom, mean_or_none, score_from_p

FORMAT = "ownvoice-scorer"
VERSION = 1
DIR = "scorer"
MIN_SENTENCES = 20  # per class, below which no scorer is fitted
C_CHAR, C_EMB = 4.0, 1.0


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
    """Sentences with labels (1: the user) and a date key (seconds; -inf when unknown)."""

    texts: list[str]
    labels: np.ndarray
    when: np.ndarray
    typical_words: int | None = None


def collect(store: Any, *, progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
            max_per_class: int = 20000) -> Corpus:
    """The user's sentences against others' from ``store`` (deduplicated by text)."""
    own: dict[str, float] = {}
    other: dict[str, float] = {}
    words: list[int] = []
    total = store.count() if hasattr(store, "count") else None
    done = 0
    for own_flag in (True, False):
        for m in store.messages(own=own_flag):
            done += 1
            if done % 200 == 0:
                check(cancel)
                progress(Progress("scorer: sentences", done, total))
            t = m.date.timestamp() if m.date is not None else -math.inf
            if own_flag:
                if m.text.strip():
                    words.append(len(m.text.split()))
                for s in sentences(m.text):
                    own.setdefault(s, t)
                for s in quoted_sentences(m.quoted or ""):
                    other.setdefault(s, t)
            else:
                for s in sentences(m.text):
                    other.setdefault(s, t)
    progress(Progress("scorer: sentences", done, done))  # the store's count can include documents
    own_keys = {_key(s) for s in own}
    other = {s: t for s, t in other.items() if _key(s) not in own_keys}  # quoting oneself is not a negative
    own_items = _cap(list(own.items()), max_per_class)
    other_items = _cap(list(other.items()), max_per_class)
    texts = [s for s, _ in own_items] + [s for s, _ in other_items]
    labels = np.array([1] * len(own_items) + [0] * len(other_items), dtype=np.int8)
    when = np.array([t for _, t in own_items] + [t for _, t in other_items], dtype=np.float64)
    typical = int(statistics.median(words)) if words else None
    return Corpus(texts, labels, when, typical)


def _key(s: str) -> str:
    return " ".join(s.casefold().split())


def _cap(items: list[tuple[str, float]], n: int) -> list[tuple[str, float]]:
    """Keep the newest ``n`` (the voice drifts; new mail matters most)."""
    if len(items) <= n:
        return items
    return sorted(items, key=lambda it: it[1])[-n:]


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


class VoiceScorer:
    """A fitted scorer. Build with ``fit`` or ``load``; use ``score_atoms`` / ``score_text``."""

    def __init__(self, *, idf: np.ndarray, char_coef: np.ndarray, char_b: float, platt: tuple[float, float],
                 emb_coef: np.ndarray | None = None, emb_b: float = 0.0,
                 stack: tuple[float, float, float] | None = None, typical_words: int | None = None,
                 metrics: dict[str, Any] | None = None) -> None:
        self.idf = idf.astype(np.float32)
        self.char_coef = char_coef.astype(np.float32)
        self.char_b = float(char_b)
        self.platt = (float(platt[0]), float(platt[1]))
        self.emb_coef = None if emb_coef is None else emb_coef.astype(np.float32)
        self.emb_b = float(emb_b)
        self.stack = None if stack is None else tuple(float(x) for x in stack)
        self.typical_words = typical_words
        self.metrics = dict(metrics or {})

    # -- scoring ----------------------------------------------------------------------
    @property
    def has_embeddings(self) -> bool:
        return self.emb_coef is not None and self.stack is not None

    def char_logits(self, texts: Sequence[str]) -> np.ndarray:
        X = F.char_features(list(texts), self.idf)
        return np.asarray(X @ self.char_coef).ravel() + self.char_b

    def probabilities(self, texts: Sequence[str], *, embed: Any = None, embeddings: np.ndarray | None = None,
                      fast: bool = False) -> np.ndarray:
        """p(user wrote it) per text. ``fast`` (or no embedding model / no ``embed``): char model only.

        ``embed`` is a callable ``list[str] -> (n, 384)`` array (``store.embed``), or pass
        precomputed ``embeddings``.
        """
        if not texts:
            return np.zeros(0)
        zc = self.char_logits(texts)
        if fast or not self.has_embeddings or (embed is None and embeddings is None):
            a, b = self.platt
            return F.sigmoid(a * zc + b)
        E = embeddings if embeddings is not None else np.asarray(embed(list(texts)), dtype=np.float32)
        ze = E @ self.emb_coef + self.emb_b
        wc, we, b0 = self.stack
        return F.sigmoid(wc * zc + we * ze + b0)

    def score_atoms(self, atoms: Sequence[Atom], *, embed: Any = None, fast: bool = False) -> list[AtomScore]:
        p = self.probabilities([a.text for a in atoms], embed=embed, fast=fast)
        return [AtomScore(a, score_from_p(pi), float(pi)) for a, pi in zip(atoms, p)]

    def score_text(self, text: str, *, embed: Any = None, fast: bool = False) -> DraftScore:
        atoms = split_atoms(text)
        scores = self.score_atoms(atoms, embed=embed, fast=fast)
        return draft_score(text, atoms, scores, self.typical_words)

    # -- persistence ------------------------------------------------------------------
    def save(self, pack: Any) -> Path:
        """Write ``scorer/`` into the pack (a temp folder swapped in atomically)."""
        root = Path(pack.path)
        tmp = private_dir(root / f".{DIR}.tmp")
        try:
            for name, arr in self._arrays().items():
                atomic_write_bytes(tmp / f"{name}.npy", _npy_bytes(arr))
            atomic_write_json(tmp / "scorer.json", {
                "format": FORMAT, "version": VERSION, "analyzer": F.ANALYZER, "n_features": F.N_FEATURES,
                "ngram": list(F.NGRAM),
                "char_b": self.char_b, "platt": list(self.platt), "emb_b": self.emb_b,
                "stack": list(self.stack) if self.stack else None, "typical_words": self.typical_words,
                "metrics": self.metrics, "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            })
            atomic_replace_dir(tmp, root / DIR)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return root / DIR

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {"idf": self.idf, "char_coef": self.char_coef}
        if self.emb_coef is not None:
            out["emb_coef"] = self.emb_coef
        return out

    @classmethod
    def exists(cls, pack: Any) -> bool:
        return (Path(pack.path) / DIR / "scorer.json").is_file()

    @classmethod
    def load(cls, pack: Any) -> "VoiceScorer":
        d = Path(pack.path) / DIR
        if not (d / "scorer.json").is_file():
            raise UserError(f"The voice pack {pack.path} has no fitted voice scorer.",
                            hint="Run `ownvoice learn` first.")
        try:
            meta = json.loads((d / "scorer.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or int(meta.get("version", 0)) > VERSION:
                raise ValueError(f"format {meta.get('format')} v{meta.get('version')}")
            if (meta.get("analyzer") != F.ANALYZER or int(meta["n_features"]) != F.N_FEATURES
                    or tuple(meta["ngram"]) != F.NGRAM):
                raise ValueError("feature settings differ from this ownvoice")
            idf = np.load(d / "idf.npy", allow_pickle=False)
            coef = np.load(d / "char_coef.npy", allow_pickle=False)
            emb = np.load(d / "emb_coef.npy", allow_pickle=False) if (d / "emb_coef.npy").exists() else None
            if idf.shape != (F.N_FEATURES,) or coef.shape != (F.N_FEATURES,):
                raise ValueError("array shapes do not match")
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            raise UserError(f"The voice scorer in {d} is damaged ({e}).",
                            hint="Run `ownvoice learn` again to refit it.") from e
        return cls(idf=idf, char_coef=coef, char_b=meta["char_b"], platt=tuple(meta["platt"]),
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
    from trainer.fidelity.checks import word_count

    s = [x.score for x in scores]
    words = word_count(text)
    ratio = (words / typical_words) if typical_words else None
    return DraftScore(text, tuple(atoms), tuple(scores), acc_atom(s), ic_atom(s), mean_or_none(s),
                      words, typical_words, ratio)


# -- fitting ---------------------------------------------------------------------------
def fit(corpus: Corpus, *, embed: Any = None, test_after: float | None = None, max_embed: int = 6000,
        progress: ProgressFn = no_progress, cancel: CancelToken | None = None, seed: int = 0) -> VoiceScorer:
    """Fit, calibrate and measure a scorer on ``corpus``; ``embed=None`` fits the char model only."""
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    y = corpus.labels.astype(int)
    tr, cal, te = split_by_date(corpus.when, y, test_after=test_after)
    progress(Progress("scorer: fit", 0, 3, "character n-grams"))
    counts = F.raw_counts(corpus.texts)
    idf = F.fit_idf(counts[tr])
    X = F.char_features(corpus.texts, idf, counts)
    check(cancel)
    lr = LogisticRegression(C=C_CHAR, class_weight="balanced", max_iter=2000, solver="liblinear")
    lr.fit(X[tr], y[tr])
    coef, b = lr.coef_.ravel().astype(np.float32), float(lr.intercept_[0])
    zc = np.asarray(X @ coef).ravel() + b
    platt = _platt(zc[cal][:, None], y[cal])
    p_fast = F.sigmoid(platt[0][0] * zc + platt[1])
    metrics: dict[str, Any] = {
        "auc_fast": F.auc(p_fast[te], y[te]), "ece_fast": F.ece(p_fast[te], y[te], equal_prior=True),
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
        p_full = F.sigmoid(stack[0] * zc[te] + stack[1] * ze_te + stack[2])
        metrics.update(auc=F.auc(p_full, y[te]), ece=F.ece(p_full, y[te], equal_prior=True), embeddings=True)
    else:
        metrics.update(auc=metrics["auc_fast"], ece=metrics["ece_fast"], embeddings=False)
    metrics["fit_seconds"] = round(time.perf_counter() - t0, 2)
    progress(Progress("scorer: fit", 3, 3, f"AUC {metrics['auc']:.3f}"))
    return VoiceScorer(idf=idf, char_coef=coef, char_b=b, platt=(float(platt[0][0]), float(platt[1])),
                       emb_coef=emb_coef, emb_b=emb_b, stack=stack, typical_words=corpus.typical_words,
                       metrics=metrics)


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
    """The "scorer" learn route: fit on ``ctx.store``, save into ``ctx.pack``, record it."""
    opts = ctx.options or {}
    corpus = collect(ctx.store, progress=progress, cancel=cancel)
    use_emb = bool(opts.get("scorer_embeddings", False))  # measured: +0.0003 AUC on allen-p for ~300 s of embedding
    scorer = fit(corpus, embed=ctx.store.embed if use_emb else None,
                 test_after=holdout_cutoff(ctx.store, opts.get("holdout", 0.1)),
                 max_embed=int(opts.get("scorer_max_embed", 6000)), progress=progress, cancel=cancel)
    check(cancel)
    scorer.save(ctx.pack)
    entry = {k: scorer.metrics[k] for k in ("auc", "ece", "auc_fast", "ece_fast", "n_own", "n_others",
                                             "n_test", "embeddings", "fit_seconds")}
    entry["typical_words"] = scorer.typical_words
    entry["path"] = DIR
    ctx.pack.set_route("scorer", entry)
    return entry
