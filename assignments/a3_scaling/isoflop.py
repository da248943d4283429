"""Assignment 3, part 1: IsoFLOP profiles (Chinchilla's approach 2).

At a fixed compute budget ``C``, train several model sizes ``N`` (each on ``D = C / (6 N)`` tokens)
and plot the final loss against ``log N``: near its minimum the curve is a parabola. Its vertex is
the compute-optimal size ``N_opt(C)``; a straight line through ``(log C, log N_opt)`` gives the
allocation law ``N_opt = k C^a``, which you extrapolate far beyond the budgets you can afford.
"""

from __future__ import annotations

import numpy as np


def isoflop_minima(N: np.ndarray, budget: np.ndarray, loss: np.ndarray) -> list[tuple[float, float, float]]:
    """For each distinct ``budget`` (ascending): ``(budget, N_opt, loss_opt)``, the vertex of the
    least-squares parabola ``loss = c0 + c1 x + c2 x^2`` in ``x = ln N`` through that budget's runs.

    ``N``, ``budget``, ``loss``: arrays of shape ``(n,)``. Raise ``ValueError`` if the lengths differ,
    a value is not positive and finite, a budget has fewer than 3 distinct sizes, or a parabola
    opens downwards (no minimum).
    """
    # TODO(a3_scaling): validate; group the runs by budget; np.polyfit(ln N, loss, 2) per budget; the vertex is at x = -c1 / (2 c2)
    raise NotImplementedError("a3_scaling: `isoflop_minima` is not implemented yet (a3_scaling/isoflop.py)")


def fit_allocation(budgets: np.ndarray, n_opt: np.ndarray) -> tuple[float, float]:
    """``(k, a)`` of ``N_opt = k C^a``, a least-squares line through ``(ln C, ln N_opt)``."""
    # TODO(a3_scaling): a degree-1 np.polyfit in log-log; k = exp(intercept)
    raise NotImplementedError("a3_scaling: `fit_allocation` is not implemented yet (a3_scaling/isoflop.py)")


def predict(budget: float, k: float, a: float) -> tuple[float, float]:
    """``(N_opt, D_opt)`` at ``budget`` FLOPs from the allocation law, with ``D_opt = C / (6 N_opt)``."""
    # TODO(a3_scaling): N = k C^a, D = C / (6 N)
    raise NotImplementedError("a3_scaling: `predict` is not implemented yet (a3_scaling/isoflop.py)")


def load_sweep_table(path: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(parameters, compute_budget, final_loss)`` of the IsoFLOP sweep shipped with the assignment
    (``isoflop_sweep.csv`` next to this file, 72 runs at 9 budgets from 6e18 to 3e21 FLOPs)."""
    from pathlib import Path

    table = np.loadtxt(path or Path(__file__).with_name("isoflop_sweep.csv"), delimiter=",", skiprows=1, ndmin=2)
    return table[:, 0], table[:, 1], table[:, 2]
