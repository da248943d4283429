"""GPU kernels in Triton, runnable everywhere: compiled on a CUDA GPU, interpreted on a CPU.

One module per kernel, each a Triton kernel behind a PyTorch-friendly (and, where it applies,
differentiable) function, checked against PyTorch in ``tests/test_kernels*.py``:

- :func:`add` (:mod:`.vector_add`): ``x + y``, the first kernel;
- :func:`softmax` (:mod:`.softmax`): ``torch.softmax(x, -1)``, fused, forward and backward;
- :func:`rms_norm` (:mod:`.rmsnorm`): ``F.rms_norm``, fused, forward and backward;
- :func:`matmul` (:mod:`.matmul`): ``a @ b`` (cuBLAS on a GPU), tiled, differentiable;
- :func:`flash_attention` (:mod:`.flash_attention`): ``F.scaled_dot_product_attention``,
  FlashAttention-2 forward and backward; its autograd function is
  :class:`FlashAttention2TritonFunction`;
- :func:`flash_attention_torch` (:mod:`.flash_attention_torch`): the same algorithm in plain PyTorch
  (autograd function :class:`FlashAttention2Function`).

Both FlashAttention-2 functions take (batch, heads, seq, head_dim) or (batch*heads, seq, head_dim)
inputs, and ``return_lse=True`` also returns the differentiable log-sum-exp of each query row.

Importing this package works without Triton (macOS, Windows): the Triton-backed functions then
raise a ``RuntimeError`` naming the alternative, and :func:`flash_attention_torch` still works.
:func:`course_lib.env.triton_mode` (the one public way to ask) says which case applies here.
"""

from course_lib.kernels._triton import HAS_TRITON, supported_dtypes
from course_lib.kernels.flash_attention import FlashAttention2TritonFunction, flash_attention
from course_lib.kernels.flash_attention_torch import FlashAttention2Function, flash_attention_torch
from course_lib.kernels.matmul import matmul
from course_lib.kernels.rmsnorm import rms_norm
from course_lib.kernels.softmax import softmax
from course_lib.kernels.vector_add import add

__all__ = [
    "HAS_TRITON",
    "supported_dtypes",
    "add",
    "softmax",
    "rms_norm",
    "matmul",
    "flash_attention",
    "FlashAttention2TritonFunction",
    "flash_attention_torch",
    "FlashAttention2Function",
]
