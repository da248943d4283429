"""Language identification: langid.py's model (shipped inside the py3langid package) and a
character n-gram naive Bayes classifier trained from scratch.

    code, confidence = identify_language("Der Hund läuft über die Straße.")   # langid.py's model
    clf = CharNgramNB().fit(texts, labels)
    clf.predict(["Le chat dort."])        # [("fr", 0.97)]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["identify_language", "CharNgramNB", "char_ngram_ids"]


@functools.lru_cache(maxsize=4)
def _identifier(languages: tuple[str, ...] | None):  # noqa: ANN202 - langid's class
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages:
        ident.set_languages(list(languages))
    return ident


def identify_language(text: str, languages: Sequence[str] | None = None) -> tuple[str, float]:
    """The ISO 639-1 code of ``text``'s language and langid.py's probability for it (0..1).

    ``languages`` restricts the candidates (e.g. the crawl's seven). langid.py (Lui & Baldwin,
    2012) is a naive Bayes model over byte n-grams of 97 languages; py3langid, its maintained fork,
    ships the same model in a form that loads in about a second (langid 1.1.6 takes far longer).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    code, prob = _identifier(tuple(sorted(languages)) if languages else None).classify(text)
    return str(code), float(prob)


_P1, _P2, _P3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)


def char_ngram_ids(text: str, n_features: int, orders: Sequence[int] = (1, 2, 3)) -> npt.NDArray[np.int64]:
    """Hashed ids (in ``[0, n_features)``) of the character n-grams of ``" " + text.lower() + " "``
    for each order in ``orders`` (1 to 3); shape ``(number of n-grams,)``. Vectorised over the
    code points: the hash of an n-gram is a multiply-add of its code points modulo 2**64."""
    cps = np.frombuffer((" " + text.lower() + " ").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    out = []
    with np.errstate(over="ignore"):
        for n in orders:
            if not 1 <= n <= 3:
                raise ValueError(f"n-gram orders must be 1, 2 or 3, got {n}")
            if len(cps) < n:
                continue
            h = cps[: len(cps) - n + 1] * _P1
            if n >= 2:
                h = h + cps[1 : len(cps) - n + 2] * _P2
            if n == 3:
                h = h + cps[2:] * _P3
            h = h ^ (h >> np.uint64(29)) ^ np.uint64(n)
            out.append((h % np.uint64(n_features)).astype(np.int64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


class CharNgramNB:
    """Multinomial naive Bayes over hashed character 1-3-grams (the recipe of langid.py and CLD,
    at toy scale). ``alpha`` is the additive smoothing."""

    def __init__(self, n_features: int = 2**16, alpha: float = 0.1, orders: Sequence[int] = (1, 2, 3)) -> None:
        if n_features < 1 or alpha <= 0:
            raise ValueError(f"need n_features >= 1 and alpha > 0, got {n_features}, {alpha}")
        self.n_features, self.alpha, self.orders = n_features, alpha, tuple(orders)
        self.classes_: list[str] = []
        self.log_prob_: npt.NDArray[np.float64] | None = None  # (classes, n_features)
        self.log_prior_: npt.NDArray[np.float64] | None = None  # (classes,)

    def _counts(self, text: str) -> npt.NDArray[np.float64]:
        return np.bincount(char_ngram_ids(text, self.n_features, self.orders), minlength=self.n_features).astype(
            np.float64
        )

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> CharNgramNB:
        """Count n-grams per class; every class needs at least one text."""
        if len(texts) != len(labels) or not texts:
            raise ValueError(f"need as many labels as texts (and at least one), got {len(texts)} and {len(labels)}")
        self.classes_ = sorted(set(labels))
        counts = np.zeros((len(self.classes_), self.n_features))
        index = {c: i for i, c in enumerate(self.classes_)}
        for text, label in zip(texts, labels):
            counts[index[label]] += self._counts(text)
        smoothed = counts + self.alpha
        self.log_prob_ = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))
        prior = np.bincount([index[label] for label in labels], minlength=len(self.classes_))
        self.log_prior_ = np.log(prior / prior.sum())
        return self

    def predict_log_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Posterior log-probabilities, shape ``(len(texts), len(classes_))``."""
        if self.log_prob_ is None or self.log_prior_ is None:
            raise RuntimeError("CharNgramNB is not fitted: call fit(texts, labels) first")
        x = np.stack([self._counts(t) for t in texts]) if texts else np.zeros((0, self.n_features))
        joint = x @ self.log_prob_.T + self.log_prior_
        return joint - np.logaddexp.reduce(joint, axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """``(language, posterior probability)`` for each text."""
        logp = self.predict_log_proba(texts)
        best = logp.argmax(axis=1)
        return [(self.classes_[b], float(np.exp(logp[i, b]))) for i, b in enumerate(best)]
