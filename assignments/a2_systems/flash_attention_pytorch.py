"""Assignment 2, part 1a: FlashAttention-2 as a ``torch.autograd.Function`` in plain PyTorch.

Shapes follow the course: q, k, v are (batch, heads, seq, head_dim); q may have a different sequence
length from k and v. ``is_causal`` masks key j for query i when j > i (aligned top-left, as in
``torch.nn.functional.scaled_dot_product_attention``). The softmax scale is ``1 / sqrt(head_dim)``.

The forward pass must be *tiled*: loop over tiles of ``Q_TILE`` queries and, inside, over tiles of
``K_TILE`` keys, with the online softmax (running max ``m``, running sum ``l``, rescaled
accumulator). Never build the full (seq_q, seq_k) score matrix in the forward pass, and save for
the backward pass only q, k, v, the output O and the log-sum-exp L of each query row
(shape (batch, heads, seq_q), float32). Sequence lengths need not be multiples of the tiles.

The backward pass recomputes the probabilities from L: ``P = exp(S - L)``. It may build S one
(batch, heads) slab at a time; it is shared with part 1b (:mod:`flash_attention_triton`).
"""

from __future__ import annotations

import math

import torch


def attention_backward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    o: torch.Tensor,
    lse: torch.Tensor,
    do: torch.Tensor,
    is_causal: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of attention from the saved output and log-sum-exp, by recomputation.

    q: (b, h, n_q, d), k and v: (b, h, n_k, d), o and do: (b, h, n_q, d), lse: (b, h, n_q)
    -> (dq, dk, dv) shaped like q, k, v. With S = q k^T / sqrt(d) (causal entries -inf),
    P = exp(S - L), D = rowsum(dO * O):  dV = P^T dO,  dP = dO V^T,  dS = P * (dP - D),
    dQ = dS K / sqrt(d),  dK = dS^T Q / sqrt(d).
    """
    # TODO(a2_systems): recompute S and P = exp(S - L[..., None]) (mask causal entries), then the five formulas above.
    raise NotImplementedError("a2_systems: `attention_backward` is not implemented yet (a2_systems/flash_attention_pytorch.py)")


class FlashAttention2Function(torch.autograd.Function):
    """``FlashAttention2Function.apply(q, k, v, is_causal)`` -> o: (batch, heads, seq_q, head_dim)."""

    Q_TILE = 16  # queries per tile
    K_TILE = 16  # keys per tile

    @staticmethod
    def forward(ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False) -> torch.Tensor:  # type: ignore[override]
        # TODO(a2_systems): for each query tile keep m, l and an accumulator; for each key tile update them with the online softmax; then O = acc / l and L = m + log(l). Finish with ctx.save_for_backward(q, k, v, o, lse) and ctx.is_causal = is_causal.
        raise NotImplementedError("a2_systems: `FlashAttention2Function.forward` is not implemented yet (a2_systems/flash_attention_pytorch.py)")

    @staticmethod
    def backward(ctx, do: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None]:  # type: ignore[override]
        q, k, v, o, lse = ctx.saved_tensors
        dq, dk, dv = attention_backward(q, k, v, o, lse, do, ctx.is_causal)
        return dq, dk, dv, None
