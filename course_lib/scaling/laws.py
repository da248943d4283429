"""Power laws and the Chinchilla parametric law ``L(N, D) = E + A / N^alpha + B / D^beta``.

A power law ``y = k x^p`` is a straight line in log-log: ``log y = log k + p log x``, so its
exponent is a least-squares slope (:func:`fit_power_law`). The parametric law adds an irreducible
term ``E`` (the entropy of text, which no model removes); :func:`compute_optimal` minimises it
under the constraint ``C = 6 N D``, in closed form (Hoffmann et al. 2022, eq. 4)::

    G = (alpha A / (beta B))^(1 / (alpha + beta))
    N_opt = G (C / 6)^a,   D_opt = (C / 6)^b / G,   a = beta / (alpha + beta),   b = alpha / (alpha + beta)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "PowerLaw",
    "fit_power_law",
    "ChinchillaLaw",
    "compute_optimal",
    "HOFFMANN_2022",
    "HOFFMANN_2022_ROUNDED",
    "BESIROGLU_2024",
    "BESIROGLU_2024_SE",
    "PUBLISHED_ALLOCATIONS",
    "KAPLAN_2020",
    "check_positive",
]

ArrayLike = npt.ArrayLike
Array = npt.NDArray[np.float64]


def check_positive(name: str, values: ArrayLike) -> Array:
    """``values`` as a 1-D float64 array; ``ValueError`` naming ``name`` if any value is not a
    positive finite number."""
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be positive and finite; {name}[{i}] = {arr[i]!r}")
    return arr


def _same_length(**arrays: Array) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"mismatched lengths: {lengths}")
    return next(iter(lengths.values()))


@dataclass(frozen=True)
class PowerLaw:
    """``y = coefficient * x ** exponent``; ``exponent_se`` is the least-squares standard error of
    the slope in log-log (``nan`` when fitted on two points)."""

    coefficient: float
    exponent: float
    exponent_se: float = math.nan

    def __call__(self, x: ArrayLike) -> Array:
        return self.coefficient * np.asarray(x, dtype=np.float64) ** self.exponent


def fit_power_law(x: ArrayLike, y: ArrayLike) -> PowerLaw:
    """Least-squares line through ``(log x, log y)``: ``x``, ``y`` of shape ``(n,)``, ``n >= 2``."""
    x, y = check_positive("x", x), check_positive("y", y)
    n = _same_length(x=x, y=y)
    if n < 2:
        raise ValueError(f"a power law has 2 parameters; got {n} point(s)")
    lx, ly = np.log(x), np.log(y)
    if np.ptp(lx) == 0:
        raise ValueError("all x are equal: the exponent is undetermined")
    slope, intercept = np.polyfit(lx, ly, 1)
    se = math.nan
    if n > 2:
        resid = ly - (slope * lx + intercept)
        se = math.sqrt(resid @ resid / (n - 2) / np.sum((lx - lx.mean()) ** 2))
    return PowerLaw(math.exp(intercept), float(slope), se)


@dataclass(frozen=True)
class ChinchillaLaw:
    """``L(N, D) = E + A / N^alpha + B / D^beta`` (loss in nats per token)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        for name in ("E", "A", "B", "alpha", "beta"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive and finite, got {value!r}")

    def loss(self, N: ArrayLike, D: ArrayLike) -> Array:
        """Predicted loss; ``N`` (parameters) and ``D`` (tokens) broadcast together."""
        N, D = np.asarray(N, dtype=np.float64), np.asarray(D, dtype=np.float64)
        return self.E + self.A / N**self.alpha + self.B / D**self.beta

    @property
    def a(self) -> float:
        """Allocation exponent of parameters, ``N_opt ~ C^a``."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Allocation exponent of tokens, ``D_opt ~ C^b`` (``a + b = 1``)."""
        return self.alpha / (self.alpha + self.beta)

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        return (self.E, self.A, self.B, self.alpha, self.beta)


def compute_optimal(C: ArrayLike, law: ChinchillaLaw) -> tuple[Array, Array, Array]:
    """``(N_opt, D_opt, loss)`` minimising ``law`` subject to ``6 N D = C``; ``C`` of any shape."""
    C = np.asarray(C, dtype=np.float64)
    if not np.all(np.isfinite(C) & (C > 0)):
        raise ValueError(f"compute budgets must be positive and finite, got {C!r}")
    G = (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta))
    N = G * (C / 6.0) ** law.a
    D = (C / 6.0) ** law.b / G
    return N, D, law.loss(N, D)


HOFFMANN_2022 = ChinchillaLaw(E=1.6934, A=406.4, B=410.7, alpha=0.3392, beta=0.2849)
"""Hoffmann et al. (2022), approach 3, as in the paper's TeX source (Besiroglu et al. 2024, section 2)."""

HOFFMANN_2022_ROUNDED = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
"""The same fit as printed in the body of Hoffmann et al. (2022), eq. 10: the rounding alone moves
the predicted compute-optimal allocation."""

BESIROGLU_2024 = ChinchillaLaw(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)
"""Besiroglu, Erdil, Barnett, You (Epoch AI, 2024), "Chinchilla scaling: a replication attempt",
refitted on data extracted from Hoffmann et al.'s figure 4 (Huber ``delta=1e-3`` on log loss,
summed, L-BFGS from a grid)."""

BESIROGLU_2024_SE = {"E": 0.03, "A": 124.58, "B": 1293.23, "alpha": 0.02, "beta": 0.02}
"""Standard errors of :data:`BESIROGLU_2024` as the replication reports them (bootstrap)."""

PUBLISHED_ALLOCATIONS: dict[str, tuple[float, tuple[float, float] | None]] = {
    "Kaplan et al. 2020": (0.73, None),
    "Hoffmann et al. 2022, approach 1": (0.50, (0.488, 0.502)),
    "Hoffmann et al. 2022, approach 2": (0.49, (0.462, 0.534)),
    "Hoffmann et al. 2022, approach 3": (0.46, (0.454, 0.455)),
    "Besiroglu et al. 2024 (approach 3 refit)": (0.5126, None),
}
"""Published ``a`` in ``N_opt ~ C^a`` with the reported interval (Hoffmann et al.'s table 2 gives
10th-90th percentiles; approach 3's is the implausibly narrow one Besiroglu et al. question)."""

KAPLAN_2020: dict[str, float] = {"alpha_N": 0.076, "alpha_D": 0.095, "alpha_C_min": 0.050, "a": 0.73, "b": 0.27}
"""Kaplan et al. (2020): ``L(N) ~ N^-alpha_N`` (non-embedding parameters), ``L(D) ~ D^-alpha_D``,
``L(C_min) ~ C^-alpha_C_min``, and the allocation ``N_opt ~ C^a``, ``D_opt ~ C^b``."""
