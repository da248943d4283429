"""AdamW written out, and gradient clipping by global norm.

AdamW (Loshchilov & Hutter 2019) keeps two running moments per parameter and decouples weight
decay from the gradient: with ``g`` the gradient at step ``t`` (counting from 1)::

    p  <- p - lr * weight_decay * p                     (decoupled weight decay)
    m  <- beta1 * m + (1 - beta1) * g                   (first moment)
    v  <- beta2 * v + (1 - beta2) * g^2                 (second moment)
    p  <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

in the order ``torch.optim.AdamW`` uses, so the two agree to float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import nn

__all__ = ["AdamW", "clip_grad_norm_", "param_groups"]


class AdamW(torch.optim.Optimizer):
    """AdamW with the hyperparameters of ``torch.optim.AdamW``.

    State per parameter: ``step`` (int), ``exp_avg`` and ``exp_avg_sq`` (the parameter's shape).
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
            raise ValueError(f"learning rate must be >= 0, got {lr}")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if eps <= 0 or weight_decay < 0:
            raise ValueError(f"need eps > 0 and weight_decay >= 0, got eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                t = state["step"]
                m, v, g = state["exp_avg"], state["exp_avg_sq"], p.grad
                p.mul_(1 - lr * wd)
                m.lerp_(g, 1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                step_size = lr / (1 - beta1**t)
                denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)
                p.addcdiv_(m, denom, value=-step_size)
        return loss


def clip_grad_norm_(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> torch.Tensor:
    """Scale all gradients in place so that their global L2 norm is at most ``max_norm``.

    The global norm is ``sqrt(sum over parameters of ||grad||^2)``; when it exceeds ``max_norm``
    every gradient is multiplied by ``max_norm / (norm + eps)`` (``torch.nn.utils.clip_grad_norm_``'s
    rule). Returns the norm before clipping (a 0-d tensor).
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in grads]))
    scale = (max_norm / (total + eps)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.to(g.dtype))
    return total


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: matrices (ndim >= 2) get ``weight_decay``, gains and other vectors get none."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
