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
    # BEGIN SOLUTION: validate; group the runs by budget; np.polyfit(ln N, loss, 2) per budget; the vertex is at x = -c1 / (2 c2)
    N, budget, loss = (np.asarray(a, dtype=np.float64) for a in (N, budget, loss))
    if not len(N) == len(budget) == len(loss):
        raise ValueError(f"mismatched lengths: {len(N)}, {len(budget)}, {len(loss)}")
    for name, a in (("N", N), ("budget", budget), ("loss", loss)):
        if not np.all(np.isfinite(a) & (a > 0)):
            raise ValueError(f"{name} must be positive and finite")
    out = []
    for c in np.unique(budget):
        mask = budget == c
        x = np.log(N[mask])
        if len(np.unique(x)) < 3:
            raise ValueError(f"budget {c:g}: fewer than 3 distinct sizes")
        c2, c1, c0 = np.polyfit(x, loss[mask], 2)
        if c2 <= 0:
            raise ValueError(f"budget {c:g}: the parabola has no minimum")
        x0 = -c1 / (2 * c2)
        out.append((float(c), float(np.exp(x0)), float(c0 + c1 * x0 + c2 * x0 * x0)))
    return out
    # END SOLUTION


def fit_allocation(budgets: np.ndarray, n_opt: np.ndarray) -> tuple[float, float]:
    """``(k, a)`` of ``N_opt = k C^a``, a least-squares line through ``(ln C, ln N_opt)``."""
    # BEGIN SOLUTION: a degree-1 np.polyfit in log-log; k = exp(intercept)
    budgets, n_opt = np.asarray(budgets, dtype=np.float64), np.asarray(n_opt, dtype=np.float64)
    if len(budgets) != len(n_opt) or len(budgets) < 2:
        raise ValueError("need at least 2 budgets, as many as minima")
    slope, intercept = np.polyfit(np.log(budgets), np.log(n_opt), 1)
    return float(np.exp(intercept)), float(slope)
    # END SOLUTION


def predict(budget: float, k: float, a: float) -> tuple[float, float]:
    """``(N_opt, D_opt)`` at ``budget`` FLOPs from the allocation law, with ``D_opt = C / (6 N_opt)``."""
    # BEGIN SOLUTION: N = k C^a, D = C / (6 N)
    n = k * budget**a
    return float(n), float(budget / (6 * n))
    # END SOLUTION


def load_sweep_table(path: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(parameters, compute_budget, final_loss)`` of the IsoFLOP sweep shipped with the assignment
    (``isoflop_sweep.csv`` next to this file, 72 runs at 9 budgets from 6e18 to 3e21 FLOPs)."""
    from pathlib import Path

    table = np.loadtxt(path or Path(__file__).with_name("isoflop_sweep.csv"), delimiter=",", skiprows=1, ndmin=2)
    return table[:, 0], table[:, 1], table[:, 2]
