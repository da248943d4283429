"""Assignment 2, part 1b: the FlashAttention-2 forward pass as a Triton kernel.

Same contract as :class:`flash_attention_pytorch.FlashAttention2Function` (shapes, causal mask, scale,
saving only q, k, v, O and the log-sum-exp L), with the forward pass written as one Triton kernel:
a program per (query tile, batch * head) that streams the key/value tiles through the online
softmax. The backward pass recomputes from L, reusing ``attention_backward`` from part 1a.

Without a GPU, ``import course_lib`` (first, below) sets ``TRITON_INTERPRET=1`` so the same kernel
runs on the CPU through Triton's interpreter, in float32 and slowly: keep test sizes small. Each
kernel dimension built with ``tl.arange`` must be a power of two; head_dim is required to be one
(16 to 128), and the sequence edges are handled with masks.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

import course_lib  # noqa: F401  (chooses Triton's mode, compiled or interpreter, before triton is imported)
from course_lib.env import triton_mode

from .flash_attention_pytorch import attention_backward


@triton.jit
def flash_fwd_kernel(
    Q,
    K,
    V,
    O,
    L,
    n_q,
    n_k,
    scale,
    D: tl.constexpr,
    Q_TILE: tl.constexpr,
    K_TILE: tl.constexpr,
    IS_CAUSAL: tl.constexpr,
):
    """Q, O: (batch * heads, n_q, D) and K, V: (batch * heads, n_k, D), contiguous; L: (batch * heads, n_q).

    Program (i, bh) computes rows [i * Q_TILE, (i + 1) * Q_TILE) of O and L for slab bh.
    """
    # TODO(a2_systems): offsets of this program's query rows and of the D columns; load the Q tile (masked); loop over key tiles with tl.dot, tl.where for masks, the online softmax; store O and L (masked).
    raise NotImplementedError("a2_systems: `flash_fwd_kernel` is not implemented yet (a2_systems/flash_attention_triton.py)")


class FlashAttention2TritonFunction(torch.autograd.Function):
    """``FlashAttention2TritonFunction.apply(q, k, v, is_causal)`` -> o: (batch, heads, seq_q, head_dim)."""

    @staticmethod
    def forward(ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False) -> torch.Tensor:  # type: ignore[override]
        head_dim = q.shape[-1]
        if head_dim not in (16, 32, 64, 128):
            raise ValueError(f"head_dim must be a power of two from 16 to 128, got {head_dim}")
        # Small tiles in the CPU interpreter (fast, and tests cross tile edges); GPU-sized ones when compiled.
        q_tile, k_tile = (16, 16) if triton_mode() == "interpreter" else (64, 64)
        # TODO(a2_systems): make q, k, v contiguous; allocate O like q and L as float32 (batch, heads, seq_q); launch flash_fwd_kernel on the grid (cdiv(seq_q, q_tile), batch * heads); save q, k, v, O, L and set ctx.is_causal.
        raise NotImplementedError("a2_systems: `FlashAttention2TritonFunction.forward` is not implemented yet (a2_systems/flash_attention_triton.py)")

    @staticmethod
    def backward(ctx, do: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None]:  # type: ignore[override]
        q, k, v, o, lse = ctx.saved_tensors
        dq, dk, dv = attention_backward(q, k, v, o, lse, do, ctx.is_causal)
        return dq, dk, dv, None
