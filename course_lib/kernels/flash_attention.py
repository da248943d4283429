"""FlashAttention-2 in Triton: a tiled forward kernel with online softmax, and a backward pass that
recomputes the attention probabilities from the saved log-sum-exp.

Forward (one program per block of ``BLOCK_M`` queries of one (batch, head)): load the query tile
once, then stream over key/value tiles of ``BLOCK_N`` keys, keeping a running row maximum ``m``,
running denominator ``l`` and unnormalised output ``acc`` in registers::

    s = q @ k.T * scale                    (BLOCK_M, BLOCK_N), never written to memory
    m_new = max(m, rowmax(s));  p = exp(s - m_new)
    l = l * exp(m - m_new) + rowsum(p);  acc = acc * exp(m - m_new) + p @ v

and at the end ``o = acc / l`` and ``lse = m + log(l)``. The (seq x seq) matrix never exists; only
``o`` and ``lse`` (one float per query) are saved for the backward pass. Exponentials use ``exp2``
with ``log2(e)`` folded into the scale, which is what the hardware computes natively.

The log-sum-exp is an output of the autograd function too (``flash_attention(..., return_lse=True)``),
and it is differentiable: since ``d lse_i / d s_ij = p_ij``, a gradient ``dlse`` only shifts
``delta`` below by ``-dlse``, so the same backward kernels serve both outputs.

Causal attention skips key tiles above the diagonal entirely, and only the tiles that cross the
diagonal (or the end of the keys) pay for masking: the main loop runs unmasked.

Backward (FlashAttention-2's split, no atomics): ``delta = rowsum(dO * O) - dlse``; one kernel per key tile
accumulates ``dK, dV`` over the query tiles that see it; another per query tile accumulates ``dQ``.
Both recompute ``p = exp(s - lse)`` tile by tile instead of storing it.
"""

from __future__ import annotations

import torch

from course_lib.kernels._attention_inputs import check_attention_inputs, with_head_axis
from course_lib.kernels._triton import KERNEL_LN2, KERNEL_LOG2E, LOG2E, check_tensors, interpreting, tl, triton

__all__ = [
    "flash_attention",
    "FlashAttention2TritonFunction",
    "MAX_HEAD_DIM",
    "INTERPRETER_TILES",
    "flash_fwd_kernel",
    "flash_bwd_dkdv_kernel",
    "flash_bwd_dq_kernel",
]

MAX_HEAD_DIM = 256
"""The largest head dimension the kernels take (a query tile must fit in registers)."""

_ALTERNATIVE = "course_lib.kernels.flash_attention_torch"
INTERPRETER_TILES = (16, 16)
"""(large, small) tile sizes in the CPU interpreter. The forward pass uses BLOCK_M = large queries and
BLOCK_N = small keys (large must be a multiple of small); the backward kernels use large keys x small
queries (dK, dV) and large queries x small keys (dQ). Small, so that test sequences of a few dozen
positions span several tiles; tests also run the GPU's shapes through the interpreter."""


@triton.jit
def _load_tile(ptrs, rows, n_rows, cols, n_cols, MASK_ROWS: tl.constexpr, MASK_COLS: tl.constexpr):
    """Load a 2-D tile, masking rows >= n_rows and/or cols >= n_cols (as zeros) only when asked."""
    if MASK_ROWS:
        if MASK_COLS:
            tile = tl.load(ptrs, mask=(rows[:, None] < n_rows) & (cols[None, :] < n_cols), other=0.0)
        else:
            tile = tl.load(ptrs, mask=rows[:, None] < n_rows, other=0.0)
    else:
        if MASK_COLS:
            tile = tl.load(ptrs, mask=cols[None, :] < n_cols, other=0.0)
        else:
            tile = tl.load(ptrs)
    return tile


@triton.jit
def _store_tile(ptrs, tile, rows, n_rows, cols, n_cols, MASK_COLS: tl.constexpr):
    if MASK_COLS:
        tl.store(ptrs, tile, mask=(rows[:, None] < n_rows) & (cols[None, :] < n_cols))
    else:
        tl.store(ptrs, tile, mask=rows[:, None] < n_rows)


