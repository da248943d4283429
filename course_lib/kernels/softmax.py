"""Fused row softmax, forward and backward, in Triton.

Unfused, ``softmax(x)`` in PyTorch reads and writes the matrix several times (max, subtract, exp,
sum, divide). Fused, each program loads one row into registers once, does all of it there, and
writes the result once: 2 passes over memory instead of ~5, which is what a memory-bound operation
is all about. The backward pass is fused the same way: ``dx = y * (dy - sum(y * dy))`` per row.

A row must fit in one block (at most :data:`MAX_ROW` elements); the block is the next power of two
and the lanes past the row's end are masked (loaded as ``-inf``, so they add ``exp(-inf) = 0``).
"""

from __future__ import annotations

import torch

from course_lib.kernels._triton import MAX_ROW, check_tensors, row_launch_config, tl, triton

__all__ = ["MAX_ROW", "softmax", "softmax_fwd_kernel", "softmax_bwd_kernel"]


@triton.jit
def softmax_fwd_kernel(x_ptr, y_ptr, x_row_stride, y_row_stride, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=float("-inf")).to(tl.float32)
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    y = num / tl.sum(num, axis=0)
    tl.store(y_ptr + row * y_row_stride + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def softmax_bwd_kernel(y_ptr, dy_ptr, dx_ptr, y_row_stride, dy_row_stride, dx_row_stride, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    y = tl.load(y_ptr + row * y_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    dy = tl.load(dy_ptr + row * dy_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    dx = y * (dy - tl.sum(y * dy, axis=0))
    tl.store(dx_ptr + row * dx_row_stride + cols, dx.to(dx_ptr.dtype.element_ty), mask=mask)


def _as_rows(t: torch.Tensor) -> torch.Tensor:
    """(..., n) -> (rows, n) with unit stride along the row (a copy only if that is needed)."""
    t2 = t.reshape(-1, t.shape[-1])
    return t2 if t2.stride(-1) == 1 else t2.contiguous()


class _Softmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        rows = _as_rows(x)
        y = torch.empty_like(rows)
        block, num_warps = row_launch_config("softmax", rows.shape[1])
        if rows.numel():
            softmax_fwd_kernel[(rows.shape[0],)](
                rows, y, rows.stride(0), y.stride(0), rows.shape[1], BLOCK=block, num_warps=num_warps
            )
        ctx.save_for_backward(y)
        return y.view(x.shape)

    @staticmethod
    def backward(ctx, dy: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (y,) = ctx.saved_tensors
        dy_rows = _as_rows(dy)
        dx = torch.empty_like(y)
        block, num_warps = row_launch_config("softmax", y.shape[1])
        if y.numel():
            softmax_bwd_kernel[(y.shape[0],)](
                y,
                dy_rows,
                dx,
                y.stride(0),
                dy_rows.stride(0),
                dx.stride(0),
                y.shape[1],
                BLOCK=block,
                num_warps=num_warps,
            )
        return dx.view(dy.shape)


def softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension, by fused Triton kernels (differentiable).

    x: (..., n) float -> (..., n), the same as ``torch.softmax(x, dim=-1)``; n <= :data:`MAX_ROW`.
    """
    check_tensors("softmax", "torch.softmax", [("x", x)])
    if x.ndim == 0:
        raise ValueError("softmax: x must have at least one dimension")
    return _Softmax.apply(x)
