"""Shape checks shared by the two FlashAttention-2 implementations (Triton and pure PyTorch).

Both take q, k, v as (batch, heads, seq, head_dim), PyTorch SDPA's layout, or all three as
(batch*heads, seq, head_dim), the layout of the flash-attn package's and CS336's interfaces; inside,
the 3-D form runs as a batch of one (:func:`with_head_axis`).
"""

from __future__ import annotations

import math

import torch

__all__ = ["check_attention_inputs", "with_head_axis"]


def check_attention_inputs(
    function: str, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float | None
) -> float:
    """Validate q (b, h, n_q, d), k (b, h, n_k, d), v (b, h, n_k, d), or all three with (b*h) in
    place of (b, h); return the softmax scale.

    Raises ``TypeError`` for non-tensors, non-float or mixed dtypes and ``ValueError`` for wrong or
    mixed ranks, mismatched shapes or devices, or an empty head dimension.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{function}: {name} must be a torch.Tensor, got {type(t).__name__}")
    if q.ndim not in (3, 4) or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(
            f"{function}: expected q of shape (batch, heads, seq, head_dim) and k, v alike, or all three "
            f"(batch*heads, seq, head_dim); got q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not t.is_floating_point():
            raise TypeError(f"{function}: {name} must be a floating-point tensor, got {t.dtype}")
        if t.dtype != q.dtype:
            raise TypeError(f"{function}: {name} has dtype {t.dtype} but q has {q.dtype}")
        if t.device != q.device:
            raise ValueError(f"{function}: {name} is on {t.device} but q is on {q.device}")
    if k.shape != v.shape:
        raise ValueError(f"{function}: k and v must have the same shape, got {tuple(k.shape)} and {tuple(v.shape)}")
    if q.shape[:-2] != k.shape[:-2] or q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"{function}: q {tuple(q.shape)} and k {tuple(k.shape)} must agree on batch, heads and head_dim"
        )
    if q.shape[-1] == 0:
        raise ValueError(f"{function}: head_dim must be positive")
    return 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)


def with_head_axis(t: torch.Tensor) -> torch.Tensor:
    """(batch*heads, seq, head_dim) -> (1, batch*heads, seq, head_dim), a view; 4-D tensors unchanged."""
    return t.unsqueeze(0) if t.ndim == 3 else t
