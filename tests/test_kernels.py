"""The Triton kernels of course_lib.kernels against PyTorch: values, gradients, masks and errors.

Without a GPU the kernels run through Triton's interpreter (float32, small sizes chosen so that
every shape spans several blocks and ends in a partial one). The ``cuda`` tests run the compiled
kernels at real sizes in half precision, and are skipped without a GPU.
"""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F

from course_lib.env import triton_mode
from course_lib.kernels import HAS_TRITON, add, matmul, rms_norm, softmax, supported_dtypes
from course_lib.kernels.softmax import MAX_ROW

pytestmark = pytest.mark.skipif(not HAS_TRITON, reason="triton is not installed")

CPU_ONLY = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the interpreter's rules (no GPU here)")


def _device() -> torch.device:
    return torch.device("cuda" if triton_mode() == "compiled" else "cpu")


def _randn(*shape: int, seed: int, dtype: torch.dtype = torch.float32, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g) * scale).to(device=_device(), dtype=dtype)


def _grads(fn, inputs: list[torch.Tensor], upstream: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """fn(*inputs) and the gradients of <fn(*inputs), upstream> with respect to each input."""
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    out.backward(upstream)
    return out.detach(), [leaf.grad for leaf in leaves]


@CPU_ONLY
def test_kernels_run_in_the_interpreter_on_a_cpu():
    assert triton_mode() == "interpreter"
    assert supported_dtypes() == (torch.float32,)


# --- vector add -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1000,), (3, 77), (1,), (0,)])
def test_add_matches_torch(shape):
    x, y = _randn(*shape, seed=0), _randn(*shape, seed=1)
    torch.testing.assert_close(add(x, y), x + y, rtol=0, atol=0)


def test_add_with_small_blocks_masks_the_tail():
    x, y = _randn(100, seed=2), _randn(100, seed=3)
    torch.testing.assert_close(add(x, y, block_size=16), x + y, rtol=0, atol=0)


def test_add_rejects_bad_input():
    x = _randn(8, seed=4)
    with pytest.raises(ValueError, match="same shape"):
        add(x, _randn(9, seed=5))
    with pytest.raises(ValueError, match="power of two"):
        add(x, x, block_size=12)
    with pytest.raises(TypeError, match="torch.Tensor"):
        add(x, [1.0] * 8)


# --- softmax --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 7, 33), (4, 1), (3, 130)])
def test_softmax_matches_torch_values_and_gradients(shape):
    x = _randn(*shape, seed=6, scale=3.0)
    upstream = _randn(*shape, seed=7)
    out, (dx,) = _grads(softmax, [x], upstream)
    ref, (dx_ref,) = _grads(lambda t: torch.softmax(t, dim=-1), [x], upstream)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(dx, dx_ref)


def test_softmax_is_stable_for_huge_logits():
    x = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], device=_device())
    out = softmax(x)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.softmax(x, dim=-1))


def test_softmax_of_a_non_contiguous_view():
    x = _randn(33, 6, seed=8).t()  # rows with stride 6 along the last dimension
    torch.testing.assert_close(softmax(x), torch.softmax(x, dim=-1))


def test_softmax_rejects_rows_longer_than_one_block():
    with pytest.raises(ValueError, match="longer than"):
        softmax(torch.zeros(1, MAX_ROW + 1, device=_device()))


# --- RMSNorm --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 7, 33), (9, 16)])
def test_rms_norm_matches_torch_values_and_gradients(shape):
    d = shape[-1]
    x, w = _randn(*shape, seed=9, scale=2.0), 1.0 + 0.1 * _randn(d, seed=10)
    upstream = _randn(*shape, seed=11)
    out, (dx, dw) = _grads(lambda a, b: rms_norm(a, b, eps=1e-5), [x, w], upstream)
    ref, (dx_ref, dw_ref) = _grads(lambda a, b: F.rms_norm(a, (d,), b, eps=1e-5), [x, w], upstream)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(dx, dx_ref)
    torch.testing.assert_close(dw, dw_ref)


def test_rms_norm_rejects_bad_input():
    x = _randn(4, 8, seed=12)
    with pytest.raises(ValueError, match=r"weight \(d,\)"):
        rms_norm(x, _randn(7, seed=13))
    with pytest.raises(ValueError, match="eps"):
        rms_norm(x, _randn(8, seed=13), eps=0.0)


