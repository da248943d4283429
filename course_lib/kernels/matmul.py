"""Tiled matrix multiplication in Triton.

Each program computes one ``BLOCK_M x BLOCK_N`` tile of ``C = A @ B``: it walks along K in steps of
``BLOCK_K``, loads a tile of A and a tile of B (from HBM, through L2, into shared memory/registers),
and accumulates their product in float32 registers with ``tl.dot`` (tensor cores on a GPU). Each
element of A is then read ``N / BLOCK_N`` times instead of ``N`` times: tiling is what turns a
memory-bound triple loop into a compute-bound kernel.

Programs are numbered in *groups* of ``GROUP_M`` tile-rows (a "swizzle"): programs that run at the
same time share tiles of A and B, so those tiles are still in L2 when the next program needs them.
Edges that are not multiples of the blocks are masked (loaded as zeros, which add nothing).
"""

from __future__ import annotations

import torch

from course_lib.kernels._triton import check_tensors, interpreting, tl, triton

__all__ = ["matmul", "matmul_kernel", "INTERPRETER_CONFIG"]


@triton.jit
def matmul_kernel(
    a_ptr,
    b_ptr,
    c_ptr,
    M,
    N,
    K,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    stride_cm,
    stride_cn,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,
):
    # Program id -> (tile row, tile column), GROUP_M tile-rows at a time (L2 reuse).
    pid = tl.program_id(0)
    tiles_m = tl.cdiv(M, BLOCK_M)
    tiles_n = tl.cdiv(N, BLOCK_N)
    per_group = GROUP_M * tiles_n
    first_m = (pid // per_group) * GROUP_M
    group_rows = tl.minimum(tiles_m - first_m, GROUP_M)
    pid_m = first_m + (pid % per_group) % group_rows
    pid_n = (pid % per_group) // group_rows

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None].to(tl.int64) * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_n[None, :].to(tl.int64) * stride_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        k_left = K - k0
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < k_left), other=0.0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < k_left) & (offs_n[None, :] < N), other=0.0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c_ptrs = c_ptr + offs_m[:, None].to(tl.int64) * stride_cm + offs_n[None, :] * stride_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


def _gpu_configs() -> list:
    """A small autotuning space that covers the usual sweet spots of A100/H100 for fp16/bf16."""
    shapes = [
        (128, 256, 64, 3, 8),
        (256, 128, 64, 3, 8),
        (128, 128, 64, 4, 4),
        (128, 64, 32, 4, 4),
        (64, 128, 32, 4, 4),
        (64, 64, 32, 5, 2),
    ]
    return [
        triton.Config({"BLOCK_M": bm, "BLOCK_N": bn, "BLOCK_K": bk, "GROUP_M": 8}, num_stages=stages, num_warps=warps)
        for bm, bn, bk, stages, warps in shapes
    ]


_matmul_autotuned = triton.autotune(configs=_gpu_configs(), key=["M", "N", "K"])(matmul_kernel)

INTERPRETER_CONFIG = (16, 16, 16, 4)
"""(BLOCK_M, BLOCK_N, BLOCK_K, GROUP_M) in the CPU interpreter: small, so that small test matrices
still span several tiles and groups."""


def _matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    (M, K), N = a.shape, b.shape[1]
    c = torch.empty((M, N), dtype=a.dtype, device=a.device)
    if c.numel() == 0:
        return c
    if K == 0:
        return c.zero_()
    args = (a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1))
    if interpreting():
        block_m, block_n, block_k, group_m = INTERPRETER_CONFIG
        grid = (triton.cdiv(M, block_m) * triton.cdiv(N, block_n),)
        matmul_kernel[grid](*args, BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_K=block_k, GROUP_M=group_m)
    else:
        _matmul_autotuned[lambda meta: (triton.cdiv(M, meta["BLOCK_M"]) * triton.cdiv(N, meta["BLOCK_N"]),)](*args)
    return c


class _Matmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(a, b)
        return _matmul(a, b)

    @staticmethod
    def backward(ctx, dc: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:  # type: ignore[override]
        a, b = ctx.saved_tensors
        # Transposes are views with swapped strides: the kernel reads them in place, no copies.
        da = _matmul(dc, b.t()) if ctx.needs_input_grad[0] else None
        db = _matmul(a.t(), dc) if ctx.needs_input_grad[1] else None
        return da, db


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` by a tiled Triton kernel with float32 accumulation (differentiable).

    a: (M, K), b: (K, N) -> (M, N) in a's dtype. Any strides (transposed views included).
    """
    check_tensors("matmul", "torch.matmul", [("a", a), ("b", b)])
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: expected a (M, K) and b (K, N), got {tuple(a.shape)} and {tuple(b.shape)}")
    return _Matmul.apply(a, b)
