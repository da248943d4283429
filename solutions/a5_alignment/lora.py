"""Assignment 5, LoRA: a low-rank adapter around a frozen linear layer, with merge and unmerge."""

from __future__ import annotations

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """Wrap ``base`` (a module with ``weight`` of shape (d_out, d_in)): freeze its parameters and add
    ``lora_A`` (r, d_in, Kaiming-uniform with a = sqrt(5), like PEFT) and ``lora_B`` (d_out, r, zeros),
    so that ``forward(x) = base(x) + (alpha / r) * x A^T B^T``. ``merge()`` adds
    ``(alpha / r) * B A`` into ``base.weight`` (after which forward is just ``base(x)``) and
    ``unmerge()`` subtracts it again; both are no-ops when already in that state. ValueError for r
    outside [1, min(d_in, d_out)]."""

    def __init__(self, base: nn.Module, r: int, alpha: float):
        super().__init__()
        # BEGIN SOLUTION: validate r; freeze base; create lora_A, lora_B as nn.Parameter; set self.scaling = alpha / r and self.merged = False.
        d_out, d_in = base.weight.shape
        if not 1 <= r <= min(d_in, d_out):
            raise ValueError(f"r must be in [1, {min(d_in, d_out)}], got {r}")
        self.base, self.scaling, self.merged = base, alpha / r, False
        for p in base.parameters():
            p.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, d_in, dtype=base.weight.dtype, device=base.weight.device))
        self.lora_B = nn.Parameter(torch.zeros(d_out, r, dtype=base.weight.dtype, device=base.weight.device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: base(x), plus the scaled low-rank path unless merged.
        y = self.base(x)
        return y if self.merged else y + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
        # END SOLUTION

    @torch.no_grad()
    def merge(self) -> None:
        # BEGIN SOLUTION: add scaling * B @ A to base.weight once.
        if not self.merged:
            self.base.weight += (self.lora_B @ self.lora_A) * self.scaling
            self.merged = True
        # END SOLUTION

    @torch.no_grad()
    def unmerge(self) -> None:
        # BEGIN SOLUTION: subtract it again, once.
        if self.merged:
            self.base.weight -= (self.lora_B @ self.lora_A) * self.scaling
            self.merged = False
        # END SOLUTION
