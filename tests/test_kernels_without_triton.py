"""course_lib.kernels where Triton is not installed (macOS, Windows): simulated in a subprocess.

``sys.modules["triton"] = None`` makes every ``import triton`` fail with ImportError, exactly as on a
machine without the wheel. The package must still import, the Triton-backed functions must say
what to use instead, and the pure-PyTorch FlashAttention-2 must still give SDPA's answer.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["triton"] = None  # `import triton` now raises ImportError

    import torch
    import torch.nn.functional as F
    import course_lib.kernels as K

    assert K.HAS_TRITON is False and K.triton_mode() == "unavailable", K.triton_mode()
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
