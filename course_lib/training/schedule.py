"""Learning-rate schedule: linear warm-up, then cosine decay to a floor."""

from __future__ import annotations

import math

__all__ = ["cosine_schedule"]


def cosine_schedule(step: int, max_lr: float, min_lr: float, warmup_steps: int, cosine_steps: int) -> float:
    """The learning rate at ``step`` (0-based).

    * ``step < warmup_steps``: linear warm-up, ``max_lr * step / warmup_steps``;
    * ``warmup_steps <= step <= cosine_steps``: ``min_lr + (max_lr - min_lr) * (1 + cos(pi * s)) / 2``
      with ``s = (step - warmup_steps) / (cosine_steps - warmup_steps)``;
    * afterwards: ``min_lr``.
    """
    if warmup_steps < 0 or cosine_steps < warmup_steps:
        raise ValueError(f"need 0 <= warmup_steps <= cosine_steps, got {warmup_steps}, {cosine_steps}")
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    if step > cosine_steps or cosine_steps == warmup_steps:
        return min_lr
    progress = (step - warmup_steps) / (cosine_steps - warmup_steps)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (max_lr - min_lr)
