"""Vector addition: the "hello world" of Triton.

Each program (one instance of the kernel) handles one block of ``BLOCK_SIZE`` consecutive elements.
The last block usually runs past the end of the vectors, so every load and store carries a mask
``offsets < n``: lanes outside the tensor neither read nor write.
"""

from __future__ import annotations

import torch

from course_lib.kernels._triton import check_tensors, interpreting, tl, triton

__all__ = ["add", "add_kernel"]


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)


def add(x: torch.Tensor, y: torch.Tensor, *, block_size: int | None = None) -> torch.Tensor:
    """``x + y`` computed by a Triton kernel. x, y: any shape (the same for both) -> that shape.

    No autograd: this kernel is for teaching the launch grid and masks. ``block_size`` (a power of
    two) defaults to 1024 on the GPU and 64 in the CPU interpreter.
    """
    check_tensors("add", "torch.add", [("x", x), ("y", y)])
    if x.shape != y.shape:
        raise ValueError(f"add: x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    block = block_size or (64 if interpreting() else 1024)
    if block & (block - 1):
        raise ValueError(f"add: block_size must be a power of two, got {block}")
    x, y = x.contiguous(), y.contiguous()
    out = torch.empty_like(x)
    n = x.numel()
    if n:
        add_kernel[(triton.cdiv(n, block),)](x, y, out, n, BLOCK_SIZE=block)
    return out
