"""Assignment 3, part 2: the parametric law ``L(N, D) = E + A / N^alpha + B / D^beta`` (approach 3).

Fit it as Hoffmann et al. did, and as Besiroglu et al. (2024) showed it must be done: minimise the
*summed* Huber loss (``delta = 1e-3``) of ``log L_model - log L_observed`` over
``(e, a, b, alpha, beta)`` with ``E = exp(e)``, ``A = exp(a)``, ``B = exp(b)``, so that
``log L_model = logsumexp(a - alpha log N, b - beta log D, e)``, from a grid of starting points,
keeping the best. Then bootstrap: refit on resampled rows to get confidence intervals.
``scipy.optimize.minimize`` (L-BFGS-B, with your analytic gradient) and ``scipy.special.logsumexp``
are allowed; ``course_lib.scaling`` is not (compare with it once you are done).
"""

from __future__ import annotations

import itertools

import numpy as np

GRID = {"e": (0.5,), "a": (3.0, 8.0), "b": (3.0, 8.0), "alpha": (0.2, 0.6), "beta": (0.2, 0.6)}
"""The starting points: every combination (16)."""


def huber_objective(
    theta: np.ndarray,
    N: np.ndarray,
    D: np.ndarray,
    loss: np.ndarray,
    weights: np.ndarray | None = None,
    delta: float = 1e-3,
) -> tuple[float, np.ndarray]:
    """The summed (row-weighted) Huber objective at ``theta = (e, a, b, alpha, beta)`` and its
    gradient, shape ``(5,)``."""
    # TODO(a3_scaling): residual r = logsumexp(...) - log loss; Huber value and its derivative clip(r, -delta, delta); chain rule through the softmax weights of the three terms
    raise NotImplementedError("a3_scaling: `huber_objective` is not implemented yet (a3_scaling/parametric.py)")


def fit_parametric(
    N: np.ndarray, D: np.ndarray, loss: np.ndarray, *, bootstrap: int = 0, seed: int = 0
) -> dict[str, object]:
    """Fit the law from every start in :data:`GRID`; return ``{"E", "A", "B", "alpha", "beta"}``
    (floats) and ``"bootstrap"``: an array of shape ``(bootstrap, 5)`` of ``(E, A, B, alpha, beta)``
    refitted on ``bootstrap`` resamples of the rows (drawn with ``np.random.default_rng(seed)``),
    each started from the full fit. Raise ``ValueError`` for mismatched lengths, values that are not
    positive and finite, or fewer than 6 rows.
    """
    # TODO(a3_scaling): validate; scipy.optimize.minimize(huber_objective, start, jac=True, method="L-BFGS-B") from each grid point; keep the lowest; bootstrap with integer row weights (np.bincount of resampled indices)
    raise NotImplementedError("a3_scaling: `fit_parametric` is not implemented yet (a3_scaling/parametric.py)")


def interval(samples: np.ndarray, level: float = 0.8) -> tuple[float, float]:
    """The central ``level`` interval of 1-D ``samples`` (quantiles ``(1 - level) / 2`` and ``(1 + level) / 2``)."""
    # TODO(a3_scaling): np.quantile
    raise NotImplementedError("a3_scaling: `interval` is not implemented yet (a3_scaling/parametric.py)")
