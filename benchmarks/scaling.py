"""Benchmark: ``course_lib.scaling.fit_chinchilla`` against ``scipy.optimize`` on the same problem.

The problem is Hoffmann et al.'s approach 3 on 250 synthetic runs (Besiroglu et al.'s constants,
parameters 1e7..1e10, 2..400 tokens per parameter, 1% lognormal noise, seeded): the summed Huber
loss (``delta = 1e-3``) of log-loss residuals, minimised from every start of the same grid (108
starts by default: scipy needs about 0.1-0.5 s per start, so Hoffmann et al.'s 4,500 take it many
minutes; ``--grid full`` runs them). The reference runs ``scipy.optimize.minimize(method="L-BFGS-B")``
from each start with the analytic gradient and keeps the best; ours optimises all starts at once
(screening, then polishing the best 64 with damped Newton steps). Both must reach the same optimum.

Ours is then also timed alone on the full 4,500-start grid, where the target applies: at most 5 s on
a 2-core CPU, reaching the same optimum. Its CPU time is printed too: on a shared, loaded machine the
wall time is several times the CPU time.

    python benchmarks/scaling.py [--points 250] [--grid coarse|full] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

import numpy as np  # noqa: E402

TARGET_S = 5.0
COARSE = {
    "e": (-1.0, 0.0, 1.0),
    "a": (0.0, 10.0, 20.0),
    "b": (0.0, 10.0, 20.0),
    "alpha": (0.0, 1.0),
    "beta": (0.0, 1.0),
}


def problem(points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from course_lib.scaling import BESIROGLU_2024

    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7, 10, points)
    D = N * 10 ** rng.uniform(np.log10(2), np.log10(400), points)
    return N, D, BESIROGLU_2024.loss(N, D) * np.exp(0.01 * rng.standard_normal(points))


def scipy_fit(
    N: np.ndarray, D: np.ndarray, loss: np.ndarray, grid: dict, delta: float = 1e-3
) -> tuple[np.ndarray, float]:
    """L-BFGS-B from every grid start on the same objective, analytic gradient; the best result."""
    import scipy.optimize

    from course_lib.scaling.fit import _grid, _huber, _residuals

    ln = (np.log(N), np.log(D), np.log(loss))

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, p1, p2, p3 = (x[0] for x in _residuals(theta[None], *ln))
        h, h1, _ = _huber(r, delta)
        grad = np.stack([p3, p1, p2, -p1 * ln[0], -p2 * ln[1]], axis=1).T @ h1
        return float(h.sum()), grad

    best_theta, best = None, np.inf
    for start in _grid(grid):
        res = scipy.optimize.minimize(objective, start, jac=True, method="L-BFGS-B")
        if res.fun < best:
            best_theta, best = res.x, float(res.fun)
    return best_theta, best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=250)
    parser.add_argument("--grid", choices=("full", "coarse"), default="coarse", help="108 starts or Hoffmann's 4,500")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    from course_lib.bench import compare, time_fn
    from course_lib.scaling.fit import HOFFMANN_GRID, fit_chinchilla

    grid = HOFFMANN_GRID if args.grid == "full" else COARSE
    N, D, loss = problem(args.points)
    results: dict[str, object] = {}

    def ours() -> None:
        results["ours"] = fit_chinchilla(N, D, loss, grid=grid)

    def reference() -> None:
        results["scipy"] = scipy_fit(N, D, loss, grid)

    load = os.getloadavg()[0]
    start = time.perf_counter()
    comparison = compare(ours, reference, warmup=0, repeats=args.repeats)
    fit = results["ours"]
    theta, obj = results["scipy"]
    ref = np.concatenate([np.exp(theta[:3]), theta[3:]])
    print(
        f"{args.points} points, {np.prod([len(v) for v in grid.values()])} starts, load {load:.1f} "
        f"on {os.cpu_count()} cores, {time.perf_counter() - start:.0f} s in all"
    )
    print(f"course_lib  {comparison.a}   objective {fit.objective:.10g}")
    print(f"scipy       {comparison.b}   objective {obj:.10g}")
    print(f"{'':12s}{'E':>10s}{'A':>10s}{'B':>10s}{'alpha':>10s}{'beta':>10s}")
    print("course_lib  " + "".join(f"{v:10.4g}" for v in fit.law.as_tuple()))
    print("scipy       " + "".join(f"{v:10.4g}" for v in ref))
    rel = np.max(np.abs(np.array(fit.law.as_tuple()) / ref - 1))
    print(f"largest relative difference in the constants: {rel:.2e}")
    print(f"speed: course_lib takes {comparison.ratio:.3f}x scipy's time ({comparison.speedup:.1f}x faster)")
    same = fit.objective <= obj * (1 + 1e-6) and rel < 1e-3
    print("same optimum: " + ("yes" if same else "NO"))
    full = time_fn(
        lambda: results.__setitem__("full", fit_chinchilla(N, D, loss)), warmup=0, repeats=max(args.repeats, 3)
    )
    cpu = time.process_time()
    fit_chinchilla(N, D, loss)
    cpu = time.process_time() - cpu
    full_same = results["full"].objective <= obj * (1 + 1e-6)
    print(
        f"course_lib on the full grid (4500 starts): {full}; target at most {TARGET_S:g} s: "
        f"{'met' if full.median <= TARGET_S else 'NOT met'}; optimum {'the same' if full_same else 'DIFFERENT'} "
        f"(objective {results['full'].objective:.10g}, load now {os.getloadavg()[0]:.1f})"
    )
    print(f"CPU time of one full-grid fit: {cpu:.2f} s (what the wall time would be on an otherwise idle machine)")
    return 0 if same and full_same else 1


if __name__ == "__main__":
    raise SystemExit(main())
