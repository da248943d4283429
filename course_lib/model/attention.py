"""Causal self-attention: the textbook formula, and the multi-head family MHA / GQA / MQA / MLA.

* :func:`scaled_dot_product_attention` spells out ``softmax(q k^T / sqrt(d) + mask) v``.
* :class:`CausalSelfAttention` is multi-head attention with ``num_kv_heads`` key/value heads:
  ``num_kv_heads == num_heads`` is MHA, ``1`` is MQA (Shazeer 2019), anything between is GQA
  (Ainslie et al. 2023). Query head ``h`` reads key/value head ``h // (num_heads // num_kv_heads)``,
  the grouping of Hugging Face's ``repeat_kv``. It calls PyTorch's fused
  ``F.scaled_dot_product_attention``, which computes the same function as the textbook version.
* :class:`MultiHeadLatentAttention` is DeepSeek-V2's MLA: keys and values are rebuilt from one
  low-rank latent per token, plus one small RoPE key shared by all heads, so the KV cache holds
  ``kv_rank + rope_dim`` numbers per token and layer.

State-dict names: ``q_proj.weight`` (num_heads*head_dim, d_model), ``k_proj.weight`` and
``v_proj.weight`` (num_kv_heads*head_dim, d_model), ``output_proj.weight`` (d_model, num_heads*head_dim).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.model.layers import Linear, softmax
from course_lib.model.rope import RotaryEmbedding

__all__ = ["scaled_dot_product_attention", "causal_mask", "CausalSelfAttention", "MultiHeadLatentAttention"]


def causal_mask(seq_q: int, seq_k: int | None = None, device: torch.device | None = None) -> torch.Tensor:
    """Boolean (seq_q, seq_k) mask, True where query i may attend to key j (j <= i, right-aligned)."""
    seq_k = seq_q if seq_k is None else seq_k
    return torch.ones(seq_q, seq_k, dtype=torch.bool, device=device).tril(diagonal=seq_k - seq_q)


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """``softmax(q k^T / sqrt(d_k)) v`` with positions where ``mask`` is False excluded.

    q: (..., seq_q, d_k), k: (..., seq_k, d_k), v: (..., seq_k, d_v), mask: bool broadcastable to
    (..., seq_q, seq_k) -> (..., seq_q, d_v).
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"incompatible shapes q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}")
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return softmax(scores, dim=-1) @ v


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with RoPE and ``num_kv_heads`` key/value heads (MHA/GQA/MQA).

    x: (batch, seq, d_model) -> (batch, seq, d_model).
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        context_length: int,
        rope_theta: float = 10000.0,
        num_kv_heads: int | None = None,
        *,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        num_kv_heads = num_heads if num_kv_heads is None else num_kv_heads
        if d_model % num_heads or num_heads % num_kv_heads:
            raise ValueError(
                f"need d_model % num_heads == 0 and num_heads % num_kv_heads == 0, got "
                f"d_model={d_model}, num_heads={num_heads}, num_kv_heads={num_kv_heads}"
            )
        self.num_heads, self.num_kv_heads = num_heads, num_kv_heads
        self.head_dim = d_model // num_heads
        self.q_proj = Linear(d_model, num_heads * self.head_dim, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, num_kv_heads * self.head_dim, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, num_kv_heads * self.head_dim, device=device, dtype=dtype)
        self.output_proj = Linear(num_heads * self.head_dim, d_model, device=device, dtype=dtype)
        self.rope = RotaryEmbedding(self.head_dim, context_length, rope_theta, device=device)

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        if x.ndim != 3:
            raise ValueError(f"expected x of shape (batch, seq, d_model), got {tuple(x.shape)}")
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.num_kv_heads, self.head_dim).transpose(1, 2)
        q, k = self.rope(q, positions), self.rope(k, positions)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=self.num_kv_heads != self.num_heads)
        return self.output_proj(out.transpose(1, 2).reshape(b, t, self.num_heads * self.head_dim))


class MultiHeadLatentAttention(nn.Module):
    """DeepSeek-V2's multi-head latent attention (MLA), causal, without the query compression.

    Per token: a latent ``c = W_dkv x`` of width ``kv_rank`` (cached), from which every head's key
    ``k_nope = W_uk c`` and value ``v = W_uv c`` are rebuilt; and one RoPE key ``k_rope = RoPE(W_kr x)``
    of width ``rope_dim`` shared by all heads (cached). Each head's query has a content part
    (``head_dim``) and a RoPE part (``rope_dim``); the score is ``(q_nope·k_nope + q_rope·k_rope) /
    sqrt(head_dim + rope_dim)``. x: (batch, seq, d_model) -> (batch, seq, d_model).
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        context_length: int,
        kv_rank: int,
        rope_dim: int,
        rope_theta: float = 10000.0,
        head_dim: int | None = None,
    ):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads if head_dim is None else head_dim
        self.kv_rank, self.rope_dim = kv_rank, rope_dim
        h, dh = num_heads, self.head_dim
        self.q_proj = Linear(d_model, h * (dh + rope_dim))
        self.kv_down = Linear(d_model, kv_rank)
        self.k_up = Linear(kv_rank, h * dh)
        self.v_up = Linear(kv_rank, h * dh)
        self.k_rope_proj = Linear(d_model, rope_dim)
        self.output_proj = Linear(h * dh, d_model)
        self.rope = RotaryEmbedding(rope_dim, context_length, rope_theta)

    def cache_width(self) -> int:
        """Numbers cached per token and layer: the latent plus the shared RoPE key."""
        return self.kv_rank + self.rope_dim

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        """``positions``: (seq,) or (batch, seq) int64, default ``0 .. seq-1`` (as :class:`CausalSelfAttention`)."""
        b, t, _ = x.shape
        h, dh, dr = self.num_heads, self.head_dim, self.rope_dim
        q = self.q_proj(x).view(b, t, h, dh + dr).transpose(1, 2)
        q_nope, q_rope = q.split([dh, dr], dim=-1)
        latent = self.kv_down(x)  # (b, t, kv_rank): what the cache stores
        k_nope = self.k_up(latent).view(b, t, h, dh).transpose(1, 2)
        v = self.v_up(latent).view(b, t, h, dh).transpose(1, 2)
        k_rope = self.k_rope_proj(x)[:, None]  # (b, 1, t, dr): one RoPE key shared by the heads
        q_rope, k_rope = self.rope(q_rope, positions), self.rope(k_rope, positions)
        q_full = torch.cat((q_nope, q_rope), dim=-1)
        k_full = torch.cat((k_nope, k_rope.expand(b, h, t, dr)), dim=-1)
        out = F.scaled_dot_product_attention(q_full, k_full, v, is_causal=True)
        return self.output_proj(out.transpose(1, 2).reshape(b, t, h * dh))
