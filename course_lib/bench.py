"""Timing done right: warm-up, device synchronisation, repeats, median and spread, interleaved A/B.

Used by notebooks and by ``benchmarks/``. One timed call is noise; the median of many, after the
caches and the allocator have warmed up and with the GPU's queue drained before each clock read,
is a measurement. Comparing two functions by running them alternately (A, B, A, B, ...) keeps slow
drifts of the machine (turbo, thermal throttling, a neighbour's load) out of their ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["Timing", "Comparison", "synchronize", "time_fn", "compare"]


def synchronize(device: torch.device | str | None = None) -> None:
    """Wait until queued GPU work is done (a no-op on the CPU)."""
    kind = torch.device(device).type if device is not None else None
    if (kind in (None, "cuda")) and torch.cuda.is_available():
        torch.cuda.synchronize()
    if kind == "mps" or (kind is None and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        torch.mps.synchronize()


@dataclass(frozen=True)
class Timing:
    """Seconds per call over ``len(times)`` timed repeats."""

    times: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def iqr(self) -> float:
        """Interquartile range: the spread of the middle half of the repeats."""
        if len(self.times) < 4:
            return max(self.times) - min(self.times)
        q1, _, q3 = statistics.quantiles(self.times, n=4)
        return q3 - q1

    def __str__(self) -> str:
        return f"{_fmt(self.median)} ± {_fmt(self.iqr / 2)} (median ± IQR/2 of {len(self.times)})"


@dataclass(frozen=True)
class Comparison:
    """An interleaved A/B measurement. ``ratio`` = median time of A / median time of B (>1: A slower)."""

    a: Timing
    b: Timing

    @property
    def ratio(self) -> float:
        return self.a.median / self.b.median

    @property
    def speedup(self) -> float:
        """How many times faster A is than B (the inverse of ``ratio``)."""
        return 1.0 / self.ratio


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _timed_call(fn: Callable[[], Any], device: torch.device | str | None) -> float:
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def time_fn(
    fn: Callable[[], Any],
    *,
    warmup: int = 2,
    repeats: int = 10,
    min_time: float = 0.0,
    device: torch.device | str | None = None,
) -> Timing:
    """Time ``fn()`` (no arguments; close over them) after ``warmup`` untimed calls.

    At least ``repeats`` timed calls are made, more while their total is under ``min_time`` seconds.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got repeats={repeats}, warmup={warmup}")
    for _ in range(warmup):
        fn()
    times: list[float] = []
    while len(times) < repeats or sum(times) < min_time:
        times.append(_timed_call(fn, device))
    return Timing(tuple(times))


def compare(
    fn_a: Callable[[], Any],
    fn_b: Callable[[], Any],
    *,
    warmup: int = 2,
    repeats: int = 10,
    device: torch.device | str | None = None,
) -> Comparison:
    """Time ``fn_a`` and ``fn_b`` alternately (A, B, A, B, ...) and return both with their ratio."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got repeats={repeats}, warmup={warmup}")
    for _ in range(warmup):
        fn_a()
        fn_b()
    a_times: list[float] = []
    b_times: list[float] = []
    for i in range(repeats):
        # Alternate which goes first, so neither always follows the other's cache state.
        order = ((a_times, fn_a), (b_times, fn_b)) if i % 2 == 0 else ((b_times, fn_b), (a_times, fn_a))
        for times, fn in order:
            times.append(_timed_call(fn, device))
    return Comparison(Timing(tuple(a_times)), Timing(tuple(b_times)))
