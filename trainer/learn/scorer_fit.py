"""The "scorer" route: fitting the voice scorer (``trainer.score.scorer.VoiceScorer``) on the
user's own sentences against everyone else's, with a test fold of the newest mail, and the
judge beside it on the other half of the threads with another feature family.
"""

from __future__ import annotations

import math
import zlib
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.kernel.errors import UserError
from ingest.kernel.jobs import CancelToken, Progress, ProgressFn, check, no_progress
from ingest.kernel.protocols import Embed
from ingest.kernel.protocols import MailStore
from ingest.sources.normalize import quoted_blocks
from ingest.store.identity import looks_like_me, names_me
from trainer.score import features as F
from trainer.score.atoms import quoted_sentences, sentences
from trainer.score.scorer import (C_EMB, C_LINEAR, DIR, JUDGE_DIR, JUDGE_FAMILY, JUDGE_HALF, SCORER_FAMILY,
                                  SCORER_HALF, Featurizer, VoiceScorer, judge_kind)


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


def collect(store: MailStore, *, progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
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


# -- fitting ---------------------------------------------------------------------------
def fit(corpus: Corpus, *, family: str = SCORER_FAMILY, half: int | None = None, embed: Embed | None = None,
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
        tr, cal = _half_folds(corpus, y, tr, cal, half)
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
        emb_coef, emb_b, stack, p_full = _fit_embeddings(corpus, embed, y, (tr, cal, te), zc, max_embed=max_embed,
                                                          seed=seed, progress=progress, cancel=cancel)
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


def _half_folds(corpus: Corpus, y: np.ndarray, tr: np.ndarray, cal: np.ndarray,
                half: int) -> tuple[np.ndarray, np.ndarray]:
    """The train and calibration folds restricted to one half of the threads; too few of
    the user's sentences or of others' in either is a UserError."""
    h = halves(corpus)
    tr, cal = tr[h[tr] == half], cal[h[cal] == half]
    for name, idx in (("train", tr), ("calibration", cal)):
        if y[idx].sum() < 3 or (len(idx) - y[idx].sum()) < 3:
            raise UserError(f"Too little mail to fit the voice {'judge' if half else 'scorer'}: half of "
                            f"the threads' {name} fold has {int(y[idx].sum())} of your sentences and "
                            f"{int(len(idx) - y[idx].sum())} of others'.",
                            hint="Import more mail, including mail you received, then run `ownvoice learn` "
                                 "again.")
    return tr, cal


def _fit_embeddings(corpus: Corpus, embed: Embed, y: np.ndarray, folds: tuple[np.ndarray, np.ndarray, np.ndarray],
                    zc: np.ndarray, *, max_embed: int, seed: int, progress: ProgressFn,
                    cancel: CancelToken | None) -> tuple[np.ndarray, float, tuple[float, float, float], np.ndarray]:
    """A logistic regression on sentence embeddings, stacked with the linear model's logit
    ``zc`` by a Platt fit on the calibration fold: ``(coef, intercept, stack, p on the test fold)``."""
    from sklearn.linear_model import LogisticRegression

    tr, cal, te = folds
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
    return emb_coef, emb_b, stack, F.sigmoid(stack[0] * zc[te] + stack[1] * ze_te + stack[2])


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


def _embed_batched(embed: Embed, texts: list[str], progress: ProgressFn, cancel: CancelToken | None,
                   batch: int = 256) -> np.ndarray:
    out = []
    for i in range(0, len(texts), batch):
        check(cancel)
        out.append(np.asarray(embed(texts[i:i + batch]), dtype=np.float32))
        progress(Progress("scorer: embed", min(i + batch, len(texts)), len(texts)))
    return np.concatenate(out) if out else np.zeros((0, 384), np.float32)


def holdout_cutoff(store: MailStore, holdout: float = 0.1) -> float | None:
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
