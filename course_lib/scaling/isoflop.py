"""Chinchilla's approaches 1 and 2: the lowest-loss frontier and IsoFLOP parabolas.

* Approach 1: at each compute ``C``, the lowest loss any training curve reached with ``C`` FLOPs
  (:func:`lowest_loss_frontier`); the model size of that curve is ``N_opt(C)``.
* Approach 2: at each fixed budget, loss against ``log N`` is close to a parabola; its minimum is
  ``N_opt(C)`` (:func:`fit_isoflops`).

Either way a line through ``(log C, log N_opt)`` gives ``N_opt ~ C^a`` (:func:`allocation`), and
``D_opt = C / (6 N_opt)`` gives ``b = 1 - a``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from course_lib.scaling.laws import PowerLaw, _same_length, check_positive, fit_power_law

__all__ = ["IsoFLOPFit", "fit_isoflops", "Frontier", "lowest_loss_frontier", "allocation", "bootstrap_allocation"]

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class IsoFLOPFit:
    """One budget's parabola ``loss = c0 + c1 x + c2 x^2`` in ``x = ln N`` and its minimum."""

    budget: float
    coefficients: tuple[float, float, float]
    n_opt: float
    loss_opt: float
    n_points: int

    @property
    def d_opt(self) -> float:
        """Tokens at the optimum, ``C / (6 N_opt)``."""
        return self.budget / (6.0 * self.n_opt)

    def loss(self, N: npt.ArrayLike) -> Array:
        x = np.log(np.asarray(N, dtype=np.float64))
        c0, c1, c2 = self.coefficients
        return c0 + c1 * x + c2 * x * x


def fit_isoflops(N: npt.ArrayLike, budget: npt.ArrayLike, loss: npt.ArrayLike) -> list[IsoFLOPFit]:
    """A parabola in ``ln N`` per distinct ``budget`` (the runs' nominal FLOPs), budgets ascending.

    ``N``, ``budget``, ``loss``: shape ``(n,)``. Each budget needs at least 3 runs of at least 3
    distinct sizes, and its parabola must open upwards (else it has no minimum: the sizes do not
    bracket the optimum); both are ``ValueError`` naming the budget.
    """
    N, C, L = check_positive("N", N), check_positive("budget", budget), check_positive("loss", loss)
    _same_length(N=N, budget=C, loss=L)
    fits = []
    for c in np.unique(C):
        mask = C == c
        x, y = np.log(N[mask]), L[mask]
        if len(np.unique(x)) < 3:
            raise ValueError(
                f"budget {c:.3g}: need runs at >= 3 distinct sizes for a parabola, got {len(np.unique(x))}"
            )
        c2, c1, c0 = np.polyfit(x, y, 2)
        if c2 <= 0:
            raise ValueError(
                f"budget {c:.3g}: the parabola opens downwards (no minimum); the sizes do not bracket the optimum"
            )
        x_opt = -c1 / (2 * c2)
        fits.append(
            IsoFLOPFit(
                float(c),
                (float(c0), float(c1), float(c2)),
                float(np.exp(x_opt)),
                float(c0 + c1 * x_opt + c2 * x_opt**2),
                int(mask.sum()),
            )
        )
    return fits


@dataclass(frozen=True)
class Frontier:
    """Approach 1's frontier: at each ``flops`` (G,), the lowest ``loss`` and the ``params`` of the
    run that reached it."""

    flops: Array
    loss: Array
    params: Array

    @property
    def tokens(self) -> Array:
        return self.flops / (6.0 * self.params)


def lowest_loss_frontier(
    curves: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]], params: npt.ArrayLike, grid: npt.ArrayLike
) -> Frontier:
    """For each compute in ``grid`` (G,), the lowest loss over training ``curves`` and its run's size.

    ``curves[i] = (flops, loss)``: run ``i``'s loss after ``flops`` FLOPs (increasing), interpolated
    linearly in ``log flops``; a curve counts only inside its own FLOP range. ``params`` (runs,)
    gives each run's ``N``. Grid points no curve reaches are dropped.
    """
    params = check_positive("params", params)
    if len(curves) != len(params):
        raise ValueError(f"mismatched lengths: {len(curves)} curves, {len(params)} params")
    grid = check_positive("grid", grid)
    best = np.full(len(grid), np.inf)
    who = np.full(len(grid), -1)
    for i, (f, l) in enumerate(curves):
        f, l = check_positive(f"curves[{i}] flops", f), check_positive(f"curves[{i}] loss", l)
        _same_length(flops=f, loss=l)
        if np.any(np.diff(f) <= 0):
            raise ValueError(f"curves[{i}]: flops must be strictly increasing")
        inside = (grid >= f[0]) & (grid <= f[-1])
        value = np.interp(np.log(grid), np.log(f), l)
        better = inside & (value < best)
        best[better], who[better] = value[better], i
    keep = who >= 0
    return Frontier(grid[keep], best[keep], params[who[keep]])


def allocation(flops: npt.ArrayLike, n_opt: npt.ArrayLike) -> tuple[PowerLaw, PowerLaw]:
    """``N_opt ~ C^a`` and ``D_opt ~ C^b`` fitted in log-log, with ``D_opt = C / (6 N_opt)``."""
    C, n = check_positive("flops", flops), check_positive("n_opt", n_opt)
    return fit_power_law(C, n), fit_power_law(C, C / (6.0 * n))


def bootstrap_allocation(
    N: npt.ArrayLike, budget: npt.ArrayLike, loss: npt.ArrayLike, resamples: int = 200, seed: int = 0
) -> Array:
    """Approach 2's exponent ``a`` refitted on ``resamples`` resamples (runs redrawn with replacement
    within each budget); returns the ``a`` of each resample that still gives a minimum at every
    budget, shape ``(<= resamples,)``."""
    N, C, L = check_positive("N", N), check_positive("budget", budget), check_positive("loss", loss)
    _same_length(N=N, budget=C, loss=L)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(C == c) for c in np.unique(C)]
    out = []
    for _ in range(resamples):
        idx = np.concatenate([rng.choice(g, len(g)) for g in groups])
        try:
            fits = fit_isoflops(N[idx], C[idx], L[idx])
        except ValueError:
            continue
        out.append(allocation([f.budget for f in fits], [f.n_opt for f in fits])[0].exponent)
    return np.array(out)
