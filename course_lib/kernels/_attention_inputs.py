"""Shape checks shared by the two FlashAttention-2 implementations (Triton and pure PyTorch)."""

from __future__ import annotations

import math

import torch

__all__ = ["check_attention_inputs"]


def check_attention_inputs(function: str, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | None) -> float:
    """Validate q (b, h, n_q, d), k (b, h, n_k, d), v (b, h, n_k, d); return the softmax scale.

    Raises ``TypeError`` for non-tensors, non-float or mixed dtypes and ``ValueError`` for wrong
    ranks, mismatched shapes or devices, or an empty head dimension.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{function}: {name} must be a torch.Tensor, got {type(t).__name__}")
        if t.ndim != 4:
            raise ValueError(f"{function}: expected {name} of shape (batch, heads, seq, head_dim), got {tuple(t.shape)}")
        if not t.is_floating_point():
            raise TypeError(f"{function}: {name} must be a floating-point tensor, got {t.dtype}")
        if t.dtype != q.dtype:
            raise TypeError(f"{function}: {name} has dtype {t.dtype} but q has {q.dtype}")
        if t.device != q.device:
            raise ValueError(f"{function}: {name} is on {t.device} but q is on {q.device}")
    if k.shape != v.shape:
        raise ValueError(f"{function}: k and v must have the same shape, got {tuple(k.shape)} and {tuple(v.shape)}")
    if q.shape[:2] != k.shape[:2] or q.shape[3] != k.shape[3]:
        raise ValueError(
            f"{function}: q {tuple(q.shape)} and k {tuple(k.shape)} must agree on batch, heads and head_dim"
        )
    if q.shape[3] == 0:
        raise ValueError(f"{function}: head_dim must be positive")
    return 1.0 / math.sqrt(q.shape[3]) if scale is None else float(scale)
