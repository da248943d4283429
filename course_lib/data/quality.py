"""Quality filtering: the Gopher rules, a hashed n-gram linear classifier, precision and recall.

gopher_rules(text)        # {"word_count": True, "mean_word_length": True, ...}  (True = passes)
gopher_keep(text)         # all rules pass
clf = HashedNgramClassifier().fit(texts, labels)    # labels 1 = keep (reference-like)
clf.predict_proba(texts)  # (n,) probability of label 1
precision_recall(predicted, truth); precision_recall_curve(scores, truth)
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "GOPHER_THRESHOLDS",
    "GOPHER_STOP_WORDS",
    "gopher_rules",
    "gopher_keep",
    "HashedNgramClassifier",
    "precision_recall",
    "precision_recall_curve",
]

# Rae et al. 2021 (Gopher), appendix A.1.1 ("quality filters") and A.1.2 ("repetition removal").
GOPHER_THRESHOLDS = {
    "min_words": 50,
    "max_words": 100_000,
    "min_mean_word_length": 3.0,
    "max_mean_word_length": 10.0,
    "max_symbol_to_word_ratio": 0.1,  # "#" and "..." per word
    "max_bullet_lines": 0.9,  # lines starting with a bullet
    "max_ellipsis_lines": 0.3,  # lines ending with an ellipsis
    "min_alpha_words": 0.8,  # words with at least one alphabetic character
    "min_stop_words": 2,  # distinct stop words present
    "max_duplicate_lines": 0.3,  # fraction of lines that repeat an earlier line
    "max_top_2gram_chars": 0.20,
    "max_top_3gram_chars": 0.18,
    "max_top_4gram_chars": 0.16,
}
GOPHER_STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
_BULLETS = ("•", "*", "-", "‣", "●", "◦", "▪")


def _top_ngram_char_fraction(words: list[str], n: int) -> float:
    """Characters covered by the most frequent word n-gram (every occurrence), over all characters."""
    if len(words) < n:
        return 0.0
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    gram, count = grams.most_common(1)[0]
    if count < 2:
        return 0.0
    total = sum(len(w) for w in words)
    return count * sum(len(w) for w in gram) / max(total, 1)


def gopher_rules(text: str) -> dict[str, bool]:
    """Each Gopher rule on ``text``: ``True`` when the text passes it (see :data:`GOPHER_THRESHOLDS`).

    Words are whitespace-separated tokens, as in the paper's English-centric setting: a language
    written without spaces fails the word-count and word-length rules (a measured bias, not a bug).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    t = GOPHER_THRESHOLDS
    words = text.split()
    n = len(words)
    lines = [line for line in text.split("\n") if line.strip()]
    lower = [w.lower().strip(".,!?;:\"'()") for w in words]
    mean_len = sum(len(w) for w in words) / n if n else 0.0
    symbols = text.count("#") + text.count("...") + text.count("…")
    seen: set[str] = set()
    dup_lines = 0
    for line in lines:
        dup_lines += line in seen
        seen.add(line)
    nl = max(len(lines), 1)
    return {
        "word_count": t["min_words"] <= n <= t["max_words"],
        "mean_word_length": t["min_mean_word_length"] <= mean_len <= t["max_mean_word_length"],
        "symbol_to_word_ratio": symbols / max(n, 1) <= t["max_symbol_to_word_ratio"],
        "bullet_lines": sum(line.lstrip().startswith(_BULLETS) for line in lines) / nl <= t["max_bullet_lines"],
        "ellipsis_lines": sum(line.rstrip().endswith(("...", "…")) for line in lines) / nl <= t["max_ellipsis_lines"],
        "alpha_words": (sum(bool(re.search(r"[^\W\d_]", w)) for w in words) / n if n else 0.0) >= t["min_alpha_words"],
        "stop_words": len(GOPHER_STOP_WORDS.intersection(lower)) >= t["min_stop_words"],
        "duplicate_lines": dup_lines / nl <= t["max_duplicate_lines"],
        "top_2gram": _top_ngram_char_fraction(lower, 2) <= t["max_top_2gram_chars"],
        "top_3gram": _top_ngram_char_fraction(lower, 3) <= t["max_top_3gram_chars"],
        "top_4gram": _top_ngram_char_fraction(lower, 4) <= t["max_top_4gram_chars"],
    }


def gopher_keep(text: str) -> bool:
    """Whether ``text`` passes every Gopher rule."""
    return all(gopher_rules(text).values())


def _word_ngram_ids(text: str, n_features: int, orders: Sequence[int]) -> list[int]:
    words = text.lower().split()
    ids = []
    for n in orders:
        for i in range(len(words) - n + 1):
            ids.append(zlib.crc32(" ".join(words[i : i + n]).encode("utf-8")) % n_features)
    return ids


