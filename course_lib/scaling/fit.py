"""Fitting ``L(N, D) = E + A / N^alpha + B / D^beta`` the way Hoffmann et al. (2022) did, done right.

The objective (their approach 3) is a Huber loss on the log of the loss, summed over runs::

    min over (e, a, b, alpha, beta) of  sum_i Huber_delta( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i )

with ``E = exp(e)``, ``A = exp(a)``, ``B = exp(b)`` (``LSE`` is log-sum-exp, so the model is exactly
``log(E + A/N^alpha + B/D^beta)``) and ``delta = 1e-3``. It has many local minima, so it is minimised
from a grid of starting points. Besiroglu et al. (2024) found the original fit stopped early because
the Huber losses were averaged rather than summed, which made the objective too flat for
L-BFGS's default tolerances; the damped Newton iteration used here is invariant to that scale.

All starts are optimised at once: residuals are a ``(starts, points)`` array, and the gradient and
Hessian of every start come in closed form (the Hessian of log-sum-exp is ``diag(p) - p p^T`` with
``p`` the softmax of its arguments). Each start takes Levenberg-Marquardt steps
``(H + lambda diag|H|) step = -g`` and keeps a step only if it lowers its objective. On the
kinked Huber objective (most residuals lie beyond ``delta``) Newton steps from far away are slow,
so the starts are first moved on the smooth squared-error objective, then polished.
The bootstrap refits resampled data the same way: a resample is a vector of integer weights on the
rows, so all resamples are one more batch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from course_lib.scaling.laws import ChinchillaLaw, _same_length, check_positive

__all__ = ["HOFFMANN_GRID", "ChinchillaFit", "fit_chinchilla", "huber_objective"]

Array = npt.NDArray[np.float64]

HOFFMANN_GRID: dict[str, tuple[float, ...]] = {
    "e": (-1.0, -0.5, 0.0, 0.5, 1.0),
    "a": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    "b": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    "alpha": (0.0, 0.5, 1.0, 1.5, 2.0),
    "beta": (0.0, 0.5, 1.0, 1.5, 2.0),
}
"""Hoffmann et al.'s initialisation grid (4,500 starts) over ``(e, a, b, alpha, beta)``."""

_NAMES = ("E", "A", "B", "alpha", "beta")


def _grid(grid: dict[str, tuple[float, ...]]) -> Array:
    missing = {"e", "a", "b", "alpha", "beta"} - set(grid)
    if missing:
        raise ValueError(f"grid is missing {sorted(missing)}")
    return np.array(
        list(itertools.product(grid["e"], grid["a"], grid["b"], grid["alpha"], grid["beta"])), dtype=np.float64
    )


def _huber(r: Array, delta: float) -> tuple[Array, Array, Array]:
    small = np.abs(r) <= delta
    value = np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))
    return value, np.clip(r, -delta, delta), small.astype(np.float64)


def _residuals(theta: Array, ln_n: Array, ln_d: Array, ln_l: Array) -> tuple[Array, Array, Array, Array]:
    """``r`` (S, P) and the softmax weights ``p1, p2, p3`` (S, P) of the three terms."""
    e, a, b, alpha, beta = (theta[:, k : k + 1] for k in range(5))
    u1 = a - alpha * ln_n
    u2 = b - beta * ln_d
    u3 = np.broadcast_to(e, u1.shape)
    m = np.maximum(np.maximum(u1, u2), u3)
    x1, x2, x3 = np.exp(u1 - m), np.exp(u2 - m), np.exp(u3 - m)
    s = x1 + x2 + x3
    return m + np.log(s) - ln_l, x1 / s, x2 / s, x3 / s


def huber_objective(theta: Array, ln_n: Array, ln_d: Array, ln_l: Array, weights: Array, delta: float) -> Array:
    """The summed Huber objective of each row of ``theta`` (S, 5) with row weights ``weights`` (S, P)."""
    r = _residuals(theta, ln_n, ln_d, ln_l)[0]
    return np.sum(weights * _huber(r, delta)[0], axis=1)


