"""FlashAttention-2 in plain PyTorch: the same tiled algorithm as the Triton kernels, for reading.

It runs anywhere PyTorch does (macOS included) and is written to be compared line by line with
:mod:`course_lib.kernels.flash_attention`: Python loops over tiles stand in for the programs of a
grid, and each tile is a small batched matmul over (batch, heads). Only the output and the
log-sum-exp of each query row are saved; the backward pass recomputes the probabilities tile by
tile. It is not fast (the loops run in Python), but its memory is O(seq * block) instead of
O(seq**2), and it shows exactly what the kernels do. As there, the log-sum-exp is a second,
differentiable output (``return_lse=True``): its gradient ``dlse`` enters the backward pass as
``delta - dlse``.
"""

from __future__ import annotations

import torch

from course_lib.kernels._attention_inputs import check_attention_inputs, with_head_axis

__all__ = ["flash_attention_torch", "FlashAttention2Function"]


def _tile_scores(
    q_tile: torch.Tensor, k_tile: torch.Tensor, q_start: int, k_start: int, scale: float, is_causal: bool
) -> torch.Tensor:
    """Scaled scores of one (query tile, key tile) pair in float32, causal-masked with -inf.

    q_tile: (b, h, bq, d), k_tile: (b, h, bk, d) -> (b, h, bq, bk).
    """
    s = (q_tile.float() @ k_tile.float().transpose(-1, -2)) * scale
    if is_causal:
        rows = torch.arange(q_start, q_start + q_tile.shape[2], device=s.device)[:, None]
        cols = torch.arange(k_start, k_start + k_tile.shape[2], device=s.device)[None, :]
        s = s.masked_fill(cols > rows, float("-inf"))
    return s


class FlashAttention2Function(torch.autograd.Function):
    """Autograd function: ``apply(q, k, v, is_causal, scale, block_q, block_k) -> (o, lse)``.

    q: (b, h, n_q, d), k and v: (b, h, n_k, d) -> o (b, h, n_q, d) in q's dtype and lse (b, h, n_q)
    float32, both differentiable. Inputs are not validated: :func:`flash_attention_torch` does that.
    """

    @staticmethod
    def forward(ctx, q, k, v, is_causal: bool, scale: float, block_q: int, block_k: int):  # type: ignore[override]
        batch, heads, n_q, head_dim = q.shape
        n_k = k.shape[2]
        o = torch.empty_like(q)
        lse = torch.empty(batch, heads, n_q, dtype=torch.float32, device=q.device)
        for i in range(0, n_q, block_q):  # one "program" per query tile
            q_tile = q[:, :, i : i + block_q]
            rows = q_tile.shape[2]
            m = torch.full((batch, heads, rows), float("-inf"), device=q.device)  # running row max
            l = torch.zeros(batch, heads, rows, device=q.device)  # running denominator
            acc = torch.zeros(batch, heads, rows, head_dim, device=q.device)  # unnormalised output
            end = min(n_k, i + rows) if is_causal else n_k  # tiles right of the diagonal: skipped
            for j in range(0, end, block_k):
                s = _tile_scores(q_tile, k[:, :, j : j + block_k], i, j, scale, is_causal)
                m_new = torch.maximum(m, s.amax(-1))
                p = torch.exp(s - m_new[..., None])
                alpha = torch.exp(m - m_new)  # rescales what was accumulated under the old max
                l = l * alpha + p.sum(-1)
                acc = acc * alpha[..., None] + p @ v[:, :, j : j + block_k].float()
                m = m_new
            o[:, :, i : i + block_q] = (acc / l[..., None]).to(q.dtype)
            lse[:, :, i : i + block_q] = m + torch.log(l)
        ctx.save_for_backward(q, k, v, o, lse)
        ctx.config = (is_causal, scale, block_q, block_k)
        return o, lse

    @staticmethod
    def backward(ctx, do, dlse):  # type: ignore[override]
        q, k, v, o, lse = ctx.saved_tensors
        is_causal, scale, block_q, block_k = ctx.config
        n_q, n_k = q.shape[2], k.shape[2]
        # rowsum(dO * O) = rowsum(P * dP); d lse / d s = p adds p * dlse to dS, i.e. subtracts dlse here
        delta = (do.float() * o.float()).sum(-1) - dlse.float()
        dq = torch.zeros(q.shape, dtype=torch.float32, device=q.device)
        dk = torch.zeros(k.shape, dtype=torch.float32, device=q.device)
        dv = torch.zeros(v.shape, dtype=torch.float32, device=q.device)
        for j in range(0, n_k, block_k):  # one "program" per key tile
            k_tile, v_tile = k[:, :, j : j + block_k].float(), v[:, :, j : j + block_k].float()
            start = (j // block_q) * block_q if is_causal else 0  # earlier query tiles never see it
            for i in range(start, n_q, block_q):
                q_tile, do_tile = q[:, :, i : i + block_q].float(), do[:, :, i : i + block_q].float()
                s = _tile_scores(q_tile, k_tile, i, j, scale, is_causal)
                p = torch.exp(s - lse[:, :, i : i + block_q, None])  # recomputed, never stored
                dv[:, :, j : j + block_k] += p.transpose(-1, -2) @ do_tile
                dp = do_tile @ v_tile.transpose(-1, -2)
                ds = p * (dp - delta[:, :, i : i + block_q, None])
                dq[:, :, i : i + block_q] += (ds @ k_tile) * scale
                dk[:, :, j : j + block_k] += (ds.transpose(-1, -2) @ q_tile) * scale
        return dq.to(q.dtype), dk.to(k.dtype), dv.to(v.dtype), None, None, None, None


def flash_attention_torch(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    block_q: int = 64,
    block_k: int = 64,
    return_lse: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention by tiled FlashAttention-2 in plain PyTorch (differentiable).

    q: (batch, heads, n_q, head_dim), k and v: (batch, heads, n_k, head_dim) -> (batch, heads, n_q,
    head_dim), the same as ``torch.nn.functional.scaled_dot_product_attention`` (causal masks aligned
    top-left); or q, k, v all (batch*heads, seq, head_dim) -> (batch*heads, n_q, head_dim). Any
    float dtype and device; tiles are computed in float32. ``block_q`` and ``block_k`` are the tile
    sizes (any positive integers; sequences need not be multiples). With ``return_lse=True`` the
    result is ``(out, lse)``, lse (batch, heads, n_q) or (batch*heads, n_q) in float32, the
    differentiable log-sum-exp of each query's scaled scores.
    """
    scale = check_attention_inputs("flash_attention_torch", q, k, v, scale)
    if block_q < 1 or block_k < 1:
        raise ValueError(f"flash_attention_torch: block sizes must be positive, got {block_q} and {block_k}")
    if k.shape[-2] == 0:
        raise ValueError("flash_attention_torch: k and v need at least one position (seq of k is 0)")
    q4, k4, v4 = (with_head_axis(t) for t in (q, k, v))
    out, lse = FlashAttention2Function.apply(q4, k4, v4, bool(is_causal), scale, block_q, block_k)
    if q.ndim == 3:
        out, lse = out.squeeze(0), lse.squeeze(0)
    return (out, lse) if return_lse else out
