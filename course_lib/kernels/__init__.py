"""GPU kernels in Triton, runnable everywhere: compiled on a CUDA GPU, interpreted on a CPU.

One module per kernel, each a Triton kernel behind a PyTorch-friendly (and, where it applies,
differentiable) function, checked against PyTorch in ``tests/test_kernels*.py``:

- :func:`add` (:mod:`.vector_add`): ``x + y``, the first kernel;
- :func:`softmax` (:mod:`.softmax`): ``torch.softmax(x, -1)``, fused, forward and backward;
- :func:`rms_norm` (:mod:`.rmsnorm`): ``F.rms_norm``, fused, forward and backward;
- :func:`matmul` (:mod:`.matmul`): ``a @ b`` (cuBLAS on a GPU), tiled, differentiable;
- :func:`flash_attention` (:mod:`.flash_attention`): ``F.scaled_dot_product_attention``,
  FlashAttention-2 forward and backward;
- :func:`flash_attention_torch` (:mod:`.flash_attention_torch`): the same algorithm in plain PyTorch.

Importing this package works without Triton (macOS, Windows): the Triton-backed functions then
raise a ``RuntimeError`` naming the alternative, and :func:`flash_attention_torch` still works.
:func:`triton_mode` says which case applies here.
"""

from course_lib.kernels._triton import HAS_TRITON, supported_dtypes
from course_lib.kernels._triton import mode as triton_mode
from course_lib.kernels.flash_attention import flash_attention
from course_lib.kernels.flash_attention_torch import flash_attention_torch
from course_lib.kernels.matmul import matmul
from course_lib.kernels.rmsnorm import rms_norm
from course_lib.kernels.softmax import softmax
from course_lib.kernels.vector_add import add

__all__ = [
    "HAS_TRITON",
    "triton_mode",
    "supported_dtypes",
    "add",
    "softmax",
    "rms_norm",
    "matmul",
    "flash_attention",
    "flash_attention_torch",
]
