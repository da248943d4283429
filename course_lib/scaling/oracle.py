"""A budgeted training oracle: the local stand-in for a remote "train this model for me" API.

Assignment a3 gives students a FLOP budget to spend on training runs they cannot afford to do for
real. :class:`TrainingOracle` answers a query (a model shape, a batch size, a learning rate and a
training compute) with the final loss a run would reach, drawn from a hidden ground-truth law::

    loss = E + A / N^alpha + B / D^beta + kappa * ln(lr / lr_opt(d_model))^2,   times lognormal noise

where ``N`` is the non-embedding parameter count of :func:`oracle_model_config` (from
:func:`course_lib.accounting.parameter_counts`), ``D = flops / (6 N)``, and the best learning rate
falls with width, ``lr_opt = lr_0 (256 / d_model)^p``. The constants are drawn from ``seed``.
Every query is charged against the budget and appended to a JSON-lines log; an oracle opened on an
existing log resumes its spending, so restarting does not refill the budget.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.model.config import ModelConfig
from course_lib.scaling.laws import ChinchillaLaw, compute_optimal

__all__ = ["OracleLimits", "TrainingOracle", "BudgetExceededError", "oracle_model_config", "oracle_params"]

VOCAB_SIZE = 32768
CONTEXT_LENGTH = 1024


class BudgetExceededError(ValueError):
    """A query would spend more FLOPs than the oracle has left."""


@dataclass(frozen=True)
class OracleLimits:
    """What a query may ask for (inclusive ranges)."""

    d_model: tuple[int, int] = (64, 2048)
    num_layers: tuple[int, int] = (2, 48)
    num_heads: tuple[int, int] = (1, 32)
    batch_size: tuple[int, int] = (16, 1024)
    learning_rate: tuple[float, float] = (1e-5, 1e-1)
    flops: tuple[float, float] = (1e13, 1e18)


def oracle_model_config(d_model: int, num_layers: int, num_heads: int) -> ModelConfig:
    """The course model the oracle prices: vocabulary 32768, context 1024, SwiGLU ``d_ff`` the
    multiple of 64 nearest above ``8 d_model / 3``."""
    d_ff = 64 * math.ceil(8 * d_model / 3 / 64)
    return ModelConfig(
        vocab_size=VOCAB_SIZE,
        context_length=CONTEXT_LENGTH,
        d_model=d_model,
        num_layers=num_layers,
        num_heads=num_heads,
        d_ff=d_ff,
    )


def oracle_params(d_model: int, num_layers: int, num_heads: int) -> int:
    """``N`` of the oracle's law: the parameters of :func:`oracle_model_config` outside the embedding
    table and the output head (attention, feed-forward, norms; about ``12 num_layers d_model^2``)."""
    from course_lib.accounting import parameter_counts

    counts = parameter_counts(oracle_model_config(d_model, num_layers, num_heads))
    return counts.total - counts.embedding - counts.lm_head


def _hidden(seed: int) -> tuple[ChinchillaLaw, float, float, float, float]:
    rng = np.random.default_rng([0x5CA1E, seed])
    alpha, beta = float(rng.uniform(0.30, 0.38)), float(rng.uniform(0.28, 0.38))
    # A and B set the size of each term where Chinchilla's were of order 1: N = 1e8, D = 1e10.
    A = float(rng.uniform(0.6, 0.9)) * 1e8**alpha
    B = float(rng.uniform(0.4, 0.7)) * 1e10**beta
    law = ChinchillaLaw(E=float(rng.uniform(1.7, 2.0)), A=A, B=B, alpha=alpha, beta=beta)
    lr0 = float(rng.uniform(2e-3, 6e-3))
    lr_power = float(rng.uniform(0.5, 1.0))
    kappa = float(rng.uniform(0.02, 0.04))
    noise = 0.003
    return law, lr0, lr_power, kappa, noise


class TrainingOracle:
    """Answers training queries from a hidden law, within a FLOP budget, logging each one.

    ``budget``: total FLOPs the queries may use. ``log_path``: a JSON-lines file (created, or
    resumed: its queries count against the budget). ``seed`` picks the hidden law; the noise of the
    k-th query is seeded by ``(seed, k)``, so a repeated query gives a fresh sample and the whole
    session replays identically.
    """

    def __init__(self, budget: float, log_path: str | Path, seed: int = 0, limits: OracleLimits | None = None):
        if not (math.isfinite(budget) and budget > 0):
            raise ValueError(f"budget must be positive and finite, got {budget!r}")
        self.budget = float(budget)
        self.seed = seed
        self.limits = limits or OracleLimits()
        self.log_path = Path(log_path)
        self._law, self._lr0, self._lr_power, self._kappa, self._noise = _hidden(seed)
        self.queries: list[dict[str, Any]] = []
        if self.log_path.is_file():
            for line_no, line in enumerate(self.log_path.read_text().splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    entry["flops"] = float(entry["flops"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{self.log_path}, line {line_no}: not an oracle log entry") from exc
                if entry.get("seed") != seed:
                    raise ValueError(
                        f"{self.log_path} was written by an oracle with seed {entry.get('seed')}, not {seed}"
                    )
                self.queries.append(entry)

    @property
    def spent(self) -> float:
        """FLOPs charged so far (including queries logged by earlier sessions)."""
        return float(sum(q["flops"] for q in self.queries))

    @property
    def remaining(self) -> float:
        return self.budget - self.spent

    def _check(
        self, d_model: int, num_layers: int, num_heads: int, batch_size: int, learning_rate: float, flops: float
    ) -> None:
        lim = self.limits
        for name, value in (
            ("d_model", d_model),
            ("num_layers", num_layers),
            ("num_heads", num_heads),
            ("batch_size", batch_size),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be an int, got {value!r}")
        for name, value in (
            ("d_model", d_model),
            ("num_layers", num_layers),
            ("num_heads", num_heads),
            ("batch_size", batch_size),
            ("learning_rate", learning_rate),
            ("flops", flops),
        ):
            lo, hi = getattr(lim, name)
            if not (
                isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(value) and lo <= value <= hi
            ):
                raise ValueError(f"{name}={value!r} is outside the allowed range [{lo:g}, {hi:g}]")
        if d_model % num_heads or (d_model // num_heads) % 2:
            raise ValueError(f"d_model={d_model} must split into num_heads={num_heads} heads of even width")
        n = oracle_params(d_model, num_layers, num_heads)
        tokens = flops / (6.0 * n)
        steps = tokens / (batch_size * CONTEXT_LENGTH)
        if steps < 1:
            raise ValueError(
                f"{flops:.3g} FLOPs train a {n:,}-parameter model on {tokens:,.0f} tokens: less than one "
                f"step of batch {batch_size} x {CONTEXT_LENGTH}"
            )

    def query(
        self, d_model: int, num_layers: int, num_heads: int, batch_size: int, learning_rate: float, flops: float
    ) -> float:
        """The final training loss of this run (nats/token). Charges ``flops`` against the budget.

        Raises ``ValueError`` (nothing charged) for a configuration outside :class:`OracleLimits` or
        a model that would not take one step, and :class:`BudgetExceededError` when ``flops`` is
        more than :attr:`remaining`.
        """
        self._check(d_model, num_layers, num_heads, batch_size, learning_rate, flops)
        if flops > self.remaining:
            raise BudgetExceededError(
                f"query of {flops:.3g} FLOPs refused: {self.remaining:.3g} of the {self.budget:.3g}-FLOP "
                f"budget left ({len(self.queries)} queries so far, logged in {self.log_path})"
            )
        n = oracle_params(d_model, num_layers, num_heads)
        tokens = flops / (6.0 * n)
        lr_opt = self._lr0 * (256.0 / d_model) ** self._lr_power
        clean = float(self._law.loss(n, tokens)) + self._kappa * math.log(learning_rate / lr_opt) ** 2
        rng = np.random.default_rng([0x0AC1E, self.seed, len(self.queries)])
        loss = clean * math.exp(self._noise * float(rng.standard_normal()))
        entry = {
            "seed": self.seed,
            "d_model": int(d_model),
            "num_layers": int(num_layers),
            "num_heads": int(num_heads),
            "batch_size": int(batch_size),
            "learning_rate": float(learning_rate),
            "flops": float(flops),
            "params": n,
            "tokens": tokens,
            "loss": loss,
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as fh:
            fh.write(json.dumps(entry) + "\n")
        self.queries.append(entry)
        return loss

    def reveal(self, flops: float) -> dict[str, float]:
        """The ground truth at ``flops``: compute-optimal ``params``, ``tokens`` and ``loss`` (best
        learning rate, no noise). For graders and instructors: calling it defeats the exercise."""
        n, d, loss = compute_optimal(flops, self._law)
        return {"params": float(n), "tokens": float(d), "loss": float(loss)}

    def reveal_law(self) -> dict[str, float]:
        """The hidden constants (for graders and instructors)."""
        return asdict(self._law) | {"lr0": self._lr0, "lr_power": self._lr_power, "kappa": self._kappa}
