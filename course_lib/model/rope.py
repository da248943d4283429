"""Rotary position embeddings (RoPE), in both layouts found in released checkpoints.

RoPE turns pairs of dimensions of every query and key head by an angle ``position * theta ** (-2 i / d)``
(pair ``i`` of ``d / 2``), so that ``q . k`` depends only on the distance between the two positions.
Which dimensions form pair ``i`` is a convention:

* **rotate half** (Hugging Face's Llama, the default): dimension ``i`` of the first half and dimension
  ``i`` of the second half, ``(x_i, x_{i + d/2})``; the 90° turn is :func:`rotate_half`.
* **interleaved** (the RoFormer paper and Meta's original Llama code): neighbouring dimensions
  ``(x_{2i}, x_{2i+1})``; the 90° turn is :func:`rotate_pairs`.

The two are the same function up to a fixed permutation of each head's dimensions, so a model trained
in one layout becomes the other by permuting the rows of its q and k projections
(:func:`interleaved_to_half` and :func:`half_to_interleaved`, the permutation of Hugging Face's
``convert_llama_weights_to_hf``); its logits do not change. The layout is chosen by
:attr:`ModelConfig.position_encoding <course_lib.model.ModelConfig>` (``"nope"`` turns RoPE off).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "RotaryPositionalEmbedding",
    "rotate_half",
    "rotate_pairs",
    "apply_rope",
    "interleaved_to_half",
    "half_to_interleaved",
]


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``(x1, x2) -> (-x2, x1)`` on the halves of the last dimension: a 90° turn of every pair ``(i, i + d/2)``."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rotate_pairs(x: torch.Tensor) -> torch.Tensor:
    """``(x_{2i}, x_{2i+1}) -> (-x_{2i+1}, x_{2i})`` on the last dimension: a 90° turn of neighbouring pairs."""
    return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, interleaved: bool = False) -> torch.Tensor:
    """Rotate ``x``: (..., seq, d) by angles whose ``cos``/``sin`` are (seq, d) (broadcast over ...),
    laid out as the pairs of the layout (``interleaved``: neighbours; otherwise halves)."""
    rotated = rotate_pairs(x) if interleaved else rotate_half(x)
    return (x * cos + rotated * sin).to(x.dtype)


def _pair_order(head_dim: int) -> torch.Tensor:
    """The interleaved dimensions in rotate-half order: ``[0, 2, 4, ..., 1, 3, 5, ...]``."""
    return torch.cat((torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)))


def interleaved_to_half(weight: torch.Tensor, head_dim: int) -> torch.Tensor:
    """A q or k projection weight (heads*head_dim, d_model) trained with interleaved RoPE, with each
    head's rows permuted for rotate-half RoPE (the same scores, hence the same logits)."""
    rows = weight.view(-1, head_dim, weight.shape[-1])
    return rows[:, _pair_order(head_dim)].reshape(weight.shape)


def half_to_interleaved(weight: torch.Tensor, head_dim: int) -> torch.Tensor:
    """The inverse of :func:`interleaved_to_half`."""
    rows = weight.view(-1, head_dim, weight.shape[-1])
    return rows[:, torch.argsort(_pair_order(head_dim))].reshape(weight.shape)


class RotaryPositionalEmbedding(nn.Module):
    """Precomputed cos/sin tables for positions ``0 .. max_seq_len - 1`` (buffers, not saved in the state dict).

    ``forward(x, positions=None)``: x (..., seq, head_dim) -> same shape, rotated by each token's
    position (``positions``: (seq,) or (batch, seq) int64, default ``0 .. seq-1``; with (batch, seq)
    and x (batch, heads, seq, head_dim) the angles broadcast over the heads). ``interleaved`` picks
    the layout (see the module docstring). The arguments are those of assignment 1's
    ``RotaryPositionalEmbedding(theta, head_dim, max_seq_len)``.
    """

    def __init__(
        self,
        theta: float,
        head_dim: int,
        max_seq_len: int,
        device: torch.device | None = None,
        interleaved: bool = False,
    ):
        super().__init__()
        if head_dim % 2:
            raise ValueError(f"RoPE needs an even head dimension, got {head_dim}")
        self.theta, self.head_dim, self.max_seq_len, self.interleaved = theta, head_dim, max_seq_len, interleaved
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64, device=device).float() / head_dim))
        angles = (
            torch.arange(max_seq_len, device=device).float()[:, None] * inv_freq[None, :]
        )  # (max_seq_len, head_dim/2)
        angles = angles.repeat_interleave(2, dim=-1) if interleaved else torch.cat((angles, angles), dim=-1)
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
            if positions.ndim == 2 and x.ndim == 4:  # (batch, seq, d) -> (batch, 1, seq, d): broadcast over heads
                cos, sin = cos[:, None], sin[:, None]
        return apply_rope(x, cos.to(x.dtype), sin.to(x.dtype), self.interleaved)

    def extra_repr(self) -> str:
        layout = "interleaved" if self.interleaved else "rotate half"
        return f"theta={self.theta}, head_dim={self.head_dim}, max_seq_len={self.max_seq_len}, {layout}"
