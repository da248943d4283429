"""The KV cache: what each attention variant stores per token, and the forward pass that reuses it.

Every attention layer of the course model turns a token into a row of *cache entries* of a fixed
width, computed once and read by every later query:

* MHA / GQA / MQA (:class:`~course_lib.model.CausalSelfAttention`): the RoPE-rotated key and the
  value of each key/value head, ``2 * num_kv_heads * head_dim`` numbers;
* MLA (:class:`~course_lib.model.MultiHeadLatentAttention`): the latent ``c`` and the rotated shared
  RoPE key, ``kv_rank + rope_dim`` numbers; keys and values are rebuilt from ``c`` when attending.

:func:`forward_with_cache` runs the model on new tokens only, writing their entries into a cache
and attending over everything cached. Two caches implement the small :class:`CacheView` protocol:
:class:`KVCache` here (one preallocated slab per layer, rows left-padded to a common length) and
the paged cache of :mod:`course_lib.inference.paged`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.model.attention import CausalSelfAttention, MultiHeadLatentAttention
from course_lib.model.layers import Linear, RMSNorm, SwiGLU
from course_lib.model.rope import apply_rope

__all__ = [
    "cache_width", "cache_groups", "project", "attend", "CacheView", "KVCache", "FusedLayer", "fuse_weights",
    "forward_with_cache", "kv_bytes_per_token",
]  # fmt: skip


def _check_attention(attn: nn.Module) -> None:
    if not isinstance(attn, (CausalSelfAttention, MultiHeadLatentAttention)):
        raise TypeError(f"no KV cache layout for attention module {type(attn).__name__}")


def cache_width(attn: nn.Module) -> int:
    """Numbers cached per token by one attention layer (see the module docstring)."""
    _check_attention(attn)
    if isinstance(attn, MultiHeadLatentAttention):
        return attn.cache_width()
    return 2 * attn.num_kv_heads * attn.head_dim


def cache_groups(attn: nn.Module) -> int:
    """How a cache lays out one layer's entries for reading: as ``groups`` contiguous runs of width
    ``cache_width / groups`` per token (one per key head and per value head; MLA: one)."""
    _check_attention(attn)
    return 1 if isinstance(attn, MultiHeadLatentAttention) else 2 * attn.num_kv_heads


def kv_bytes_per_token(model: nn.Module, dtype: torch.dtype = torch.float32) -> int:
    """Bytes of KV cache one token costs across all layers of ``model`` (a TransformerLM)."""
    element = torch.empty((), dtype=dtype).element_size()
    return sum(cache_width(layer.attn) for layer in model.layers) * element


class _Angles(dict):
    """RoPE's cos/sin at this forward's positions, looked up once per table shape, not once per layer."""

    def __init__(self, positions: torch.Tensor):
        super().__init__()
        self.positions = positions

    def rotate(self, rope: nn.Module | None, x: torch.Tensor) -> torch.Tensor:
        """x: (b, heads, t, d) rotated by the positions (b, t), without the bounds check's host sync
        (unchanged without position encoding, ``rope`` None)."""
        if rope is None:
            return x
        key = (rope.head_dim, rope.max_seq_len, rope.theta, rope.interleaved, x.dtype)
        if key not in self:
            self[key] = (rope.cos[self.positions][:, None].to(x.dtype), rope.sin[self.positions][:, None].to(x.dtype))
        cos, sin = self[key]
        if rope.interleaved:
            return apply_rope(x, cos, sin, interleaved=True)
        half = x.shape[-1] // 2  # apply_rope's "rotate half", written out: x cos + (-x2, x1) sin
        return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


@dataclass(frozen=True)
class FusedLayer:
    """One layer's projections concatenated, so that a decode step runs fewer, larger matmuls (as
    inference engines do): ``qkv`` (q_out + 2 * kv_out, d_model) and SwiGLU's ``gate_up``
    (2 * d_ff, d_model); ``None`` where the layer's modules are not the course's float ones."""

    qkv: torch.Tensor | None
    gate_up: torch.Tensor | None


def fuse_weights(model: nn.Module) -> list[FusedLayer]:
    """:class:`FusedLayer` for every layer of ``model`` (copies: rebuild after changing the weights)."""
    fused = []
    for layer in model.layers:
        attn, ffn, qkv, gate_up = layer.attn, layer.ffn, None, None
        if isinstance(attn, CausalSelfAttention) and all(type(m) is Linear for m in (attn.q_proj, attn.k_proj, attn.v_proj)):
            qkv = torch.cat((attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight)).detach()
        if isinstance(ffn, SwiGLU) and type(ffn.w1) is Linear and type(ffn.w3) is Linear:
            gate_up = torch.cat((ffn.w1.weight, ffn.w3.weight)).detach()
        fused.append(FusedLayer(qkv, gate_up))
    return fused


def _norm(norm: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The course RMSNorm in four operations for float32 input (its own forward adds dtype round trips);
    any other norm as itself."""
    if type(norm) is RMSNorm and x.dtype == torch.float32:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + norm.eps) * norm.weight
    return norm(x)


