"""The one place that imports Triton: the checks every Triton-backed function runs first, and the
launch helpers and constants the kernels share.

Triton has no wheels for macOS or Windows. There, ``import triton`` fails, yet
``course_lib.kernels`` must still import (its pure-PyTorch FlashAttention-2 works everywhere). So
this module exports either the real ``triton`` and ``triton.language``, or stand-ins that let the
kernel modules *define* their ``@triton.jit`` functions; only *calling* a Triton-backed function
then fails, with an error that names the pure-PyTorch alternative (:func:`require_triton`).

Where Triton is installed it runs in one of two modes (chosen by ``course_lib.env`` before triton is
imported, and reported by :func:`course_lib.env.triton_mode`): compiled for a CUDA GPU, or
interpreted on the CPU with NumPy (``TRITON_INTERPRET=1``). The interpreter has no bfloat16 and is
slow, so there the kernels take float32, small blocks and one warp (:func:`num_warps`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import torch

from course_lib.env import triton_mode

__all__ = [
    "HAS_TRITON",
    "triton",
    "tl",
    "LOG2E",
    "LN2",
    "KERNEL_LOG2E",
    "KERNEL_LN2",
    "MAX_ROW",
    "interpreting",
    "num_warps",
    "row_launch_config",
    "require_triton",
    "supported_dtypes",
    "check_tensors",
]

try:
    import triton
    import triton.language as tl

    HAS_TRITON = True
except ImportError:  # macOS, Windows, or a CPU-only environment without the wheel
    HAS_TRITON = False

    def _identity_decorator(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:  # used bare: @triton.jit
            return args[0]
        return lambda fn: fn  # used with arguments: @triton.autotune(configs=..., key=...)

    triton = SimpleNamespace(  # type: ignore[assignment]
        jit=_identity_decorator,
        autotune=_identity_decorator,
        Config=lambda *args, **kwargs: None,
        cdiv=lambda a, b: -(-a // b),
        next_power_of_2=lambda n: 1 << max(int(n) - 1, 0).bit_length(),
    )
    tl = SimpleNamespace(constexpr=lambda value: value)  # type: ignore[assignment]  (annotations, constants)

LOG2E = math.log2(math.e)
"""log2(e): ``exp(x) == exp2(x * LOG2E)``. Kernels fold it into the softmax scale, because ``exp2`` is
what the hardware computes natively."""
LN2 = math.log(2.0)
"""ln(2) = 1 / log2(e): turns a log-sum-exp computed in log2 units back into natural-log units."""
KERNEL_LOG2E = tl.constexpr(LOG2E)
""":data:`LOG2E` as a compile-time constant, the form a ``@triton.jit`` kernel may read as a global."""
KERNEL_LN2 = tl.constexpr(LN2)
""":data:`LN2` as a compile-time constant for ``@triton.jit`` kernels."""

MAX_ROW = 65536
"""The longest row the one-pass row kernels (softmax, RMSNorm) take: it must fit in one program's
registers."""


def interpreting() -> bool:
    """True when Triton kernels run through the CPU interpreter (small blocks, float32 only)."""
    return HAS_TRITON and triton_mode() == "interpreter"


def num_warps(block: int) -> int:
    """Warps for a program that handles ``block`` elements of a row: more for longer rows on the GPU,
    one in the interpreter (which runs a program as a single NumPy computation)."""
    if interpreting():
        return 1
    return 4 if block < 2048 else 8 if block < 8192 else 16


def row_launch_config(function: str, n_cols: int) -> tuple[int, int]:
    """(block, num_warps) for a one-pass kernel where one program holds a row of ``n_cols`` elements.

    The block is the next power of two (lanes past the row's end are masked). Raises ``ValueError``
    naming ``function`` for rows longer than :data:`MAX_ROW`.
    """
    if n_cols > MAX_ROW:
        raise ValueError(
            f"{function}: rows of {n_cols} elements are longer than the {MAX_ROW} this one-pass kernel takes"
        )
    block = triton.next_power_of_2(n_cols)
    return block, num_warps(block)


def require_triton(function: str, alternative: str) -> None:
    """Raise ``RuntimeError`` naming ``alternative`` when Triton cannot run here."""
    if not HAS_TRITON:
        raise RuntimeError(
            f"{function} needs Triton, which is not installed here (it has no wheels for macOS or "
            f"Windows). Use {alternative} instead: it runs the same computation in plain PyTorch."
        )


def supported_dtypes() -> tuple[torch.dtype, ...]:
    """Dtypes the kernels accept in the current mode: the interpreter computes with NumPy (no bf16)."""
    if HAS_TRITON and triton_mode() == "compiled":
        return (torch.float16, torch.bfloat16, torch.float32)
    return (torch.float32,)


def check_tensors(function: str, alternative: str, tensors: Sequence[tuple[str, torch.Tensor]]) -> None:
    """Check named tensors before a launch: Triton present, tensors, one device, one supported dtype.

    In compiled mode the tensors must live on a CUDA GPU; in interpreter mode on the CPU (or a GPU,
    which the interpreter reads through host copies). Raises ``RuntimeError`` (no Triton),
    ``TypeError`` (not a tensor, unsupported or mixed dtypes) or ``ValueError`` (device).
    """
    require_triton(function, alternative)
    for name, t in tensors:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{function}: {name} must be a torch.Tensor, got {type(t).__name__}")
    first_name, first = tensors[0]
    allowed = supported_dtypes()
    if first.dtype not in allowed:
        where = "in Triton's CPU interpreter" if interpreting() else "on the GPU"
        names = ", ".join(str(d).removeprefix("torch.") for d in allowed)
        hint = " (the interpreter computes with NumPy, which has no bfloat16)" if interpreting() else ""
        raise TypeError(f"{function}: {first_name} has dtype {first.dtype}; {where} it supports {names}{hint}")
    for name, t in tensors[1:]:
        if t.dtype != first.dtype:
            raise TypeError(f"{function}: {name} has dtype {t.dtype} but {first_name} has {first.dtype}")
        if t.device != first.device:
            raise ValueError(f"{function}: {name} is on {t.device} but {first_name} is on {first.device}")
    if triton_mode() == "compiled" and first.device.type != "cuda":
        raise ValueError(
            f"{function}: Triton compiles for the GPU here, but the tensors are on {first.device}; "
            f"move them to 'cuda' (or use {alternative}). Without a GPU, Triton runs in its CPU "
            f"interpreter only if course_lib is imported before triton (or TRITON_INTERPRET=1 is set)"
        )
