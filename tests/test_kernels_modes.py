"""course_lib.kernels in the modes a learner's machine may be in, each simulated in a subprocess.

- Triton not installed (macOS, Windows): ``sys.modules["triton"] = None`` makes every ``import
  triton`` fail with ImportError, exactly as on a machine without the wheel. The package must still
  import, the Triton-backed functions must say what to use instead, and the pure-PyTorch
  FlashAttention-2 must still give SDPA's answer.
- Triton compiling for a GPU on a machine without one (triton imported before course_lib): CPU
  tensors get an error that says how to get the interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["triton"] = None  # `import triton` now raises ImportError

    import torch
    import torch.nn.functional as F
    import course_lib.kernels as K
    from course_lib.env import triton_mode

    assert K.HAS_TRITON is False and triton_mode() == "unavailable", triton_mode()
    x = torch.randn(2, 3, 16, 8)
    for call in (lambda: K.flash_attention(x, x, x), lambda: K.softmax(x), lambda: K.add(x, x)):
        try:
            call()
        except RuntimeError as exc:
            assert "needs Triton" in str(exc) and "instead" in str(exc), exc
        else:
            raise AssertionError("a Triton-backed function ran without Triton")
    try:
        K.flash_attention(x, x, x)
    except RuntimeError as exc:
        assert "course_lib.kernels.flash_attention_torch" in str(exc), exc

    q, k, v = (torch.randn(1, 2, 20, 8, requires_grad=True) for _ in range(3))
    out = K.flash_attention_torch(q, k, v, is_causal=True, block_q=8, block_k=8)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(out, ref)
    out.sum().backward()
    print("OK")
    """
)


@pytest.mark.slow  # a fresh interpreter importing torch: ~5 s on 2 cores
def test_package_imports_and_pure_pytorch_attention_works_without_triton():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"


COMPILED_ON_CPU = textwrap.dedent(
    """
    import torch
    import course_lib.kernels as K
    from course_lib.env import triton_mode

    assert triton_mode() == "compiled", triton_mode()
    try:
        K.softmax(torch.randn(4, 4))
    except ValueError as exc:
        assert "move them to 'cuda'" in str(exc) and "TRITON_INTERPRET=1" in str(exc), exc
        print("OK")
    """
)


@pytest.mark.slow  # a fresh interpreter importing torch and triton: ~5 s on 2 cores
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message for CPU tensors without a GPU")
def test_compiled_mode_without_a_gpu_says_how_to_get_the_interpreter():
    env = {**os.environ, "TRITON_INTERPRET": "0"}  # as if triton had been imported before course_lib
    result = subprocess.run(
        [sys.executable, "-c", COMPILED_ON_CPU], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"