# --- matmul ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "k", "n"), [(45, 37, 29), (16, 16, 16), (1, 50, 3)])
def test_matmul_matches_torch_values_and_gradients(m, k, n):
    a, b = _randn(m, k, seed=14), _randn(k, n, seed=15)
    upstream = _randn(m, n, seed=16)
    out, (da, db) = _grads(matmul, [a, b], upstream)
    ref, (da_ref, db_ref) = _grads(torch.matmul, [a, b], upstream)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(da, da_ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(db, db_ref, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="runs GPU-like tile shapes in the interpreter")
@pytest.mark.parametrize("config", [(64, 32, 32, 8), (32, 64, 16, 2)])
def test_matmul_with_gpu_like_tiles(config, monkeypatch):
    monkeypatch.setattr(sys.modules["course_lib.kernels.matmul"], "INTERPRETER_CONFIG", config)
    a, b = _randn(150, 70, seed=30), _randn(70, 170, seed=31)  # 3 x 6 tiles: groups end early
    torch.testing.assert_close(matmul(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_matmul_reads_transposed_views_in_place():
    a, b = _randn(20, 35, seed=17).t(), _randn(18, 20, seed=18).t()  # (35, 20) @ (20, 18), strided
    torch.testing.assert_close(matmul(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_matmul_with_empty_inner_dimension_is_zero():
    out = matmul(torch.zeros(3, 0, device=_device()), torch.zeros(0, 4, device=_device()))
    torch.testing.assert_close(out, torch.zeros(3, 4, device=_device()))


def test_matmul_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"a \(M, K\) and b \(K, N\)"):
        matmul(_randn(3, 4, seed=19), _randn(5, 6, seed=20))
    with pytest.raises(ValueError, match=r"a \(M, K\)"):
        matmul(_randn(2, 3, 4, seed=21), _randn(4, 6, seed=22))


# --- errors shared by every kernel ------------------------------------------------------------------


@CPU_ONLY
@pytest.mark.parametrize("fn", [softmax, lambda x: add(x, x), lambda x: matmul(x, x)])
def test_interpreter_rejects_bfloat16_with_a_clear_message(fn):
    with pytest.raises(TypeError, match="bfloat16.*interpreter|interpreter.*bfloat16"):
        fn(torch.zeros(4, 4, dtype=torch.bfloat16))


def test_integer_tensors_are_rejected():
    with pytest.raises(TypeError, match="int64"):
        softmax(torch.zeros(4, 4, dtype=torch.int64, device=_device()))


def test_mixed_dtypes_and_devices_are_rejected():
    x = _randn(4, 4, seed=23)
    with pytest.raises(TypeError, match="dtype torch.float64"):
        add(x, x.double())
    with pytest.raises(ValueError, match="is on meta"):
        add(x, torch.empty(4, 4, device="meta"))


# --- compiled on a GPU, in half precision, at real sizes ----------------------------------------------


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cuda_kernels_match_torch_in_half_precision(dtype):
    tol = {"rtol": 2e-2, "atol": 2e-2}
    x = _randn(4096, 3000, seed=24, dtype=dtype)
    torch.testing.assert_close(add(x, x), x + x)
    torch.testing.assert_close(softmax(x), torch.softmax(x.float(), -1).to(dtype), **tol)
    w = _randn(3000, seed=25, dtype=dtype)
    torch.testing.assert_close(rms_norm(x, w), F.rms_norm(x.float(), (3000,), w.float(), 1e-6).to(dtype), **tol)
    a, b = _randn(1000, 1500, seed=26, dtype=dtype), _randn(1500, 700, seed=27, dtype=dtype)
    torch.testing.assert_close(matmul(a, b), (a.float() @ b.float()).to(dtype), rtol=2e-2, atol=1e-1)


@pytest.mark.cuda
def test_cuda_kernels_reject_cpu_tensors():
    with pytest.raises(ValueError, match="move them to 'cuda'"):
        softmax(torch.zeros(4, 4))


def test_there_is_one_triton_mode():
    """course_lib.env.triton_mode is the one public way to ask; the kernels package does not offer another."""
    import course_lib.kernels as K

    assert "triton_mode" not in K.__all__ and not hasattr(K, "triton_mode")
    assert triton_mode() in ("compiled", "interpreter", "unavailable")
