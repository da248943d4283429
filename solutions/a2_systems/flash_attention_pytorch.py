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
    # BEGIN SOLUTION: recompute S and P = exp(S - L[..., None]) (mask causal entries), then the five formulas above.
    scale = 1.0 / math.sqrt(q.shape[-1])
    qf, kf, vf, dof = q.float(), k.float(), v.float(), do.float()
    s = (qf @ kf.transpose(-1, -2)) * scale
    if is_causal:
        n_q, n_k = q.shape[2], k.shape[2]
        future = torch.ones(n_q, n_k, dtype=torch.bool, device=q.device).triu(diagonal=1)
        s = s.masked_fill(future, float("-inf"))
    p = torch.exp(s - lse[..., None])
    delta = (dof * o.float()).sum(-1, keepdim=True)
    dv = p.transpose(-1, -2) @ dof
    ds = p * (dof @ vf.transpose(-1, -2) - delta)
    dq = (ds @ kf) * scale
    dk = (ds.transpose(-1, -2) @ qf) * scale
    return dq.to(q.dtype), dk.to(k.dtype), dv.to(v.dtype)
    # END SOLUTION


class FlashAttention2Function(torch.autograd.Function):
    """``FlashAttention2Function.apply(q, k, v, is_causal)`` -> o: (batch, heads, seq_q, head_dim)."""

    Q_TILE = 16  # queries per tile
    K_TILE = 16  # keys per tile

    @staticmethod
    def forward(ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False) -> torch.Tensor:  # type: ignore[override]
        # BEGIN SOLUTION: for each query tile keep m, l and an accumulator; for each key tile update them with the online softmax; then O = acc / l and L = m + log(l). Finish with ctx.save_for_backward(q, k, v, o, lse) and ctx.is_causal = is_causal.
        batch, heads, n_q, head_dim = q.shape
        n_k = k.shape[2]
        scale = 1.0 / math.sqrt(head_dim)
        bq, bk = FlashAttention2Function.Q_TILE, FlashAttention2Function.K_TILE
        o = torch.empty_like(q)
        lse = torch.empty(batch, heads, n_q, dtype=torch.float32, device=q.device)
        for i in range(0, n_q, bq):
            qi = q[:, :, i : i + bq].float()
            rows = torch.arange(i, i + qi.shape[2], device=q.device)[:, None]
            m = torch.full(qi.shape[:3], float("-inf"), device=q.device)
            l = torch.zeros(qi.shape[:3], device=q.device)
            acc = torch.zeros(qi.shape, device=q.device)
            for j in range(0, n_k, bk):
                if is_causal and j > i + qi.shape[2] - 1:
                    break  # every key of this tile and the next is in the future of every query
                s = (qi @ k[:, :, j : j + bk].float().transpose(-1, -2)) * scale
                if is_causal:
                    cols = torch.arange(j, j + s.shape[-1], device=q.device)[None, :]
                    s = s.masked_fill(cols > rows, float("-inf"))
                m_new = torch.maximum(m, s.amax(-1))
                p = torch.exp(s - m_new[..., None])
                alpha = torch.exp(m - m_new)
                l = alpha * l + p.sum(-1)
                acc = alpha[..., None] * acc + p @ v[:, :, j : j + bk].float()
                m = m_new
            o[:, :, i : i + bq] = (acc / l[..., None]).to(q.dtype)
            lse[:, :, i : i + bq] = m + torch.log(l)
        ctx.save_for_backward(q, k, v, o, lse)
        ctx.is_causal = is_causal
        return o
        # END SOLUTION

    @staticmethod
    def backward(ctx, do: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None]:  # type: ignore[override]
        q, k, v, o, lse = ctx.saved_tensors
        dq, dk, dv = attention_backward(q, k, v, o, lse, do, ctx.is_causal)
        return dq, dk, dv, None
