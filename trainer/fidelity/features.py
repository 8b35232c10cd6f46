"""Features and small numeric helpers for the voice scorer.

Character n-grams are the classic authorship signal: 2-5-grams (across word
boundaries, so word pairs and spacing habits count too), case kept, hashed into
2**18 columns by a numpy hash (stateless: nothing but the idf vector needs saving;
about 20x faster than sklearn's per-document Python analyzer), sublinear tf, idf
weights computed here from arrays, L2 row norm. Sentence embeddings come from the store (MiniLM).

What it leaves out: word n-grams and function-word counts (char n-grams cover most
of it); no feature selection.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

N_FEATURES = 2 ** 18
NGRAM = (2, 5)


ANALYZER = "char-hash-v1"  # saved with a scorer; a change here must bump it
_K = np.uint64(1000003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
WORD_BOUNDED = False
_WS = np.array([9, 10, 11, 12, 13], dtype=np.uint64)


def raw_counts(texts: list[str]) -> sp.csr_matrix:
    """Counts of hashed character 2-5-grams per text, as a CSR matrix (n, 2**18).

    Vectorised with numpy over all texts at once: every text's code points go into
    one array (a NUL between texts), each n-gram is a polynomial hash over its code
    points and its length, windows that cross a text boundary are dropped. Case and
    punctuation are kept (they are style); tabs and line breaks count as spaces.

    >>> X = raw_counts(["abc", "", "abc"]); X.shape, int(X[0].sum()), int(X[1].sum()), (X[0] != X[2]).nnz
    ((3, 262144), 10, 1, 0)
    """
    n_docs = len(texts)
    if n_docs == 0:
        return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
    joined = "\x00 " + " \x00 ".join(t.replace("\x00", " ") for t in texts) + " \x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    cp[np.isin(cp, _WS)] = 32
    is_sep = cp == 0
    pre = np.concatenate([[0], np.cumsum(is_sep)])
    pre_sp = np.concatenate([[0], np.cumsum(cp == 32)])
    doc = pre[1:] - 1  # the text each position belongs to
    L = len(cp)
    keys = []
    with np.errstate(over="ignore"):
        for n in range(NGRAM[0], NGRAM[1] + 1):
            m = L - n + 1
            if m <= 0:
                continue
            h = np.full(m, np.uint64(n))
            for j in range(n):
                h = h * _K + cp[j:j + m]
            ok = (pre[n:n + m] - pre[:m]) == 0
            if WORD_BOUNDED:  # as char_wb: no space inside an n-gram, only at its ends
                ok &= (pre_sp[n - 1:n - 1 + m] - pre_sp[1:1 + m]) == 0
            col = ((h[ok] * _MIX) >> np.uint64(40)) % np.uint64(N_FEATURES)
            keys.append(doc[:m][ok].astype(np.uint64) * np.uint64(N_FEATURES) + col)
    allk = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
    uniq, counts = np.unique(allk, return_counts=True)
    rows = (uniq // np.uint64(N_FEATURES)).astype(np.int64)
    cols = (uniq % np.uint64(N_FEATURES)).astype(np.int64)
    return sp.csr_matrix((counts.astype(np.float32), (rows, cols)), shape=(n_docs, N_FEATURES))


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


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10, *, equal_prior: bool = False) -> float:
    """Expected calibration error: sum over equal-width bins of |bin|/n * |mean p - rate|.

    ``equal_prior``: each class weighs half (the prior the scorer is calibrated at), so
    the error is that of p read as "as likely the user as anyone else".

    >>> ece(np.array([0.1, 0.9]), np.array([0, 1]))
    0.1
    >>> ece(np.array([0.5, 0.5, 0.5, 0.5]), np.array([0, 0, 0, 1]), equal_prior=True)
    0.0
    """
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(p) == 0:
        return float("nan")
    w = balanced_weights(y) if equal_prior else np.ones_like(p)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            wm = w[m]
            total += wm.sum() / w.sum() * abs(np.average(p[m], weights=wm) - np.average(y[m], weights=wm))
    return round(float(total), 12)


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Per-sample weights that give each class half the total weight.

    >>> balanced_weights(np.array([0, 0, 0, 1])).tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    """
    y = np.asarray(y)
    n, pos = len(y), float((y == 1).sum())
    if pos in (0, n):
        return np.ones(n)
    return np.where(y == 1, n / (2 * pos), n / (2 * (n - pos)))


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC; NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    if len(set(y.tolist())) < 2:
        return float("nan")
    return float(roc_auc_score(y, p))
