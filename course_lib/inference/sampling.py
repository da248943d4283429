"""Turning logits into the next token: temperature, top-k, top-p (nucleus), min-p, repetition penalty.

Each filter maps logits (..., vocab) to logits of the same shape with the excluded tokens set to
``-inf``; :func:`sample_next` chains them in the order Hugging Face's ``generate`` applies them
(repetition penalty, temperature, top-k, top-p, min-p) and draws one token per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = [
    "SamplingParams",
    "top_k_filter",
    "top_p_filter",
    "min_p_filter",
    "apply_repetition_penalty",
    "process_logits",
    "sample_next",
]


@dataclass(frozen=True)
class SamplingParams:
    """How to pick each next token. ``temperature=0`` is greedy (argmax); ``top_k=0``, ``top_p=1``,
    ``min_p=0`` and ``repetition_penalty=1`` switch the corresponding filter off."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    repetition_penalty: float = 1.0

    def __post_init__(self) -> None:
        if not self.temperature >= 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 (0 = off), got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not 0 <= self.min_p <= 1:
            raise ValueError(f"min_p must be in [0, 1], got {self.min_p}")
        if not self.repetition_penalty > 0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def top_k_filter(logits: torch.Tensor, top_k: int) -> torch.Tensor:
    """Keep the ``top_k`` largest logits of each row (ties at the boundary are kept); ``0`` keeps all.
    logits: (..., vocab) -> same shape."""
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0, got {top_k}")
    if top_k == 0 or top_k >= logits.shape[-1]:
        return logits
    kth = logits.topk(top_k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of tokens whose probabilities sum to at least ``top_p``; mask the rest
    to ``-inf``. logits: (..., vocab) -> same shape. The most likely token is always kept."""
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if top_p == 1:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    # Drop a token when the tokens ranked before it already reach top_p.
    drop_sorted = probs.cumsum(dim=-1) - probs >= top_p
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def min_p_filter(logits: torch.Tensor, min_p: float) -> torch.Tensor:
    """Min-p sampling (Nguyen et al. 2024): drop tokens whose probability is below ``min_p`` times the
    most likely token's. logits: (..., vocab) -> same shape; ``0`` keeps all."""
    if not 0 <= min_p <= 1:
        raise ValueError(f"min_p must be in [0, 1], got {min_p}")
    if min_p == 0:
        return logits
    probs = logits.softmax(dim=-1)
    return logits.masked_fill(probs < min_p * probs.amax(dim=-1, keepdim=True), float("-inf"))


def apply_repetition_penalty(logits: torch.Tensor, previous: torch.Tensor, penalty: float) -> torch.Tensor:
    """CTRL's repetition penalty (Keskar et al. 2019), as Hugging Face applies it: every token already in
    ``previous`` has its logit divided by ``penalty`` when positive, multiplied when negative.

    logits: (batch, vocab); previous: (batch, seq) int64 (prompt and generated tokens) -> (batch, vocab).
    """
    if not penalty > 0:
        raise ValueError(f"repetition_penalty must be > 0, got {penalty}")
    if penalty == 1 or previous.numel() == 0:
        return logits
    seen = logits.gather(-1, previous)
    seen = torch.where(seen > 0, seen / penalty, seen * penalty)
    return logits.scatter(-1, previous, seen)


def process_logits(logits: torch.Tensor, params: SamplingParams, previous: torch.Tensor | None = None) -> torch.Tensor:
    """Apply ``params``' penalty, temperature and filters: logits (batch, vocab) -> float32 (batch, vocab).
    ``previous`` (batch, seq) int64 is needed only for the repetition penalty."""
    logits = logits.float()
    if params.repetition_penalty != 1 and previous is not None:
        logits = apply_repetition_penalty(logits, previous, params.repetition_penalty)
    if params.greedy:
        return logits
    logits = logits / params.temperature
    logits = top_k_filter(logits, params.top_k)
    logits = top_p_filter(logits, params.top_p)
    return min_p_filter(logits, params.min_p)


def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    top_k: int = 0,
    min_p: float = 0.0,
    repetition_penalty: float = 1.0,
    previous: torch.Tensor | None = None,
) -> torch.Tensor:
    """Sample one token per row. logits: (batch, vocab) -> (batch,) int64. ``temperature=0`` is greedy.

    ``previous`` (batch, seq) int64 holds the tokens the repetition penalty looks at.
    """
    params = SamplingParams(temperature, top_k, top_p, min_p, repetition_penalty)
    logits = process_logits(logits, params, previous)
    if params.greedy:
        return logits.argmax(dim=-1)
    return torch.multinomial(logits.softmax(dim=-1), 1, generator=generator).squeeze(-1)