@triton.jit
def _fwd_inner(
    acc,
    l_i,
    m_i,
    q,
    k_base,
    v_base,
    start,
    end,
    offs_m,
    offs_d,
    n_k,
    qk_scale,
    HEAD_DIM: tl.constexpr,
    BLOCK_N: tl.constexpr,
    PAD_D: tl.constexpr,
    MASKED: tl.constexpr,
    IS_CAUSAL: tl.constexpr,
):
    """Stream key/value tiles [start, end) through the online softmax; mask only if MASKED."""
    offs_n = tl.arange(0, BLOCK_N)
    for start_n in range(start, end, BLOCK_N):
        cols = start_n + offs_n
        k = _load_tile(k_base + cols[:, None] * HEAD_DIM + offs_d[None, :], cols, n_k, offs_d, HEAD_DIM, MASKED, PAD_D)
        v = _load_tile(v_base + cols[:, None] * HEAD_DIM + offs_d[None, :], cols, n_k, offs_d, HEAD_DIM, MASKED, PAD_D)
        s = tl.dot(q, tl.trans(k)) * qk_scale  # scores in log2 units
        if MASKED:
            valid = cols[None, :] < n_k
            if IS_CAUSAL:
                valid = valid & (cols[None, :] <= offs_m[:, None])
            s = tl.where(valid, s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        alpha = tl.exp2(m_i - m_new)
        p = tl.exp2(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
        m_i = m_new
    return acc, l_i, m_i


@triton.jit
def flash_fwd_kernel(
    Q,
    K,
    V,
    O,
    LSE,
    n_q,
    n_k,
    qk_scale,
    HEAD_DIM: tl.constexpr,
    BLOCK_D: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    IS_CAUSAL: tl.constexpr,
    PAD_D: tl.constexpr,
):
    pid_m = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
    q_base = Q + bh * n_q * HEAD_DIM
    k_base = K + bh * n_k * HEAD_DIM
    v_base = V + bh * n_k * HEAD_DIM
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    q = _load_tile(q_base + offs_m[:, None] * HEAD_DIM + offs_d[None, :], offs_m, n_q, offs_d, HEAD_DIM, True, PAD_D)

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
    full_tiles_end = (n_k // BLOCK_N) * BLOCK_N  # keys [0, full_tiles_end) fill whole tiles
    if IS_CAUSAL:
        # Tiles left of this query block's diagonal are fully visible: no mask. Tiles crossing the
        # diagonal are masked; tiles right of it are never loaded.
        unmasked_end = tl.minimum(pid_m * BLOCK_M, full_tiles_end)
        end = tl.minimum((pid_m + 1) * BLOCK_M, n_k)
    else:
        unmasked_end = full_tiles_end
        end = n_k
    acc, l_i, m_i = _fwd_inner(
        acc,
        l_i,
        m_i,
        q,
        k_base,
        v_base,
        0,
        unmasked_end,
        offs_m,
        offs_d,
        n_k,
        qk_scale,
        HEAD_DIM,
        BLOCK_N,
        PAD_D,
        False,
        IS_CAUSAL,
    )
    acc, l_i, m_i = _fwd_inner(
        acc,
        l_i,
        m_i,
        q,
        k_base,
        v_base,
        unmasked_end,
        end,
        offs_m,
        offs_d,
        n_k,
        qk_scale,
        HEAD_DIM,
        BLOCK_N,
        PAD_D,
        True,
        IS_CAUSAL,
    )

    o = acc / l_i[:, None]
    lse = (m_i + tl.log2(l_i)) * KERNEL_LN2  # back to natural-log units
    tl.store(LSE + bh * n_q + offs_m, lse, mask=offs_m < n_q)
    o_ptrs = O + bh * n_q * HEAD_DIM + offs_m[:, None] * HEAD_DIM + offs_d[None, :]
    _store_tile(o_ptrs, o.to(O.dtype.element_ty), offs_m, n_q, offs_d, HEAD_DIM, PAD_D)


def _fwd_gpu_configs() -> list:
    """Autotuning space for the forward kernel (BLOCK_M must be a multiple of BLOCK_N)."""
    shapes = [
        (128, 64, 4, 3),
        (128, 64, 8, 3),
        (128, 128, 8, 3),
        (128, 32, 4, 4),
        (64, 64, 4, 3),
        (64, 32, 4, 4),
        (32, 32, 4, 2),
    ]
    return [triton.Config({"BLOCK_M": bm, "BLOCK_N": bn}, num_warps=w, num_stages=s) for bm, bn, w, s in shapes]


_fwd_autotuned = triton.autotune(configs=_fwd_gpu_configs(), key=["n_q", "n_k", "HEAD_DIM", "IS_CAUSAL"])(
    flash_fwd_kernel
)


@triton.jit
def flash_bwd_dkdv_kernel(
    Q,
    K,
    V,
    DO,
    LSE,
    DELTA,
    DK,
    DV,
    n_q,
    n_k,
    qk_scale,
    sm_scale,
    HEAD_DIM: tl.constexpr,
    BLOCK_D: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    IS_CAUSAL: tl.constexpr,
    PAD_D: tl.constexpr,
):
    """One program per tile of BLOCK_N keys: dV = sum P^T dO, dK = scale * sum dS^T Q over query tiles."""
    pid_n = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    kv_offsets = bh * n_k * HEAD_DIM + offs_n[:, None] * HEAD_DIM + offs_d[None, :]
    k = _load_tile(K + kv_offsets, offs_n, n_k, offs_d, HEAD_DIM, True, PAD_D)
    v = _load_tile(V + kv_offsets, offs_n, n_k, offs_d, HEAD_DIM, True, PAD_D)
    dk = tl.zeros([BLOCK_N, BLOCK_D], dtype=tl.float32)
    dv = tl.zeros([BLOCK_N, BLOCK_D], dtype=tl.float32)
    q_base = Q + bh * n_q * HEAD_DIM
    do_base = DO + bh * n_q * HEAD_DIM
    offs_m0 = tl.arange(0, BLOCK_M)
    if IS_CAUSAL:  # queries before this key tile never see it
        start = (pid_n * BLOCK_N // BLOCK_M) * BLOCK_M
    else:
        start = 0
    for start_m in range(start, n_q, BLOCK_M):
        rows = start_m + offs_m0
        q = _load_tile(q_base + rows[:, None] * HEAD_DIM + offs_d[None, :], rows, n_q, offs_d, HEAD_DIM, True, PAD_D)
        do = _load_tile(do_base + rows[:, None] * HEAD_DIM + offs_d[None, :], rows, n_q, offs_d, HEAD_DIM, True, PAD_D)
        lse = tl.load(LSE + bh * n_q + rows, mask=rows < n_q, other=0.0) * KERNEL_LOG2E  # log2 units
        delta = tl.load(DELTA + bh * n_q + rows, mask=rows < n_q, other=0.0)
        s_t = tl.dot(k, tl.trans(q)) * qk_scale  # (BLOCK_N, BLOCK_M): scores transposed
        valid = (rows[None, :] < n_q) & (offs_n[:, None] < n_k)
        if IS_CAUSAL:
            valid = valid & (rows[None, :] >= offs_n[:, None])
        p_t = tl.exp2(tl.where(valid, s_t, float("-inf")) - lse[None, :])
        dv += tl.dot(p_t.to(do.dtype), do)
        dp_t = tl.dot(v, tl.trans(do))
        ds_t = p_t * (dp_t - delta[None, :])
        dk += tl.dot(ds_t.to(q.dtype), q)
    _store_tile(DK + kv_offsets, (dk * sm_scale).to(DK.dtype.element_ty), offs_n, n_k, offs_d, HEAD_DIM, PAD_D)
    _store_tile(DV + kv_offsets, dv.to(DV.dtype.element_ty), offs_n, n_k, offs_d, HEAD_DIM, PAD_D)


@triton.jit
def flash_bwd_dq_kernel(
    Q,
    K,
    V,
    DO,
    LSE,
    DELTA,
    DQ,
    n_q,
    n_k,
    qk_scale,
    sm_scale,
    HEAD_DIM: tl.constexpr,
    BLOCK_D: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    IS_CAUSAL: tl.constexpr,
    PAD_D: tl.constexpr,
):
    """One program per tile of BLOCK_M queries: dQ = scale * sum dS K over the key tiles it sees."""
    pid_m = tl.program_id(0)
    bh = tl.program_id(1).to(tl.int64)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    q_offsets = bh * n_q * HEAD_DIM + offs_m[:, None] * HEAD_DIM + offs_d[None, :]
    q = _load_tile(Q + q_offsets, offs_m, n_q, offs_d, HEAD_DIM, True, PAD_D)
    do = _load_tile(DO + q_offsets, offs_m, n_q, offs_d, HEAD_DIM, True, PAD_D)
    lse = tl.load(LSE + bh * n_q + offs_m, mask=offs_m < n_q, other=0.0) * KERNEL_LOG2E
    delta = tl.load(DELTA + bh * n_q + offs_m, mask=offs_m < n_q, other=0.0)
    dq = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
    k_base = K + bh * n_k * HEAD_DIM
    v_base = V + bh * n_k * HEAD_DIM
    offs_n0 = tl.arange(0, BLOCK_N)
    if IS_CAUSAL:  # keys after this query tile are masked anyway
        end = tl.minimum((pid_m + 1) * BLOCK_M, n_k)
    else:
        end = n_k
    for start_n in range(0, end, BLOCK_N):
        cols = start_n + offs_n0
        k = _load_tile(k_base + cols[:, None] * HEAD_DIM + offs_d[None, :], cols, n_k, offs_d, HEAD_DIM, True, PAD_D)
        v = _load_tile(v_base + cols[:, None] * HEAD_DIM + offs_d[None, :], cols, n_k, offs_d, HEAD_DIM, True, PAD_D)
        s = tl.dot(q, tl.trans(k)) * qk_scale
        valid = (offs_m[:, None] < n_q) & (cols[None, :] < n_k)
        if IS_CAUSAL:
            valid = valid & (cols[None, :] <= offs_m[:, None])
        p = tl.exp2(tl.where(valid, s, float("-inf")) - lse[:, None])
        dp = tl.dot(do, tl.trans(v))
        ds = p * (dp - delta[:, None])
        dq += tl.dot(ds.to(k.dtype), k)
    _store_tile(DQ + q_offsets, (dq * sm_scale).to(DQ.dtype.element_ty), offs_m, n_q, offs_d, HEAD_DIM, PAD_D)


def _head_block(head_dim: int) -> int:
    """Tile width along head_dim: a power of two, at least 16 (the smallest tensor-core tile)."""
    return max(16, triton.next_power_of_2(head_dim))


def _bwd_config(dtype: torch.dtype, head_dim: int) -> tuple[int, int, int, int]:
    """(big block, small block, num_warps, num_stages) for the backward kernels on this device.

    The dK/dV kernel holds ``big`` keys and steps ``small`` queries; the dQ kernel the reverse.
    Smaller tiles for float32 and wide heads keep the shared memory of a stage within an SM's.
    """
    if interpreting():
        return INTERPRETER_TILES[0], INTERPRETER_TILES[1], 1, 1
    if head_dim > 128:
        return 32, 16, 4, 1
    if dtype == torch.float32 or head_dim > 64:
        return 64, 32, 4, 2
    return 128, 32, 8, 3


class FlashAttention2TritonFunction(torch.autograd.Function):
    """FlashAttention-2 by the Triton kernels, as an autograd function with two differentiable outputs.

    ``FlashAttention2TritonFunction.apply(q, k, v, is_causal, scale) -> (o, lse)`` with q
    (batch, heads, n_q, head_dim), k and v (batch, heads, n_k, head_dim) on the device of the current
    Triton mode, ``scale`` a float; o (batch, heads, n_q, head_dim) in q's dtype and lse (batch,
    heads, n_q) float32, ``lse[b, h, i] = logsumexp_j(scale * q_i . k_j)`` over the visible keys.
    It does not validate its inputs: :func:`flash_attention` does, then calls it. It saves
    (q, k, v, o, lse) for the backward pass and no attention matrix.
    """

    @staticmethod
    def forward(
        ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool, scale: float
    ) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        batch, heads, n_q, head_dim = q.shape
        n_k = k.shape[2]
        o = torch.empty_like(q)
        lse = torch.empty((batch, heads, n_q), dtype=torch.float32, device=q.device)
        consts = dict(
            HEAD_DIM=head_dim,
            BLOCK_D=_head_block(head_dim),
            IS_CAUSAL=is_causal,
            PAD_D=_head_block(head_dim) != head_dim,
        )
        args = (q, k, v, o, lse, n_q, n_k, scale * LOG2E)
        if interpreting():
            block_m, block_n = INTERPRETER_TILES
            flash_fwd_kernel[(triton.cdiv(n_q, block_m), batch * heads)](
                *args, BLOCK_M=block_m, BLOCK_N=block_n, **consts
            )
        else:
            _fwd_autotuned[lambda meta: (triton.cdiv(n_q, meta["BLOCK_M"]), batch * heads)](*args, **consts)
        ctx.save_for_backward(q, k, v, o, lse)
        ctx.is_causal, ctx.scale = is_causal, scale
        return o, lse

    @staticmethod
    def backward(
        ctx, do: torch.Tensor, dlse: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None, None]:  # type: ignore[override]
        q, k, v, o, lse = ctx.saved_tensors
        do = do.contiguous()
        batch, heads, n_q, head_dim = q.shape
        n_k = k.shape[2]
        # (batch, heads, n_q): rowsum(dO * O), less dlse (d lse / d s = p adds p * dlse to dS)
        delta = ((do.float() * o.float()).sum(-1) - dlse.float()).contiguous()
        dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        big, small, num_warps, num_stages = _bwd_config(q.dtype, head_dim)
        consts = dict(
            HEAD_DIM=head_dim,
            BLOCK_D=_head_block(head_dim),
            IS_CAUSAL=ctx.is_causal,
            PAD_D=_head_block(head_dim) != head_dim,
            num_warps=num_warps,
            num_stages=num_stages,
        )
        scales = (ctx.scale * LOG2E, ctx.scale)
        flash_bwd_dkdv_kernel[(triton.cdiv(n_k, big), batch * heads)](
            q, k, v, do, lse, delta, dk, dv, n_q, n_k, *scales, BLOCK_M=small, BLOCK_N=big, **consts
        )
        flash_bwd_dq_kernel[(triton.cdiv(n_q, big), batch * heads)](
            q, k, v, do, lse, delta, dq, n_q, n_k, *scales, BLOCK_M=big, BLOCK_N=small, **consts
        )
        return dq, dk, dv, None, None


def flash_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    return_lse: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention by FlashAttention-2 Triton kernels (differentiable).

    q: (batch, heads, n_q, head_dim), k and v: (batch, heads, n_k, head_dim) -> (batch, heads, n_q,
    head_dim); the same as ``torch.nn.functional.scaled_dot_product_attention(q, k, v,
    is_causal=is_causal, scale=scale)`` (causal masks are aligned top-left, like SDPA's). q, k, v may
    also all be (batch*heads, seq, head_dim), the layout of the flash-attn package's and CS336's
    interfaces; the output then is (batch*heads, n_q, head_dim). ``scale`` defaults to
    ``1/sqrt(head_dim)``. With ``return_lse=True`` the result is ``(out, lse)``, lse (batch, heads,
    n_q) or (batch*heads, n_q) in float32, the log-sum-exp of each query's scaled scores, itself
    differentiable (a loss may use it, as in ring attention or a z-loss). float32 in the CPU
    interpreter; float16, bfloat16 or float32 on a CUDA GPU. Non-contiguous inputs are copied. Without
    Triton, use :func:`course_lib.kernels.flash_attention_torch.flash_attention_torch`.
    """
    scale = check_attention_inputs("flash_attention", q, k, v, scale)
    check_tensors("flash_attention", _ALTERNATIVE, [("q", q), ("k", k), ("v", v)])
    if q.shape[-1] > MAX_HEAD_DIM:
        raise ValueError(
            f"flash_attention: head_dim {q.shape[-1]} is larger than the {MAX_HEAD_DIM} these kernels take"
        )
    if k.shape[-2] == 0:
        raise ValueError("flash_attention: k and v need at least one position (seq of k is 0)")
    if q.shape[:-2].numel() > 65535:
        raise ValueError(
            f"flash_attention: batch * heads = {q.shape[:-2].numel()} exceeds the 65535 programs of a grid axis"
        )
    q4, k4, v4 = (with_head_axis(t) for t in (q, k, v))
    if q.shape[-2] == 0:
        out, lse = torch.empty_like(q4), torch.empty(q4.shape[:-1], dtype=torch.float32, device=q.device)
    else:
        out, lse = FlashAttention2TritonFunction.apply(q4, k4, v4, bool(is_causal), scale)
    if q.ndim == 3:
        out, lse = out.squeeze(0), lse.squeeze(0)
    return (out, lse) if return_lse else out
