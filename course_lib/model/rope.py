"""Rotary position embeddings (RoPE), in the "rotate half" layout used by Llama in Hugging Face.

A head vector of width ``d`` is split into two halves ``(x1, x2)``; dimension ``i`` of the first half
and dimension ``i`` of the second half form a pair that is rotated by the angle
``position * theta ** (-2 i / d)``. (The RoFormer paper pairs neighbouring dimensions ``(2i, 2i+1)``
instead; the two layouts are the same function up to a fixed permutation of the q/k projection rows,
and this one lets weights move to and from ``transformers.LlamaForCausalLM`` unchanged.)
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RotaryEmbedding", "rotate_half", "apply_rope"]


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``(x1, x2) -> (-x2, x1)`` on the last dimension: a 90° turn of every pair."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x``: (..., seq, d) by angles whose ``cos``/``sin`` are (seq, d) (broadcast over ...)."""
    return (x * cos + rotate_half(x) * sin).to(x.dtype)


class RotaryEmbedding(nn.Module):
    """Precomputed cos/sin tables for positions ``0 .. max_seq_len - 1`` (buffers, not saved in the state dict).

    ``forward(x, positions=None)``: x (batch, heads, seq, head_dim) -> same shape, rotated by each
    token's position (``positions``: (seq,) or (batch, seq) int64, default ``0 .. seq-1``).
    """

    def __init__(self, head_dim: int, max_seq_len: int, theta: float = 10000.0, device: torch.device | None = None):
        super().__init__()
        if head_dim % 2:
            raise ValueError(f"RoPE needs an even head dimension, got {head_dim}")
        self.head_dim, self.max_seq_len, self.theta = head_dim, max_seq_len, theta
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64, device=device).float() / head_dim))
        angles = torch.arange(max_seq_len, device=device).float()[:, None] * inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)  # (max_seq_len, head_dim)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        seq = x.shape[-2]
        if positions is None:
            if seq > self.max_seq_len:
                raise ValueError(f"sequence of length {seq} exceeds the context length {self.max_seq_len}")
            cos, sin = self.cos[:seq], self.sin[:seq]
        else:
            if int(positions.max()) >= self.max_seq_len or int(positions.min()) < 0:
                raise ValueError(f"positions must lie in [0, {self.max_seq_len}), got max {int(positions.max())}")
            cos, sin = self.cos[positions], self.sin[positions]
            if positions.ndim == 2:  # (batch, seq, d) -> (batch, 1, seq, d): broadcast over heads
                cos, sin = cos[:, None], sin[:, None]
        return apply_rope(x, cos.to(x.dtype), sin.to(x.dtype))

    def extra_repr(self) -> str:
        return f"head_dim={self.head_dim}, max_seq_len={self.max_seq_len}, theta={self.theta}"
