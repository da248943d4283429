"""LoRA: freeze a linear layer's weight ``W`` (d_out, d_in) and learn a low-rank update,
``y = x W^T + (alpha / r) x A^T B^T`` with ``A`` (r, d_in) and ``B`` (d_out, r).

``B`` starts at zero, so the adapted model starts equal to the base model; ``A`` gets PEFT's
default initialisation (Kaiming-uniform with a = sqrt(5)). Merging adds ``(alpha / r) B A`` into ``W``
(no extra cost at inference); unmerging subtracts it again. The names ``lora_A``/``lora_B`` and the
scaling are PEFT's, so the two can be compared weight for weight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

__all__ = ["LoRALinear", "apply_lora", "merge_lora", "unmerge_lora", "lora_parameters"]


class LoRALinear(nn.Module):
    """Wraps a linear layer (``weight`` (d_out, d_in), optional ``bias``; the course ``Linear`` or
    ``torch.nn.Linear``) with a rank-``r`` adapter. x: (..., d_in) -> (..., d_out)."""

    def __init__(self, base: nn.Module, r: int, alpha: float, dropout: float = 0.0):
        super().__init__()
        weight = getattr(base, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.ndim != 2:
            raise ValueError(f"LoRA needs a linear layer with a (d_out, d_in) weight, got {type(base).__name__}")
        d_out, d_in = weight.shape
        if not 1 <= r <= min(d_in, d_out):
            raise ValueError(f"rank r must be in [1, min(d_in, d_out) = {min(d_in, d_out)}], got {r}")
        if not alpha > 0 or not 0 <= dropout < 1:
            raise ValueError(f"need alpha > 0 and 0 <= dropout < 1, got alpha={alpha}, dropout={dropout}")
        self.base, self.r, self.alpha = base, r, alpha
        self.scaling = alpha / r
        for p in base.parameters():
            p.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, d_in, device=weight.device, dtype=weight.dtype))
        self.lora_B = nn.Parameter(torch.zeros(d_out, r, device=weight.device, dtype=weight.dtype))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)
        self.merged = False

    def delta_weight(self) -> torch.Tensor:
        """The update ``(alpha / r) B A``: (d_out, d_in)."""
        return (self.lora_B @ self.lora_A) * self.scaling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        if self.merged:
            return y
        return y + (self.dropout(x) @ self.lora_A.T @ self.lora_B.T) * self.scaling

    @torch.no_grad()
    def merge(self) -> None:
        """Fold the update into the base weight (idempotent)."""
        if not self.merged:
            self.base.weight += self.delta_weight()
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        """Take the update out of the base weight again (idempotent)."""
        if self.merged:
            self.base.weight -= self.delta_weight()
            self.merged = False

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha}, merged={self.merged}"


def apply_lora(
    model: nn.Module, target_modules: Iterable[str], r: int = 8, alpha: float = 16.0, dropout: float = 0.0
) -> list[str]:
    """Replace, in place, every linear layer whose name ends with one of ``target_modules`` (e.g.
    ``("q_proj", "v_proj")``) by a :class:`LoRALinear`, and freeze every other parameter.

    Returns the names of the wrapped layers; a target that matches nothing is an error.
    """
    targets = tuple(target_modules)
    if not targets:
        raise ValueError("target_modules is empty")
    names = [
        name
        for name, module in model.named_modules()
        if name.split(".")[-1] in targets
        and isinstance(getattr(module, "weight", None), torch.Tensor)
        and module.weight.ndim == 2
        and not isinstance(module, (LoRALinear, nn.Embedding))
    ]
    found = {name.split(".")[-1] for name in names}
    missing = [t for t in targets if t not in found]
    if missing:
        raise ValueError(f"no linear layer named {missing} in {type(model).__name__}")
    for p in model.parameters():
        p.requires_grad_(False)
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoRALinear(getattr(parent, child), r, alpha, dropout))
    return names


def _lora_layers(model: nn.Module) -> list[LoRALinear]:
    layers = [m for m in model.modules() if isinstance(m, LoRALinear)]
    if not layers:
        raise ValueError(f"{type(model).__name__} has no LoRA layers (call apply_lora first)")
    return layers


def merge_lora(model: nn.Module) -> None:
    """Merge every adapter of ``model`` into its base weight."""
    for layer in _lora_layers(model):
        layer.merge()


def unmerge_lora(model: nn.Module) -> None:
    """Undo :func:`merge_lora`."""
    for layer in _lora_layers(model):
        layer.unmerge()


def lora_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The trainable adapter parameters (every ``lora_A`` and ``lora_B``)."""
    return [p for layer in _lora_layers(model) for p in (layer.lora_A, layer.lora_B)]