def _feed_forward(ffn: nn.Module, x: torch.Tensor, gate_up: torch.Tensor | None) -> torch.Tensor:
    if gate_up is None:
        return ffn(x)
    gate, up = F.linear(x, gate_up).chunk(2, dim=-1)
    return ffn.w2(F.silu(gate) * up)


def project(
    attn: nn.Module,
    x: torch.Tensor,
    positions: torch.Tensor,
    angles: _Angles | None = None,
    qkv_weight: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Queries and new cache entries of ``x``: (b, t, d_model); positions (b, t) int64 ->
    q (b, heads, t, q_dim) and entries (b, groups, t, width / groups) (see :func:`cache_groups`). ``qkv_weight``: the fused
    projection of :func:`fuse_weights` (MHA/GQA/MQA only)."""
    angles = _Angles(positions) if angles is None else angles
    rotate = angles.rotate
    b, t, _ = x.shape
    if qkv_weight is not None:  # one matmul, one rotation for the query and key heads together
        h, kv, dh = attn.num_heads, attn.num_kv_heads, attn.head_dim
        qkv = F.linear(x, qkv_weight).view(b, t, h + 2 * kv, dh).transpose(1, 2)
        qk = rotate(attn.rope, qkv[:, : h + kv])
        return qk[:, :h], torch.cat((qk[:, h:], qkv[:, h + kv :]), dim=1)  # (b, 2 kv, t, dh): keys, values
    if isinstance(attn, MultiHeadLatentAttention):
        h, dh, dr = attn.num_heads, attn.head_dim, attn.rope_dim
        q = attn.q_proj(x).view(b, t, h, dh + dr).transpose(1, 2)
        q_nope, q_rope = q.split([dh, dr], dim=-1)
        q = torch.cat((q_nope, rotate(attn.rope, q_rope)), dim=-1)
        k_rope = rotate(attn.rope, attn.k_rope_proj(x)[:, None])[:, 0]
        return q, torch.cat((attn.kv_down(x), k_rope), dim=-1)[:, None]
    _check_attention(attn)
    h, kv, dh = attn.num_heads, attn.num_kv_heads, attn.head_dim
    q = rotate(attn.rope, attn.q_proj(x).view(b, t, h, dh).transpose(1, 2))
    k = rotate(attn.rope, attn.k_proj(x).view(b, t, kv, dh).transpose(1, 2))
    v = attn.v_proj(x).view(b, t, kv, dh).transpose(1, 2)
    return q, torch.cat((k, v), dim=1)


def attend(
    attn: nn.Module, q: torch.Tensor, entries: torch.Tensor, mask: torch.Tensor | None, causal: bool = False
) -> torch.Tensor:
    """Attention of q (b, heads, t, q_dim) over cached entries (b, groups, T, width / groups) (see
    :func:`cache_groups`) -> output (b, t, d_model).

    ``mask``: bool (b, 1, t, T), True where a query may read a key; ``None`` lets every query read
    every key (one decode step over a cache without padding), or, with ``causal``, key ``j <= i``
    (a prefill from position 0 without padding, t == T: the fused kernel's causal mode).
    """
    b, _, t, _ = q.shape
    T = entries.shape[2]
    if isinstance(attn, MultiHeadLatentAttention):
        h, dh, dr = attn.num_heads, attn.head_dim, attn.rope_dim
        latent, k_rope = entries[:, 0].split([attn.kv_rank, dr], dim=-1)
        k_nope = attn.k_up(latent).view(b, T, h, dh).transpose(1, 2)
        v = attn.v_up(latent).view(b, T, h, dh).transpose(1, 2)
        k = torch.cat((k_nope, k_rope[:, None].expand(b, h, T, dr)), dim=-1)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        return attn.output_proj(out.transpose(1, 2).reshape(b, t, h * dh))
    h, kv, dh = attn.num_heads, attn.num_kv_heads, attn.head_dim
    k, v = entries[:, :kv], entries[:, kv:]  # (b, kv, T, dh) each
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal, enable_gqa=kv != h)
    return attn.output_proj(out.transpose(1, 2).reshape(b, t, h * dh))


class CacheView(Protocol):
    """What :func:`forward_with_cache` needs from a cache, for one forward over new tokens."""

    mask: torch.Tensor | None  # bool (b, 1, t, T) for this forward, or None (see ``causal``)
    causal: bool  # with mask None: True for plain causal attention (t == T), False for none

    def update(self, layer: int, entries: torch.Tensor) -> torch.Tensor:
        """Store the new tokens' entries (b, groups, t, width / groups) of ``layer``; return all
        entries the queries may read, (b, groups, T, width / groups)."""
        ...


def forward_with_cache(
    model: nn.Module,
    ids: torch.Tensor,
    positions: torch.Tensor,
    cache: CacheView,
    *,
    num_logits: int | None = None,
    fused: Sequence[FusedLayer] | None = None,
) -> torch.Tensor:
    """Run a :class:`~course_lib.model.TransformerLM` on new tokens only.

    ids, positions: (b, t) int64 (positions count from 0 at each sequence's first real token);
    the cache must already be set up for these tokens (its ``mask`` and write slots) -> logits
    (b, t, vocab), or for the last ``num_logits`` positions only (a prefill needs just the last one:
    the output head is the largest matmul of a small model). The same computation as ``model(ids)``
    on the whole sequence, for the new rows. ``fused``: :func:`fuse_weights` of ``model``, for speed.
    """
    x = model.token_embeddings(ids)
    angles = _Angles(positions)
    for i, layer in enumerate(model.layers):
        fl = fused[i] if fused is not None else FusedLayer(None, None)
        q, entries = project(layer.attn, _norm(layer.ln1, x), positions, angles, fl.qkv)
        x = x + attend(layer.attn, q, cache.update(i, entries), cache.mask, cache.causal)
        x = x + _feed_forward(layer.ffn, _norm(layer.ln2, x), fl.gate_up)
    if num_logits is not None:
        x = x[:, x.shape[1] - num_logits :]
    return model.lm_head(_norm(model.ln_final, x))


class KVCache:
    """A preallocated cache for a batch of sequences decoded in lockstep (``generate``).

    ``entries[layer]``: (batch, groups, max_len, width / groups), so that each key and value head
    is contiguous over positions (see :func:`cache_groups`). Rows are left-padded: row ``i`` starts at slot
    ``pad[i]``, and slot ``s`` holds position ``s - pad[i]``. :meth:`advance` prepares the next
    forward of ``t`` tokens (write slots and mask); :meth:`truncate` rolls back (speculative decoding).
    """

    def __init__(
        self,
        model: nn.Module,
        batch_size: int,
        max_len: int,
        pad: torch.Tensor | None = None,
        *,
        dtype: torch.dtype | None = None,
    ):
        weight = model.token_embeddings.weight
        device, dtype = weight.device, dtype or weight.dtype
        self.entries = [
            torch.zeros(batch_size, g, max_len, cache_width(layer.attn) // g, device=device, dtype=dtype)
            for layer in model.layers
            for g in [cache_groups(layer.attn)]
        ]
        self.max_len = max_len
        self.pad = torch.zeros(batch_size, dtype=torch.long, device=device) if pad is None else pad.to(device)
        if self.pad.shape != (batch_size,):
            raise ValueError(f"pad must have shape ({batch_size},), got {tuple(self.pad.shape)}")
        self.length = 0  # slots filled so far (the same for every row)
        self._start = 0
        self.mask: torch.Tensor | None = None
        self.causal = False
        self._padded = bool(self.pad.any())
        self._slots = torch.arange(max_len, device=device)

    @property
    def nbytes(self) -> int:
        return sum(e.numel() * e.element_size() for e in self.entries)

    def advance(self, t: int) -> torch.Tensor:
        """Prepare a forward over the next ``t`` slots; returns their positions (batch, t) int64."""
        if self.length + t > self.max_len:
            raise ValueError(f"KV cache full: {self.length} + {t} tokens > max_len {self.max_len}")
        self._start, self.length = self.length, self.length + t
        query_slots = self._slots[self._start : self.length]
        key_slots = self._slots[: self.length]
        self.causal = self._start == 0 and t > 1 and not self._padded
        if self.causal or (t == 1 and not self._padded):
            self.mask = None
        else:
            causal = key_slots[None, :] <= query_slots[:, None]  # (t, T)
            real_key = key_slots[None, :] >= self.pad[:, None]  # (b, T)
            # A padding query reads itself only, so it never sees an empty row (which would give NaN).
            self_only = key_slots[None, :] == query_slots[:, None]
            self.mask = ((causal[None] & real_key[:, None]) | self_only[None])[:, None]
        return (query_slots[None, :] - self.pad[:, None]).clamp_min(0)

    def update(self, layer: int, entries: torch.Tensor) -> torch.Tensor:
        cache = self.entries[layer]
        cache[:, :, self._start : self.length] = entries
        return cache[:, :, : self.length]

    def truncate(self, length: int) -> None:
        """Forget every slot from ``length`` on (rejected speculative tokens)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate a cache of length {self.length} to {length}")
        self.length = length
