"""RMSNorm, forward and backward, in Triton.

``y = x / sqrt(mean(x**2) + eps) * w`` row by row. Forward: one program per row loads it once,
computes the reciprocal RMS ``rstd``, writes ``y`` and keeps ``rstd`` (one float per row) for the
backward pass. With ``xhat = x * rstd`` and ``g = dy * w``, the backward pass is

    dx = rstd * (g - xhat * mean(g * xhat))        (per row)
    dw = sum over rows of dy * xhat                (a reduction across rows)

The row-wise part is fused like the forward. The reduction across rows for ``dw`` would need every
program to add into the same vector; instead each program walks a strided set of rows, keeps its
own partial ``dw`` in registers, writes it once, and PyTorch sums the few partials.
"""

from __future__ import annotations

import torch

from course_lib.kernels._triton import check_tensors, interpreting, row_launch_config, tl, triton

__all__ = ["rms_norm", "rmsnorm_fwd_kernel", "rmsnorm_bwd_kernel"]


@triton.jit
def rmsnorm_fwd_kernel(x_ptr, w_ptr, y_ptr, rstd_ptr, x_row_stride, y_row_stride, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    rstd = 1.0 / tl.sqrt(tl.sum(x * x, axis=0) / n_cols + eps)
    tl.store(rstd_ptr + row, rstd)
    tl.store(y_ptr + row * y_row_stride + cols, (x * rstd * w).to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def rmsnorm_bwd_kernel(
    x_ptr,
    w_ptr,
    dy_ptr,
    rstd_ptr,
    dx_ptr,
    dw_partial_ptr,
    x_row_stride,
    dy_row_stride,
    dx_row_stride,
    n_rows,
    n_cols,
    BLOCK: tl.constexpr,
):
    pid = tl.program_id(0)
    n_programs = tl.num_programs(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    dw = tl.zeros([BLOCK], dtype=tl.float32)
    row = pid.to(tl.int64)  # 64-bit, so that row * stride cannot overflow on huge tensors
    for _ in range(pid, n_rows, n_programs):
        x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
        dy = tl.load(dy_ptr + row * dy_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
        rstd = tl.load(rstd_ptr + row)
        xhat = x * rstd
        g = dy * w
        dx = rstd * (g - xhat * (tl.sum(g * xhat, axis=0) / n_cols))
        tl.store(dx_ptr + row * dx_row_stride + cols, dx.to(dx_ptr.dtype.element_ty), mask=mask)
        dw += dy * xhat
        row += n_programs
    tl.store(dw_partial_ptr + pid * n_cols + cols, dw, mask=mask)


def _n_backward_programs(n_rows: int, device: torch.device) -> int:
    """Programs of the backward kernel: a few per SM on the GPU, a handful in the interpreter."""
    if device.type == "cuda" and not interpreting():
        return max(1, min(n_rows, 4 * torch.cuda.get_device_properties(device).multi_processor_count))
    return max(1, min(n_rows, 4))


class _RMSNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:  # type: ignore[override]
        rows = x.reshape(-1, x.shape[-1])
        rows = rows if rows.stride(-1) == 1 else rows.contiguous()
        weight = weight.contiguous()
        y = torch.empty_like(rows)
        rstd = torch.empty(rows.shape[0], dtype=torch.float32, device=x.device)
        block, num_warps = row_launch_config("rms_norm", rows.shape[1])
        if rows.numel():
            rmsnorm_fwd_kernel[(rows.shape[0],)](
                rows, weight, y, rstd, rows.stride(0), y.stride(0), rows.shape[1], eps, BLOCK=block, num_warps=num_warps
            )
        ctx.save_for_backward(rows, weight, rstd)
        return y.view(x.shape)

    @staticmethod
    def backward(ctx, dy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, None]:  # type: ignore[override]
        rows, weight, rstd = ctx.saved_tensors
        n_rows, n_cols = rows.shape
        dy_rows = dy.reshape(-1, n_cols)
        dy_rows = dy_rows if dy_rows.stride(-1) == 1 else dy_rows.contiguous()
        dx = torch.empty_like(rows)
        programs = _n_backward_programs(n_rows, rows.device)
        dw_partial = torch.zeros(programs, n_cols, dtype=torch.float32, device=rows.device)
        block, num_warps = row_launch_config("rms_norm", n_cols)
        if rows.numel():
            rmsnorm_bwd_kernel[(programs,)](
                rows,
                weight,
                dy_rows,
                rstd,
                dx,
                dw_partial,
                rows.stride(0),
                dy_rows.stride(0),
                dx.stride(0),
                n_rows,
                n_cols,
                BLOCK=block,
                num_warps=num_warps,
            )
        return dx.view(dy.shape), dw_partial.sum(0).to(weight.dtype), None


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """RMSNorm over the last dimension by fused Triton kernels (differentiable in x and weight).

    x: (..., d), weight: (d,) -> (..., d); the same as ``torch.nn.functional.rms_norm(x, (d,), weight, eps)``.
    """
    check_tensors("rms_norm", "torch.nn.functional.rms_norm", [("x", x), ("weight", weight)])
    if x.ndim == 0 or weight.shape != (x.shape[-1],):
        raise ValueError(
            f"rms_norm: expected x (..., d) and weight (d,), got {tuple(x.shape)} and {tuple(weight.shape)}"
        )
    if eps <= 0:
        raise ValueError(f"rms_norm: eps must be positive, got {eps}")
    return _RMSNorm.apply(x, weight, eps)
