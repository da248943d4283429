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

from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.model.attention import CausalSelfAttention, MultiHeadLatentAttention
from course_lib.model.layers import Linear, RMSNorm, SwiGLU
from course_lib.model.rope import apply_rope

__all__ = [
    "cache_width",
    "cache_groups",
    "project",
    "attend",
    "CacheView",
    "KVCache",
    "FusedLayer",
    "FusedWeights",
    "fuse_weights",
    "forward_with_cache",
    "kv_bytes_per_token",
]


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
        (unchanged without position encoding, ``rope`` None).

        The "rotate half" layout's ``x cos + (-x2, x1) sin`` in three operations: ``(-x2, x1) sin`` is
        ``(x2, x1) (-sin1, sin2)``, a roll of x times a sine table with its first half negated."""
        if rope is None:
            return x
        key = (rope.head_dim, rope.max_seq_len, rope.theta, rope.interleaved, x.dtype)
        if key not in self:
            cos, sin = rope.cos[self.positions][:, None].to(x.dtype), rope.sin[self.positions][:, None].to(x.dtype)
            if not rope.interleaved:
                half = x.shape[-1] // 2
                sin = torch.cat((-sin[..., :half], sin[..., half:]), dim=-1)
            self[key] = (cos, sin)
        cos, sin = self[key]
        if rope.interleaved:
            return apply_rope(x, cos, sin, interleaved=True)
        return x * cos + x.roll(x.shape[-1] // 2, dims=-1) * sin


@dataclass(frozen=True)
class FusedLayer:
    """One Transformer block (course RMSNorm, MHA/GQA/MQA, SwiGLU, float weights) laid out for
    decoding, as inference engines prepare a model once before serving it:

    * projections concatenated, so that a step runs fewer, larger matmuls: ``qkv`` holds q, k and v's,
      ``gate_up`` SwiGLU's w1 and w3;
    * weights transposed once to (d_in, d_out) contiguous: a CPU GEMM multiplies a few rows by a
      weight stored this way faster than by the (d_out, d_in) layout ``F.linear`` reads (MKL at
      this model's decode shapes: up to 2x at batch 8, little at batch 1; a GPU does not care);
    * everything a step reads held as plain attributes: a decode step of a small model is bound by
      the number of operations and Python look-ups it makes, not by bytes.

    ``ln1``, ``ln2`` (d_model,); ``qkv`` (d_model, (heads + 2 kv_heads) head_dim); ``out``
    (heads head_dim, d_model); ``gate_up`` (d_model, 2 d_ff); ``down`` (d_ff, d_model).
    """

    ln1: torch.Tensor
    qkv: torch.Tensor
    out: torch.Tensor
    ln2: torch.Tensor
    gate_up: torch.Tensor
    down: torch.Tensor
    eps1: float
    eps2: float
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rope: nn.Module

    @classmethod
    def of(cls, block: nn.Module) -> FusedLayer | None:
        """The fused copy of a :class:`~course_lib.model.TransformerBlock`, or None if it has other
        modules (MLA, MoE, quantized linears) or is not float32, and then runs as itself."""
        attn, ffn, norms = block.attn, block.ffn, (block.ln1, block.ln2)
        linears = (attn.q_proj, attn.k_proj, attn.v_proj, attn.output_proj) if type(attn) is CausalSelfAttention else ()
        if not linears or type(ffn) is not SwiGLU or any(type(n) is not RMSNorm for n in norms):
            return None
        if any(p.dtype != torch.float32 for p in block.parameters()):
            return None  # the course RMSNorm computes in float32 and casts back; F.rms_norm does not
        if any(type(m) is not Linear for m in (*linears, ffn.w1, ffn.w2, ffn.w3)):
            return None
        return cls(
            block.ln1.weight.detach().clone(),
            _transposed(attn.q_proj, attn.k_proj, attn.v_proj),
            _transposed(attn.output_proj),
            block.ln2.weight.detach().clone(),
            _transposed(ffn.w1, ffn.w3),
            _transposed(ffn.w2),
            block.ln1.eps,
            block.ln2.eps,
            attn.num_heads,
            attn.num_kv_heads,
            attn.head_dim,
            attn.rope,
        )


@dataclass(frozen=True)
class FusedWeights:
    """:meth:`FusedLayer.of` every block, and the output head transposed, ``lm_head`` (d_model, vocab)."""

    layers: list[FusedLayer | None]
    lm_head: torch.Tensor | None


def _transposed(*modules: nn.Module) -> torch.Tensor:
    """The weights of ``Linear`` modules stacked along d_out and transposed -> (d_in, sum of d_out), contiguous."""
    return torch.cat([m.weight for m in modules]).detach().t().contiguous()


def fuse_weights(model: nn.Module) -> FusedWeights:
    """:class:`FusedWeights` of a :class:`~course_lib.model.TransformerLM` (copies: rebuild after changing the weights)."""
    head = model.lm_head
    return FusedWeights(
        [FusedLayer.of(block) for block in model.layers], _transposed(head) if type(head) is Linear else None
    )


def _norm(norm: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The course RMSNorm as PyTorch's ``F.rms_norm`` for float32 input (its own forward adds dtype
    round trips; the result is the same); any other norm as itself."""
    if type(norm) is RMSNorm and x.dtype == torch.float32:
        return F.rms_norm(x, norm.weight.shape, norm.weight, norm.eps)
    return norm(x)


def project(
    attn: nn.Module, x: torch.Tensor, positions: torch.Tensor, angles: _Angles | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Queries and new cache entries of ``x``: (b, t, d_model); positions (b, t) int64 ->
    q (b, heads, t, q_dim) and entries (b, groups, t, width / groups) (see :func:`cache_groups`)."""
    angles = _Angles(positions) if angles is None else angles
    rotate = angles.rotate
    b, t, _ = x.shape
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


def _grouped_attention(q: torch.Tensor, entries: torch.Tensor, mask: torch.Tensor | None, causal: bool) -> torch.Tensor:
    """MHA/GQA/MQA: q (b, heads, t, dh) over entries (b, 2 kv_heads, T, dh) (keys, then values) -> (b, t, heads dh).

    A decode step (t = 1) folds the ``heads / kv_heads`` query heads that share a key/value head into
    the query dimension: one head with that many queries, all reading every key (the mask, (b, 1, 1,
    T), is the same for each). The kernel then reads each cached key and value once per group, not
    once per query head, as GQA decode kernels do (on this course's 2-core CPU, 4 layers of the base
    model's shapes: about 1.2x faster at batch 1, 1.6-1.9x at batch 8).
    """
    b, h, t, dh = q.shape
    kv = entries.shape[1] // 2
    if t == 1 and not causal:
        out = F.scaled_dot_product_attention(
            q.view(b, kv, h // kv, dh), entries[:, :kv], entries[:, kv:], attn_mask=mask
        )
        return out.reshape(b, 1, h * dh)
    out = F.scaled_dot_product_attention(
        q, entries[:, :kv], entries[:, kv:], attn_mask=mask, is_causal=causal, enable_gqa=kv != h
    )
    return out.transpose(1, 2).reshape(b, t, h * dh)


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
    return attn.output_proj(_grouped_attention(q, entries, mask, causal))


class CacheView(Protocol):
    """What :func:`forward_with_cache` needs from a cache, for one forward over new tokens."""

    mask: torch.Tensor | None  # bool (b, 1, t, T) for this forward, or None (see ``causal``)
    causal: bool  # with mask None: True for plain causal attention (t == T), False for none

    def update(self, layer: int, entries: torch.Tensor) -> torch.Tensor:
        """Store the new tokens' entries (b, groups, t, width / groups) of ``layer``; return all
        entries the queries may read, (b, groups, T, width / groups)."""
        ...


def _fused_block(fl: FusedLayer, x: torch.Tensor, angles: _Angles, cache: CacheView, layer: int) -> torch.Tensor:
    """One block from its :class:`FusedLayer`: the computation of the generic path below, in 17
    operations (one matmul for the query, key and value heads, one rotation for the query and key heads)."""
    b, t, _ = x.shape
    h, kv, dh = fl.num_heads, fl.num_kv_heads, fl.head_dim
    qkv = (F.rms_norm(x, fl.ln1.shape, fl.ln1, fl.eps1) @ fl.qkv).view(b, t, h + 2 * kv, dh).transpose(1, 2)
    qk = angles.rotate(fl.rope, qkv[:, : h + kv])
    entries = cache.update(layer, torch.cat((qk[:, h:], qkv[:, h + kv :]), dim=1))  # (b, 2 kv, T, dh)
    x = x + _grouped_attention(qk[:, :h], entries, cache.mask, cache.causal) @ fl.out
    gate, up = (F.rms_norm(x, fl.ln2.shape, fl.ln2, fl.eps2) @ fl.gate_up).chunk(2, dim=-1)
    return x + (F.silu(gate) * up) @ fl.down


def forward_with_cache(
    model: nn.Module,
    ids: torch.Tensor,
    positions: torch.Tensor,
    cache: CacheView,
    *,
    num_logits: int | None = None,
    fused: FusedWeights | None = None,
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
    fused_layers = fused.layers if fused is not None else [None] * len(model.layers)
    for i, (layer, fl) in enumerate(zip(model.layers, fused_layers)):
        if fl is not None:
            x = _fused_block(fl, x, angles, cache, i)
            continue
        q, entries = project(layer.attn, _norm(layer.ln1, x), positions, angles)
        x = x + attend(layer.attn, q, cache.update(i, entries), cache.mask, cache.causal)
        x = x + layer.ffn(_norm(layer.ln2, x))
    if num_logits is not None:
        x = x[:, x.shape[1] - num_logits :]
    x = _norm(model.ln_final, x)
    return model.lm_head(x) if fused is None or fused.lm_head is None else x @ fused.lm_head


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
        self._positions = (self._slots[None, :] - self.pad[:, None]).clamp_min(0)  # (batch, max_len)

    @property
    def nbytes(self) -> int:
        return sum(e.numel() * e.element_size() for e in self.entries)

    def advance(self, t: int) -> torch.Tensor:
        """Prepare a forward over the next ``t`` slots; returns their positions (batch, t) int64."""
        if self.length + t > self.max_len:
            raise ValueError(f"KV cache full: {self.length} + {t} tokens > max_len {self.max_len}")
        self._start, self.length = self.length, self.length + t
        self.causal = self._start == 0 and t > 1 and not self._padded
        if self.causal or (t == 1 and not self._padded):
            self.mask = None
        else:
            query_slots, key_slots = self._slots[self._start : self.length], self._slots[: self.length]
            causal = key_slots[None, :] <= query_slots[:, None]  # (t, T)
            real_key = key_slots[None, :] >= self.pad[:, None]  # (b, T)
            # A padding query reads itself only, so it never sees an empty row (which would give NaN).
            self_only = key_slots[None, :] == query_slots[:, None]
            self.mask = ((causal[None] & real_key[:, None]) | self_only[None])[:, None]
        return self._positions[:, self._start : self.length]

    def update(self, layer: int, entries: torch.Tensor) -> torch.Tensor:
        cache = self.entries[layer]
        cache[:, :, self._start : self.length] = entries
        return cache[:, :, : self.length]

    def truncate(self, length: int) -> None:
        """Forget every slot from ``length`` on (rejected speculative tokens)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate a cache of length {self.length} to {length}")
        self.length = length
