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
    # BEGIN SOLUTION: residual r = logsumexp(...) - log loss; Huber value and its derivative clip(r, -delta, delta); chain rule through the softmax weights of the three terms
    e, a, b, alpha, beta = theta
    u = np.stack([a - alpha * np.log(N), b - beta * np.log(D), np.full(len(N), e)])
    m = u.max(axis=0)
    ex = np.exp(u - m)
    s = ex.sum(axis=0)
    p = ex / s
    r = m + np.log(s) - np.log(loss)
    w = np.ones(len(N)) if weights is None else weights
    value = np.where(np.abs(r) <= delta, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))
    dr = w * np.clip(r, -delta, delta)
    grad = np.array([dr @ p[2], dr @ p[0], dr @ p[1], -(dr * p[0]) @ np.log(N), -(dr * p[1]) @ np.log(D)])
    return float(w @ value), grad
    # END SOLUTION


def fit_parametric(
    N: np.ndarray, D: np.ndarray, loss: np.ndarray, *, bootstrap: int = 0, seed: int = 0
) -> dict[str, object]:
    """Fit the law from every start in :data:`GRID`; return ``{"E", "A", "B", "alpha", "beta"}``
    (floats) and ``"bootstrap"``: an array of shape ``(bootstrap, 5)`` of ``(E, A, B, alpha, beta)``
    refitted on ``bootstrap`` resamples of the rows (drawn with ``np.random.default_rng(seed)``),
    each started from the full fit. Raise ``ValueError`` for mismatched lengths, values that are not
    positive and finite, or fewer than 6 rows.
    """
    # BEGIN SOLUTION: validate; scipy.optimize.minimize(huber_objective, start, jac=True, method="L-BFGS-B") from each grid point; keep the lowest; bootstrap with integer row weights (np.bincount of resampled indices)
    import scipy.optimize

    N, D, loss = (np.asarray(x, dtype=np.float64) for x in (N, D, loss))
    if not len(N) == len(D) == len(loss):
        raise ValueError(f"mismatched lengths: {len(N)}, {len(D)}, {len(loss)}")
    if len(N) < 6:
        raise ValueError(f"need at least 6 rows, got {len(N)}")
    for name, x in (("N", N), ("D", D), ("loss", loss)):
        if not np.all(np.isfinite(x) & (x > 0)):
            raise ValueError(f"{name} must be positive and finite")

    def solve(start: np.ndarray, weights: np.ndarray | None) -> scipy.optimize.OptimizeResult:
        return scipy.optimize.minimize(
            huber_objective,
            start,
            args=(N, D, loss, weights, 1e-3),
            jac=True,
            method="L-BFGS-B",
            options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000},
        )

    best = min((solve(np.array(s), None) for s in itertools.product(*GRID.values())), key=lambda r: r.fun)
    e, a, b, alpha, beta = best.x
    result: dict[str, object] = {
        "E": float(np.exp(e)),
        "A": float(np.exp(a)),
        "B": float(np.exp(b)),
        "alpha": float(alpha),
        "beta": float(beta),
    }
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(bootstrap):
        weights = np.bincount(rng.integers(0, len(N), len(N)), minlength=len(N)).astype(np.float64)
        x = solve(best.x, weights).x
        rows.append([np.exp(x[0]), np.exp(x[1]), np.exp(x[2]), x[3], x[4]])
    result["bootstrap"] = np.array(rows).reshape(bootstrap, 5)
    return result
    # END SOLUTION


def interval(samples: np.ndarray, level: float = 0.8) -> tuple[float, float]:
    """The central ``level`` interval of 1-D ``samples`` (quantiles ``(1 - level) / 2`` and ``(1 + level) / 2``)."""
    # BEGIN SOLUTION: np.quantile
    lo, hi = np.quantile(np.asarray(samples, dtype=np.float64), [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
    # END SOLUTION