def _derivatives(
    theta: Array, ln_n: Array, ln_d: Array, ln_l: Array, weights: Array, delta: float, outer: list[Array]
) -> tuple[Array, Array, Array]:
    """Objective (S,), gradient (S, 5) and Hessian (S, 5, 5)."""
    r, p1, p2, p3 = _residuals(theta, ln_n, ln_d, ln_l)
    h, h1, h2 = _huber(r, delta)
    # d r / d(e, a, b, alpha, beta): (S, P, 5)
    g = np.stack([p3, p1, p2, -p1 * ln_n, -p2 * ln_d], axis=-1)
    c = weights * h1
    grad = np.matmul(c[:, None, :], g)[:, 0, :]
    # H = sum_i w_i [(h'' - h') g g^T + h' sum_k p_k v_k v_k^T]
    hess = np.matmul(g.transpose(0, 2, 1) * (weights * (h2 - h1))[:, None, :], g)
    for p, v in zip((p1, p2, p3), outer):
        hess += ((c * p) @ v).reshape(-1, 5, 5)
    return np.sum(weights * h, axis=1), grad, hess


def _minimise(
    theta: Array, ln_n: Array, ln_d: Array, ln_l: Array, weights: Array, delta: float, max_iter: int, tol: float
) -> tuple[Array, Array]:
    """Levenberg-Marquardt on every row of ``theta`` at once; returns the final ``theta`` and objectives."""
    one = np.ones_like(ln_n)
    zero = np.zeros_like(ln_n)
    vs = [
        np.stack([zero, one, zero, -ln_n, zero], -1),
        np.stack([zero, zero, one, zero, -ln_d], -1),
        np.stack([one, zero, zero, zero, zero], -1),
    ]
    outer = [np.einsum("pk,pl->pkl", v, v).reshape(len(ln_n), 25) for v in vs]
    theta = theta.copy()
    lam = np.full(len(theta), 1e-3)
    active = np.ones(len(theta), dtype=bool)
    obj = huber_objective(theta, ln_n, ln_d, ln_l, weights, delta)
    eye = np.eye(5)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        th, w = theta[idx], weights[idx]
        f, grad, hess = _derivatives(th, ln_n, ln_d, ln_l, w, delta, outer)
        scale = np.abs(np.diagonal(hess, axis1=1, axis2=2)) + 1e-12
        system = hess + lam[idx, None, None] * scale[:, :, None] * eye
        try:
            step = np.linalg.solve(system, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = grad / scale
        trial = th - step
        f_trial = huber_objective(trial, ln_n, ln_d, ln_l, w, delta)
        better = np.isfinite(f_trial) & (f_trial < f)
        theta[idx[better]] = trial[better]
        obj[idx[better]] = f_trial[better]
        lam[idx] = np.where(better, np.maximum(lam[idx] / 10, 1e-12), lam[idx] * 3)
        gain = np.where(better, f - f_trial, 0.0)
        converged = (better & (gain <= tol * np.maximum(f, 1e-300)) & (np.abs(step).max(axis=1) < 1e-7)) | (
            lam[idx] > 1e8
        )
        active[idx[converged]] = False
    return theta, obj


def _distinct_best(theta: Array, obj: Array, k: int) -> Array:
    """Up to ``k`` rows of ``theta`` with the lowest objectives, skipping near-duplicates (ties broken by index)."""
    chosen: list[Array] = []
    for i in np.argsort(obj, kind="stable"):
        if len(chosen) >= k:
            break
        if np.isfinite(obj[i]) and all(np.max(np.abs(theta[i] - c)) > 1e-4 for c in chosen):
            chosen.append(theta[i])
    return np.array(chosen)


def _law(theta: Array) -> ChinchillaLaw:
    e, a, b, alpha, beta = theta
    try:
        return ChinchillaLaw(float(np.exp(e)), float(np.exp(a)), float(np.exp(b)), float(alpha), float(beta))
    except ValueError as exc:
        raise ValueError(
            f"the best fit is not a valid law ({exc}); the data may not follow L = E + A/N^alpha + B/D^beta"
        ) from exc


@dataclass
class ChinchillaFit:
    """A fitted law, its objective, and (if requested) bootstrap refits.

    ``bootstrap``: ``(resamples, 5)`` array of ``(E, A, B, alpha, beta)``, one row per resample.
    """

    law: ChinchillaLaw
    objective: float
    n_points: int
    bootstrap: Array = field(default_factory=lambda: np.empty((0, 5)))

    def interval(self, name: str, level: float = 0.8) -> tuple[float, float]:
        """Central bootstrap interval of a constant (``E, A, B, alpha, beta``) or of the allocation
        exponents ``a`` and ``b``."""
        if not len(self.bootstrap):
            raise ValueError("no bootstrap: fit with bootstrap > 0")
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        if name in _NAMES:
            values = self.bootstrap[:, _NAMES.index(name)]
        elif name in ("a", "b"):
            alpha, beta = self.bootstrap[:, 3], self.bootstrap[:, 4]
            values = beta / (alpha + beta) if name == "a" else alpha / (alpha + beta)
        else:
            raise ValueError(f"unknown name {name!r}; expected one of {_NAMES + ('a', 'b')}")
        lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)


