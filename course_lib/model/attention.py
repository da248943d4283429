"""Causal self-attention: the textbook formula, and the multi-head family MHA / GQA / MQA / MLA.

* :func:`scaled_dot_product_attention` spells out ``softmax(q k^T / sqrt(d) + mask) v``.
* :class:`CausalSelfAttention` is multi-head attention with ``num_kv_heads`` key/value heads:
  ``num_kv_heads == num_heads`` is MHA, ``1`` is MQA (Shazeer 2019), anything between is GQA
  (Ainslie et al. 2023). Query head ``h`` reads key/value head ``h // (num_heads // num_kv_heads)``,
  the grouping of Hugging Face's ``repeat_kv``. Like nanoGPT's ``flash`` switch, ``fused`` chooses
  between PyTorch's fused ``F.scaled_dot_product_attention`` (the default, fast) and the course's
  own :func:`scaled_dot_product_attention`: the same function (``tests/test_model.py`` compares
  values and gradients).
* :class:`MultiHeadLatentAttention` is DeepSeek-V2's MLA: keys and values are rebuilt from one
  low-rank latent per token, plus one small RoPE key shared by all heads, so the KV cache holds
  ``kv_rank + rope_dim`` numbers per token and layer. At inference, :meth:`MultiHeadLatentAttention.
  forward_absorbed` attends from that cache alone, with ``W_UK`` folded into the queries and ``W_UV``
  into the output projection, and never rebuilds a key or value.

Both are built from a :class:`~course_lib.model.ModelConfig` (which checks the sizes); its
``position_encoding`` picks the RoPE layout, or none (``rope`` is then ``None``).

State-dict names: ``q_proj.weight`` (num_heads*head_dim, d_model), ``k_proj.weight`` and
``v_proj.weight`` (num_kv_heads*head_dim, d_model), ``output_proj.weight`` (d_model, num_heads*head_dim).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.model.config import ModelConfig
from course_lib.model.layers import Linear, softmax
from course_lib.model.rope import RotaryPositionalEmbedding

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


def _rope(config: ModelConfig, head_dim: int) -> RotaryPositionalEmbedding | None:
    """The rotary embedding ``config.position_encoding`` asks for, of width ``head_dim`` (None for NoPE)."""
    if not config.uses_rope:
        return None
    interleaved = config.position_encoding == "rope_interleaved"
    return RotaryPositionalEmbedding(config.rope_theta, head_dim, config.context_length, interleaved=interleaved)


def _rotate(rope: RotaryPositionalEmbedding | None, x: torch.Tensor, positions: torch.Tensor | None) -> torch.Tensor:
    """``x`` rotated by ``rope`` at ``positions``; unchanged without position encoding (``rope`` None)."""
    return x if rope is None else rope(x, positions)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with RoPE and ``num_kv_heads`` key/value heads (MHA/GQA/MQA).

    Built from ``config`` (``d_model``, ``num_heads``, ``kv_heads``, ``context_length``,
    ``position_encoding``, ``rope_theta``, ``fused``). ``fused`` (from ``config.fused``, settable
    on the module) picks PyTorch's fused attention or the course's.
    ``forward(x, positions=None)``: x (batch, seq, d_model) -> (batch, seq, d_model);
    ``positions``: (seq,) or (batch, seq) int64, default ``0 .. seq-1``.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.num_heads, self.num_kv_heads, self.head_dim = config.num_heads, config.kv_heads, config.head_dim
        self.fused = config.fused
        self.q_proj = Linear(config.d_model, self.num_heads * self.head_dim)
        self.k_proj = Linear(config.d_model, self.num_kv_heads * self.head_dim)
        self.v_proj = Linear(config.d_model, self.num_kv_heads * self.head_dim)
        self.output_proj = Linear(self.num_heads * self.head_dim, config.d_model)
        self.rope = _rope(config, self.head_dim)

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        if x.ndim != 3:
            raise ValueError(f"expected x of shape (batch, seq, d_model), got {tuple(x.shape)}")
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)  # (b, heads, t, head_dim)
        k = self.k_proj(x).view(b, t, self.num_kv_heads, self.head_dim).transpose(1, 2)  # (b, kv_heads, t, head_dim)
        v = self.v_proj(x).view(b, t, self.num_kv_heads, self.head_dim).transpose(1, 2)
        q, k = _rotate(self.rope, q, positions), _rotate(self.rope, k, positions)
        if self.fused:
            out = F.scaled_dot_product_attention(
                q, k, v, is_causal=True, enable_gqa=self.num_kv_heads != self.num_heads
            )
        else:
            group = self.num_heads // self.num_kv_heads  # query heads per key/value head
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
            out = scaled_dot_product_attention(q, k, v, causal_mask(t, device=x.device))
        return self.output_proj(out.transpose(1, 2).reshape(b, t, self.num_heads * self.head_dim))


class MultiHeadLatentAttention(nn.Module):
    """DeepSeek-V2's multi-head latent attention (MLA), causal, without the query compression.

    Per token: a latent ``c = W_dkv x`` of width ``kv_rank`` (cached), from which every head's key
    ``k_nope = W_uk c`` and value ``v = W_uv c`` are rebuilt; and one RoPE key ``k_rope = RoPE(W_kr x)``
    of width ``rope_dim`` shared by all heads (cached). Each head's query has a content part
    (``head_dim``) and a RoPE part (``rope_dim``); the score is ``(q_nope·k_nope + q_rope·k_rope) /
    sqrt(head_dim + rope_dim)``. x: (batch, seq, d_model) -> (batch, seq, d_model).

    Built from ``config`` (``d_model``, ``num_heads``, ``head_dim`` unless given, ``context_length``,
    ``position_encoding``, ``rope_theta``, ``fused``) and MLA's own two widths.
    """

    def __init__(self, config: ModelConfig, kv_rank: int, rope_dim: int, head_dim: int | None = None):
        super().__init__()
        d_model = config.d_model
        self.num_heads = config.num_heads
        self.head_dim = config.head_dim if head_dim is None else head_dim
        self.kv_rank, self.rope_dim = kv_rank, rope_dim
        self.fused = config.fused
        h, dh = self.num_heads, self.head_dim
        self.q_proj = Linear(d_model, h * (dh + rope_dim))
        self.kv_down = Linear(d_model, kv_rank)
        self.k_up = Linear(kv_rank, h * dh)
        self.v_up = Linear(kv_rank, h * dh)
        self.k_rope_proj = Linear(d_model, rope_dim)
        self.output_proj = Linear(h * dh, d_model)
        self.rope = _rope(config, rope_dim)

    def cache_width(self) -> int:
        """Numbers cached per token and layer: the latent plus the shared RoPE key."""
        return self.kv_rank + self.rope_dim

    def compress(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What an MLA KV cache stores for ``x``: (batch, seq, d_model) -> ``(latent, k_rope)``,
        (batch, seq, kv_rank) and (batch, seq, rope_dim), the RoPE key already rotated."""
        return self.kv_down(x), _rotate(self.rope, self.k_rope_proj(x), None)

    def absorbed_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The two matrices of the absorbed inference path, per head.

        ``w_q_latent``: (heads, d_model, kv_rank) = ``W_Q,h^T W_UK,h``: maps ``x`` straight to a query
        in latent space, so that ``q_nope . (W_UK c) = (x w_q_latent) . c``.
        ``w_o_latent``: (heads, kv_rank, d_model) = ``(W_O,h W_UV,h)^T``: maps a head's attention-weighted
        latent straight to the output, so that ``W_O,h (W_UV P c) = (P c) w_o_latent``.
        """
        h, dh, dr, r = self.num_heads, self.head_dim, self.rope_dim, self.kv_rank
        w_q_nope = self.q_proj.weight.view(h, dh + dr, -1)[:, :dh]  # (h, dh, d_model)
        w_uk = self.k_up.weight.view(h, dh, r)
        w_uv = self.v_up.weight.view(h, dh, r)
        w_o = self.output_proj.weight.view(-1, h, dh)  # (d_model, h, dh)
        w_q_latent = torch.einsum("hdm,hdr->hmr", w_q_nope, w_uk)
        w_o_latent = torch.einsum("mhd,hdr->hrm", w_o, w_uv)
        return w_q_latent, w_o_latent

    def forward_absorbed(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """The same function as :meth:`forward`, computed from the compressed cache alone.

        x: (batch, seq_q, d_model), the newest ``seq_q`` tokens; ``cache``: ``(latent, k_rope)`` of
        *all* tokens so far, (batch, seq_k, kv_rank) and (batch, seq_k, rope_dim) with ``seq_k >= seq_q``
        (default: :meth:`compress` of ``x``). Keys and values are never rebuilt: scores are
        ``(x W_q_latent) . c + q_rope . k_rope`` and the output is ``(P c) W_o_latent`` summed over heads.
        This works because RoPE is applied only to the separate ``k_rope``: a rotation between ``W_UK``
        and the query would depend on the key's position and could not be folded into one matrix.
        Returns (batch, seq_q, d_model).
        """
        if x.ndim != 3:
            raise ValueError(f"expected x of shape (batch, seq, d_model), got {tuple(x.shape)}")
        latent, k_rope = self.compress(x) if cache is None else cache
        b, t_q, _ = x.shape
        t_k = latent.shape[1]
        if latent.shape[-1] != self.kv_rank or k_rope.shape[-1] != self.rope_dim or t_k < t_q:
            raise ValueError(
                f"cache must be (latent (b, seq_k, {self.kv_rank}), k_rope (b, seq_k, {self.rope_dim})) with "
                f"seq_k >= {t_q}, got {tuple(latent.shape)} and {tuple(k_rope.shape)}"
            )
        h, dh, dr = self.num_heads, self.head_dim, self.rope_dim
        w_q_latent, w_o_latent = self.absorbed_weights()
        q_latent = torch.einsum("btm,hmr->bhtr", x, w_q_latent)  # (b, h, t_q, kv_rank)
        q_rope = self.q_proj(x).view(b, t_q, h, dh + dr).transpose(1, 2)[..., dh:]
        positions = torch.arange(t_k - t_q, t_k, device=x.device)
        q_rope = _rotate(self.rope, q_rope, positions)
        scores = (
            q_latent @ latent[:, None].transpose(-1, -2) + q_rope @ k_rope[:, None].transpose(-1, -2)
        ) / math.sqrt(dh + dr)
        scores = scores.masked_fill(~causal_mask(t_q, t_k, device=x.device), float("-inf"))
        weighted_latent = softmax(scores, dim=-1) @ latent[:, None]  # (b, h, t_q, kv_rank)
        return torch.einsum("bhtr,hrm->btm", weighted_latent, w_o_latent)

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
        q_rope, k_rope = _rotate(self.rope, q_rope, positions), _rotate(self.rope, k_rope, positions)
        q_full = torch.cat((q_nope, q_rope), dim=-1)
        k_full = torch.cat((k_nope, k_rope.expand(b, h, t, dr)), dim=-1)
        if self.fused:
            out = F.scaled_dot_product_attention(q_full, k_full, v, is_causal=True)
        else:
            out = scaled_dot_product_attention(q_full, k_full, v, causal_mask(t, device=x.device))
        return self.output_proj(out.transpose(1, 2).reshape(b, t, h * dh))
