"""Assignment 1, part 2: the optimizer, the learning-rate schedule and gradient clipping."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import nn


class AdamW(torch.optim.Optimizer):
    """AdamW (Loshchilov & Hutter) with ``torch.optim.AdamW``'s hyperparameters and update order.

    For each parameter with a gradient ``g`` at step ``t`` (from 1): decay ``p -= lr * wd * p``;
    moments ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``; update
    ``p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)``. Keep ``m``, ``v`` and ``t`` in
    ``self.state[p]``.
    """

    def __init__(
        self,
        params: Iterable[nn.Parameter] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ):
        if lr < 0:
            raise ValueError(f"invalid learning rate {lr}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None if closure is None else closure()
        # TODO(a1_basics): loop over self.param_groups and their params; skip params without .grad
        raise NotImplementedError("a1_basics: `AdamW.step` is not implemented yet (a1_basics/optim.py)")
        return loss


def cosine_schedule(step: int, max_lr: float, min_lr: float, warmup_steps: int, cosine_steps: int) -> float:
    """Learning rate at ``step``: linear warm-up ``max_lr * step / warmup_steps`` for ``step < warmup_steps``;
    cosine from ``max_lr`` down to ``min_lr`` for ``warmup_steps <= step <= cosine_steps``;
    ``min_lr`` afterwards."""
    # TODO(a1_basics): three cases
    raise NotImplementedError("a1_basics: `cosine_schedule` is not implemented yet (a1_basics/optim.py)")


def clip_grad_norm(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> float:
    """Scale the gradients in place so their global L2 norm is at most ``max_norm``.

    The global norm treats all gradients as one vector. If it exceeds ``max_norm``, multiply every
    gradient by ``max_norm / (norm + eps)``. Parameters without a gradient are skipped. Return the
    norm before clipping.
    """
    # TODO(a1_basics): total = sqrt(sum of squared norms); scale only when total > max_norm
    raise NotImplementedError("a1_basics: `clip_grad_norm` is not implemented yet (a1_basics/optim.py)")
