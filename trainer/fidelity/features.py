"""Features and small numeric helpers for the voice scorer.

Character n-grams are the classic authorship signal: ``char_wb`` 2-5-grams, case
kept, hashed into 2**18 columns (sklearn's HashingVectorizer is stateless, so
nothing but the idf vector needs saving), sublinear tf, idf weights computed here
from arrays, L2 row norm. Sentence embeddings come from the store (MiniLM).

What it leaves out: word n-grams and function-word counts (char n-grams cover most
of it); no feature selection.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

N_FEATURES = 2 ** 18
NGRAM = (2, 5)


def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char_wb", ngram_range=NGRAM, n_features=N_FEATURES,
                             alternate_sign=False, norm=None, lowercase=False, dtype=np.float32)


_VEC = None


def raw_counts(texts: list[str]) -> sp.csr_matrix:
    global _VEC
    if _VEC is None:
        _VEC = _vectorizer()
    return _VEC.transform(texts).tocsr()


def fit_idf(counts: sp.csr_matrix) -> np.ndarray:
    """Smoothed idf: ``log((1 + n) / (1 + df)) + 1`` (as sklearn's TfidfTransformer)."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def char_features(texts: list[str], idf: np.ndarray, counts: sp.csr_matrix | None = None) -> sp.csr_matrix:
    """Sublinear tf * idf, rows L2-normalised."""
    X = raw_counts(texts) if counts is None else counts.copy()
    X.data = np.log1p(X.data).astype(np.float32)
    X.data *= idf[X.indices]
    sq = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    norms = np.sqrt(np.maximum(sq, 1e-12)).astype(np.float32)
    X.data /= np.repeat(norms, np.diff(X.indptr))
    return X


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: sum over equal-width bins of |bin|/n * |mean p - rate|.

    >>> ece(np.array([0.1, 0.9]), np.array([0, 1]))
    0.1
    """
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(p) == 0:
        return float("nan")
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(p) * abs(p[m].mean() - y[m].mean())
    return round(float(total), 12)


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC; NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    if len(set(y.tolist())) < 2:
        return float("nan")
    return float(roc_auc_score(y, p))