def fit_chinchilla(
    N: npt.ArrayLike,
    D: npt.ArrayLike,
    loss: npt.ArrayLike,
    *,
    delta: float = 1e-3,
    grid: dict[str, tuple[float, ...]] | None = None,
    bootstrap: int = 0,
    bootstrap_starts: int = 8,
    seed: int = 0,
    screen_iter: int = 5,
    screen_delta: float = 1.0,
    polish: int = 64,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> ChinchillaFit:
    """Fit ``L = E + A / N^alpha + B / D^beta`` to runs ``(N, D, loss)``, each of shape ``(n,)``.

    Minimises the summed Huber loss (``delta``) of log-loss residuals from every point of ``grid``
    (default :data:`HOFFMANN_GRID`) and keeps the best. Every start first takes ``screen_iter`` steps
    on the smooth squared-error version of the objective (Huber with ``screen_delta``, larger than any
    residual), where Newton steps converge fast; the ``polish`` best distinct ones (by the Huber
    objective) then continue on the Huber objective for up to ``max_iter`` steps. With ``bootstrap > 0`` it also refits that
    many resamples of the rows (drawn with ``seed``), each from the ``bootstrap_starts`` best distinct
    solutions of the full fit. The rows are sorted before fitting, so their order cannot change the
    result. Raises ``ValueError`` for non-positive or non-finite values, mismatched lengths, or fewer
    than 6 points (5 constants need more points than that to be over-determined).
    """
    N, D, loss = check_positive("N", N), check_positive("D", D), check_positive("loss", loss)
    n = _same_length(N=N, D=D, loss=loss)
    if n < 6:
        raise ValueError(f"fit_chinchilla needs at least 6 points for 5 constants, got {n}")
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta}")
    order = np.lexsort((loss, D, N))
    ln_n, ln_d, ln_l = np.log(N[order]), np.log(D[order]), np.log(loss[order])
    starts = _grid(grid or HOFFMANN_GRID)
    ones = np.ones((len(starts), n))
    theta = _minimise(starts, ln_n, ln_d, ln_l, ones, screen_delta, screen_iter, tol)[0]
    theta = _distinct_best(theta, huber_objective(theta, ln_n, ln_d, ln_l, ones, delta), polish)
    theta, obj = _minimise(theta, ln_n, ln_d, ln_l, np.ones((len(theta), n)), delta, max_iter, tol)
    ranked = np.argsort(obj, kind="stable")
    best = theta[ranked[0]]
    result = ChinchillaFit(_law(best), float(obj[ranked[0]]), n)
    if bootstrap > 0:
        seeds = list(_distinct_best(theta, obj, bootstrap_starts))
        rng = np.random.default_rng(seed)
        counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(bootstrap)]).astype(
            np.float64
        )
        k = len(seeds)
        weights = np.repeat(counts, k, axis=0)
        th, ob = _minimise(np.tile(np.array(seeds), (bootstrap, 1)), ln_n, ln_d, ln_l, weights, delta, max_iter, tol)
        pick = np.argmin(ob.reshape(bootstrap, k), axis=1)
        chosen = th.reshape(bootstrap, k, 5)[np.arange(bootstrap), pick]
        result.bootstrap = np.column_stack([np.exp(chosen[:, :3]), chosen[:, 3:]])
    return result
