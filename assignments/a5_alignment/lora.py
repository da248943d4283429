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
        # TODO(a5_alignment): validate r; freeze base; create lora_A, lora_B as nn.Parameter; set self.scaling = alpha / r and self.merged = False.
        raise NotImplementedError("a5_alignment: `LoRALinear.__init__` is not implemented yet (a5_alignment/lora.py)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO(a5_alignment): base(x), plus the scaled low-rank path unless merged.
        raise NotImplementedError("a5_alignment: `LoRALinear.forward` is not implemented yet (a5_alignment/lora.py)")

    @torch.no_grad()
    def merge(self) -> None:
        # TODO(a5_alignment): add scaling * B @ A to base.weight once.
        raise NotImplementedError("a5_alignment: `LoRALinear.merge` is not implemented yet (a5_alignment/lora.py)")

    @torch.no_grad()
    def unmerge(self) -> None:
        # TODO(a5_alignment): subtract it again, once.
        raise NotImplementedError("a5_alignment: `LoRALinear.unmerge` is not implemented yet (a5_alignment/lora.py)")