class HashedNgramClassifier:
    """Logistic regression on hashed word n-gram counts (the fastText-style quality classifier of
    GPT-3, DCLM and FineWeb-Edu, without the embedding layer). Labels: 1 = keep, 0 = remove.

    Each text's features are its n-gram counts scaled by ``1/sqrt(number of n-grams)``; training is
    full-batch Adam on the class-balanced, L2-regularised log loss, in numpy (the sparse products
    are ``np.bincount`` calls), deterministic.
    """

    def __init__(
        self,
        n_features: int = 2**18,
        orders: Sequence[int] = (1, 2),
        l2: float = 1e-4,
        steps: int = 150,
        lr: float = 0.1,
    ) -> None:
        if n_features < 1 or steps < 1 or lr <= 0 or l2 < 0:
            raise ValueError(
                f"need n_features >= 1, steps >= 1, lr > 0, l2 >= 0; got {n_features}, {steps}, {lr}, {l2}"
            )
        self.n_features, self.orders, self.l2, self.steps, self.lr = n_features, tuple(orders), l2, steps, lr
        self.weight: npt.NDArray[np.float64] | None = None  # (n_features,)
        self.bias = 0.0

    def _features(
        self, texts: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """``(ids, doc, value)``: one entry per n-gram occurrence, ``doc`` its text's index."""
        ids, doc, value = [], [], []
        for i, text in enumerate(texts):
            grams = _word_ngram_ids(text, self.n_features, self.orders)
            ids.extend(grams)
            doc.extend([i] * len(grams))
            value.extend([1.0 / max(len(grams), 1) ** 0.5] * len(grams))
        return np.array(ids, dtype=np.int64), np.array(doc, dtype=np.int64), np.array(value)

    def _logits(self, w: npt.NDArray[np.float64], b: float, feats: tuple, n: int) -> npt.NDArray[np.float64]:
        ids, doc, value = feats
        return np.bincount(doc, weights=w[ids] * value, minlength=n) + b

    def fit(self, texts: Sequence[str], labels: Sequence[int] | npt.NDArray[np.integer]) -> HashedNgramClassifier:
        """Train on ``texts`` with 0/1 ``labels`` (both classes present)."""
        y = np.asarray(labels, dtype=np.float64)
        if len(texts) != len(y) or set(np.unique(y).tolist()) != {0.0, 1.0}:
            raise ValueError(
                f"need one 0/1 label per text with both classes present, got {len(texts)} texts, "
                f"labels {sorted(set(y.tolist()))}"
            )
        feats = self._features(texts)
        ids, doc, value = feats
        n = len(y)
        sample_w = np.where(y == 1, 0.5 / y.sum(), 0.5 / (n - y.sum()))  # balance the classes
        w, b = np.zeros(self.n_features), 0.0
        m, v, mb, vb = np.zeros_like(w), np.zeros_like(w), 0.0, 0.0
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        for t in range(1, self.steps + 1):
            p = 1.0 / (1.0 + np.exp(-self._logits(w, b, feats, n)))
            r = sample_w * (p - y)  # d loss / d logit
            gw = np.bincount(ids, weights=r[doc] * value, minlength=self.n_features) + 2 * self.l2 * w
            gb = float(r.sum())
            m = beta1 * m + (1 - beta1) * gw
            v = beta2 * v + (1 - beta2) * gw * gw
            mb = beta1 * mb + (1 - beta1) * gb
            vb = beta2 * vb + (1 - beta2) * gb * gb
            c1, c2 = 1 - beta1**t, 1 - beta2**t
            w -= self.lr * (m / c1) / (np.sqrt(v / c2) + eps)
            b -= self.lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
        self.weight, self.bias = w, b
        return self

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probability of label 1 for each text, shape ``(len(texts),)``."""
        if self.weight is None:
            raise RuntimeError("HashedNgramClassifier is not fitted: call fit(texts, labels) first")
        logits = self._logits(self.weight, self.bias, self._features(texts), len(texts))
        return 1.0 / (1.0 + np.exp(-logits))


def precision_recall(predicted: npt.ArrayLike, truth: npt.ArrayLike) -> tuple[float, float]:
    """Precision and recall of boolean ``predicted`` against boolean ``truth`` (same shape);
    precision is 1.0 when nothing is predicted, recall 1.0 when nothing is true."""
    p, t = np.asarray(predicted, dtype=bool), np.asarray(truth, dtype=bool)
    if p.shape != t.shape:
        raise ValueError(f"predicted and truth differ in shape: {p.shape} vs {t.shape}")
    tp = int((p & t).sum())
    return (tp / p.sum() if p.sum() else 1.0), (tp / t.sum() if t.sum() else 1.0)


def precision_recall_curve(scores: npt.ArrayLike, truth: npt.ArrayLike) -> tuple[npt.NDArray, npt.NDArray, npt.NDArray]:
    """Precision and recall of ``scores >= threshold`` at every distinct score (descending);
    returns ``(precision, recall, thresholds)``, each of shape ``(number of distinct scores,)``."""
    s, t = np.asarray(scores, dtype=np.float64), np.asarray(truth, dtype=bool)
    if s.shape != t.shape or s.ndim != 1:
        raise ValueError(f"scores and truth must be 1-d of one shape, got {s.shape} and {t.shape}")
    if not t.any():
        raise ValueError("truth has no positive: recall is undefined")
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    tp = np.cumsum(t)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # the last index of each distinct score
    return tp[last] / (last + 1), tp[last] / t.sum(), s[last]
