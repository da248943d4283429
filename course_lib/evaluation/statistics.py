"""How sure is a score? Standard errors, bootstrap intervals, paired comparisons, sample sizes.

A benchmark score is the mean of per-question scores, so it has a standard error like any mean.
Two models scored on the same questions should be compared *paired* (per-question differences):
the questions' difficulty is shared and cancels, which makes the interval much narrower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = ["Interval", "mean_with_se", "bootstrap_interval", "paired_difference", "questions_needed"]


@dataclass(frozen=True)
class Interval:
    """A point estimate with its standard error and a confidence interval ``[low, high]``."""

    estimate: float
    se: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} ± {self.se:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _scores(scores: npt.ArrayLike, name: str = "scores") -> np.ndarray:
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"{name} must be a 1-D array of at least 2 per-question scores, got shape {x.shape}")
    return x


def mean_with_se(scores: npt.ArrayLike, confidence: float = 0.95) -> Interval:
    """The mean with its standard error ``std(ddof=1) / sqrt(n)`` and a normal-approximation interval.
    scores: (questions,)."""
    x = _scores(scores)
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Interval(float(x.mean()), se, float(x.mean() - z * se), float(x.mean() + z * se))


def bootstrap_interval(
    scores: npt.ArrayLike, *, confidence: float = 0.95, resamples: int = 10_000, seed: int = 0
) -> Interval:
    """Percentile bootstrap of the mean: resample the questions with replacement ``resamples`` times.
    scores: (questions,). ``se`` is the standard deviation of the resampled means."""
    x = _scores(scores)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 1000):  # blocks keep the index array small
        idx = rng.integers(0, x.size, size=(min(1000, resamples - start), x.size))
        means[start : start + idx.shape[0]] = x[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(float(x.mean()), float(means.std(ddof=1)), float(low), float(high))


def paired_difference(
    scores_a: npt.ArrayLike,
    scores_b: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> Interval:
    """Mean of ``a - b`` over the same questions, with a paired bootstrap interval.
    scores_a, scores_b: (questions,), question ``i`` in the same place in both."""
    a, b = _scores(scores_a, "scores_a"), _scores(scores_b, "scores_b")
    if a.shape != b.shape:
        raise ValueError(f"paired scores need the same questions: got {a.size} and {b.size} scores")
    return bootstrap_interval(a - b, confidence=confidence, resamples=resamples, seed=seed)


def questions_needed(
    accuracy: float,
    difference: float,
    *,
    paired_disagreement: float | None = None,
    confidence: float = 0.95,
    power: float = 0.8,
) -> int:
    """How many questions a two-sided test needs to detect ``difference`` in accuracy.

    Unpaired (two models on independent question sets): ``n = (z_a + z_b)^2 * 2 p (1 - p) / d^2``.
    Paired with ``paired_disagreement`` = the fraction of questions on which the models disagree:
    ``n = (z_a + z_b)^2 * (q - d^2) / d^2``, the variance of a per-question difference in {-1, 0, 1}.
    """
    if not 0 < accuracy < 1 or not 0 < difference < 1:
        raise ValueError(f"need accuracy and difference in (0, 1), got {accuracy}, {difference}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2) + NormalDist().inv_cdf(power)
    if paired_disagreement is None:
        variance = 2 * accuracy * (1 - accuracy)
    else:
        if not difference <= paired_disagreement <= 1:
            raise ValueError(f"the disagreement rate must be in [difference, 1], got {paired_disagreement}")
        variance = paired_disagreement - difference**2
    return math.ceil(z * z * variance / difference**2)
