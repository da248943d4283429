"""FlashAttention-2 (Triton kernels and the pure-PyTorch tiled version) against PyTorch's SDPA.

Shapes are chosen so that sequences end in partial tiles, query and key lengths differ, and the head
dimension is not a power of two (padded inside the kernels). In the CPU interpreter the tiles are
16 wide, so a sequence of 37 spans three tiles.
"""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F

from course_lib.env import triton_mode
from course_lib.kernels import (
    HAS_TRITON,
    FlashAttention2Function,
    FlashAttention2TritonFunction,
    flash_attention,
    flash_attention_torch,
)
from course_lib.kernels.flash_attention import MAX_HEAD_DIM

flash_attention_module = sys.modules["course_lib.kernels.flash_attention"]  # the attribute is the function

needs_triton = pytest.mark.skipif(not HAS_TRITON, reason="triton is not installed")

SHAPES = [  # (batch, heads, n_q, n_k, head_dim)
    (1, 2, 37, 37, 16),
    (2, 1, 50, 29, 24),
    (1, 1, 20, 45, 32),
]


def _device() -> torch.device:
    return torch.device("cuda" if triton_mode() == "compiled" else "cpu")


def _qkv(b, h, n_q, n_k, d, *, seed, dtype=torch.float32, device=None):
    g = torch.Generator().manual_seed(seed)
    device = device or _device()
    q, k, v = (torch.randn(b, h, n, d, generator=g) for n in (n_q, n_k, n_k))
    return [t.to(device=device, dtype=dtype) for t in (q, k, v)]


def _forward_backward(fn, q, k, v, upstream):
    leaves = [t.detach().clone().requires_grad_(True) for t in (q, k, v)]
    out = fn(*leaves)
    out.backward(upstream)
    return out.detach(), [leaf.grad for leaf in leaves]


def _check_against_sdpa(fn, shape, is_causal, seed, **tol):
    q, k, v = _qkv(*shape, seed=seed)
    upstream = torch.randn(q.shape, generator=torch.Generator().manual_seed(seed + 1)).to(q)
    out, grads = _forward_backward(fn, q, k, v, upstream)
    ref, ref_grads = _forward_backward(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=is_causal), q, k, v, upstream
    )
    torch.testing.assert_close(out, ref, **tol)
    for name, got, want in zip("qkv", grads, ref_grads):
        torch.testing.assert_close(got, want, **tol, msg=lambda m, name=name: f"d{name}: {m}")


# --- Triton ---------------------------------------------------------------------------------------


@needs_triton
@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_flash_attention_matches_sdpa(shape, is_causal):
    _check_against_sdpa(
        lambda q, k, v: flash_attention(q, k, v, is_causal=is_causal), shape, is_causal, seed=0, rtol=1e-4, atol=1e-4
    )


@pytest.mark.skipif(not HAS_TRITON or torch.cuda.is_available(), reason="runs the GPU's tile shapes in the interpreter")
@pytest.mark.parametrize("tiles", [(128, 64), (128, 32), (64, 64)])
def test_flash_attention_with_the_gpu_tile_shapes(tiles, monkeypatch):
    """The GPU uses other tiles (BLOCK_M > BLOCK_N, 128 x 32 in the backward pass): check that logic here."""
    monkeypatch.setattr(flash_attention_module, "INTERPRETER_TILES", tiles)
    fn = lambda q, k, v: flash_attention(q, k, v, is_causal=True)  # noqa: E731
    _check_against_sdpa(fn, (1, 1, 200, 200, 64), True, seed=14, rtol=1e-4, atol=1e-4)
    fn = lambda q, k, v: flash_attention(q, k, v, is_causal=False)  # noqa: E731
    _check_against_sdpa(fn, (1, 1, 150, 170, 40), False, seed=15, rtol=1e-4, atol=1e-4)


@needs_triton
def test_flash_attention_with_custom_scale_and_strided_inputs():
    q, k, v = _qkv(1, 2, 24, 24, 16, seed=3)
    q_t = q.transpose(1, 2).contiguous().transpose(1, 2)  # same values, (b, n, h, d) memory layout
    assert not q_t.is_contiguous()
    got = flash_attention(q_t, k, v, is_causal=True, scale=0.3)
    torch.testing.assert_close(
        got, F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3), rtol=1e-4, atol=1e-4
    )


@needs_triton
def test_flash_attention_saves_no_attention_matrix():
    q, k, v = (t.requires_grad_(True) for t in _qkv(1, 2, 40, 40, 16, seed=4))
    out = flash_attention(q, k, v, is_causal=True)
    saved = out.grad_fn.saved_tensors
    assert all(t.shape[-2:] != (40, 40) for t in saved), [tuple(t.shape) for t in saved]
    assert any(t.shape == (1, 2, 40) for t in saved), "the log-sum-exp per query row should be saved"


@needs_triton
def test_flash_attention_rejects_head_dims_over_the_limit():
    q, k, v = _qkv(1, 1, 4, 4, MAX_HEAD_DIM + 8, seed=13)
    with pytest.raises(ValueError, match="head_dim 264 is larger than the 256"):
        flash_attention(q, k, v)


@pytest.mark.skipif(torch.cuda.is_available() or not HAS_TRITON, reason="checks the interpreter's rules")
def test_flash_attention_rejects_bfloat16_in_the_interpreter():
    q, k, v = _qkv(1, 1, 8, 8, 16, seed=5, dtype=torch.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        flash_attention(q, k, v)


# --- shape errors, the same for both implementations ------------------------------------------------

IMPLEMENTATIONS = [
    pytest.param(flash_attention, "flash_attention", marks=needs_triton, id="triton"),
    pytest.param(flash_attention_torch, "flash_attention_torch", id="torch"),
]


@pytest.mark.parametrize(("fn", "name"), IMPLEMENTATIONS)
def test_bad_shapes_are_rejected_with_clear_messages(fn, name):
    q, k, v = _qkv(1, 2, 8, 8, 16, seed=6)
    with pytest.raises(ValueError, match=rf"{name}: expected q of shape \(batch, heads, seq, head_dim\)"):
        fn(q[0], k, v)
    with pytest.raises(ValueError, match="k and v must have the same shape"):
        fn(q, k, v[:, :, :5])
    with pytest.raises(ValueError, match="must agree on batch, heads and head_dim"):
        fn(q, k[:, :1], v[:, :1])
    with pytest.raises(ValueError, match="at least one position"):
        fn(q, k[:, :, :0], v[:, :, :0])
    with pytest.raises(TypeError, match="floating-point"):
        fn(q.long(), k.long(), v.long())
    with pytest.raises(TypeError, match="dtype torch.float64 but q has torch.float32"):
        fn(q, k.double(), v.double())
    with pytest.raises(ValueError, match="is on meta"):
        fn(q, k.to("meta"), v.to("meta"))


# --- (batch*heads, seq, head_dim) inputs and the log-sum-exp, the same for both implementations ------


def _naive_attention(q, k, v, is_causal, scale):
    """Attention with the full score matrix: (out, logsumexp of the scaled, masked scores)."""
    s = (q @ k.transpose(-1, -2)) * scale
    if is_causal:  # top-left aligned, like SDPA's
        s = s.masked_fill(torch.ones(s.shape[-2:], dtype=torch.bool, device=s.device).triu(1), float("-inf"))
    return torch.softmax(s, dim=-1) @ v, torch.logsumexp(s, dim=-1)


LSE_IMPLEMENTATIONS = [
    pytest.param(lambda *a, **kw: flash_attention(*a, **kw), marks=needs_triton, id="triton"),
    pytest.param(lambda *a, **kw: flash_attention_torch(*a, block_q=16, block_k=8, **kw), id="torch"),
]


@pytest.mark.parametrize("fn", LSE_IMPLEMENTATIONS)
@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("flat", [False, True], ids=["4d", "3d"])
def test_log_sum_exp_output_and_its_gradient_match_the_naive_computation(fn, is_causal, flat):
    q, k, v = _qkv(2, 2, 37, 29, 24, seed=16)
    if flat:  # (batch*heads, seq, head_dim)
        q, k, v = (t.reshape(4, t.shape[2], 24) for t in (q, k, v))
    g = torch.Generator().manual_seed(17)
    d_out, d_lse = torch.randn(q.shape, generator=g).to(q), torch.randn(q.shape[:-1], generator=g).to(q)

    def run(attention):
        leaves = [t.detach().clone().requires_grad_(True) for t in (q, k, v)]
        out, lse = attention(*leaves)
        ((out * d_out).sum() + (lse * d_lse).sum()).backward()
        return out.detach(), lse.detach(), [leaf.grad for leaf in leaves]

    out, lse, grads = run(lambda a, b, c: fn(a, b, c, is_causal=is_causal, scale=0.3, return_lse=True))
    ref_out, ref_lse, ref_grads = run(lambda a, b, c: _naive_attention(a, b, c, is_causal, 0.3))
    assert out.shape == q.shape and lse.shape == q.shape[:-1] and lse.dtype == torch.float32
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, scale=0.3), rtol=1e-4, atol=1e-4
    )
    torch.testing.assert_close(lse, ref_lse, rtol=1e-4, atol=1e-4)
    for name, got, want in zip("qkv", grads, ref_grads):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4, msg=lambda m, name=name: f"d{name}: {m}")


@pytest.mark.parametrize(
    "fn",
    [pytest.param(flash_attention, marks=needs_triton, id="triton"), pytest.param(flash_attention_torch, id="torch")],
)
def test_flat_inputs_give_the_four_dimensional_result(fn):
    q, k, v = _qkv(2, 3, 20, 20, 16, seed=18)
    out = fn(q.reshape(6, 20, 16), k.reshape(6, 20, 16), v.reshape(6, 20, 16), is_causal=True)
    torch.testing.assert_close(out, fn(q, k, v, is_causal=True).reshape(6, 20, 16))


@pytest.mark.parametrize(
    ("function", "backward_node"),
    [
        pytest.param(
            FlashAttention2TritonFunction, "FlashAttention2TritonFunctionBackward", marks=needs_triton, id="triton"
        ),
        pytest.param(FlashAttention2Function, "FlashAttention2FunctionBackward", id="torch"),
    ],
)
def test_public_autograd_functions_return_output_and_log_sum_exp(function, backward_node):
    q, k, v = _qkv(1, 2, 24, 24, 16, seed=19)
    extra = () if function is FlashAttention2TritonFunction else (8, 8)  # the torch version's tile sizes
    out, lse = function.apply(q, k, v, True, 0.25, *extra)
    ref_out, ref_lse = _naive_attention(q, k, v, True, 0.25)
    torch.testing.assert_close(out, ref_out, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(lse, ref_lse, rtol=1e-4, atol=1e-4)
    q.requires_grad_(True)
    wrapper = flash_attention if function is FlashAttention2TritonFunction else flash_attention_torch
    assert type(wrapper(q, k, v).grad_fn).__name__ == backward_node


# --- pure PyTorch -----------------------------------------------------------------------------------


@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize(("shape", "blocks"), [(SHAPES[0], (16, 8)), (SHAPES[1], (7, 5)), (SHAPES[2], (8, 16))])
def test_flash_attention_torch_matches_sdpa(shape, blocks, is_causal):
    block_q, block_k = blocks
    fn = lambda q, k, v: flash_attention_torch(q, k, v, is_causal, block_q=block_q, block_k=block_k)  # noqa: E731
    _check_against_sdpa(fn, shape, is_causal, seed=7, rtol=1e-4, atol=1e-4)


def test_flash_attention_torch_saves_only_output_and_log_sum_exp():
    q, k, v = (t.requires_grad_(True) for t in _qkv(1, 2, 40, 40, 16, seed=8, device=torch.device("cpu")))
    out = flash_attention_torch(q, k, v, block_q=16, block_k=16)
    saved = out.grad_fn.saved_tensors
    assert all(t.shape[-2:] != (40, 40) for t in saved)
    (lse,) = [t for t in saved if t.shape == (1, 2, 40)]
    scores = q.detach() @ k.detach().transpose(-1, -2) / 4.0
    torch.testing.assert_close(lse, torch.logsumexp(scores, dim=-1))


def test_flash_attention_torch_rejects_bad_block_sizes():
    q, k, v = _qkv(1, 1, 8, 8, 16, seed=9, device=torch.device("cpu"))
    with pytest.raises(ValueError, match="block sizes must be positive"):
        flash_attention_torch(q, k, v, block_q=0)


# --- compiled on a GPU, at real sizes ------------------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("head_dim", [64, 96, 128])
def test_cuda_flash_attention_matches_sdpa_at_real_sizes(dtype, is_causal, head_dim):
    q, k, v = _qkv(2, 8, 1000, 1000, head_dim, seed=10, dtype=dtype, device=torch.device("cuda"))
    upstream = torch.randn(q.shape, generator=torch.Generator().manual_seed(11)).to(q)
    out, grads = _forward_backward(lambda a, b, c: flash_attention(a, b, c, is_causal=is_causal), q, k, v, upstream)
    # The reference in float32 shows the error of the half-precision kernel, not of two roundings.
    ref, ref_grads = _forward_backward(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=is_causal),
        q.float(),
        k.float(),
        v.float(),
        upstream.float(),
    )
    torch.testing.assert_close(out.float(), ref, rtol=2e-2, atol=2e-2)
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got.float(), want, rtol=5e-2, atol=5e-2)


@pytest.mark.cuda
@pytest.mark.parametrize("head_dim", [64, 128])
def test_cuda_flash_attention_torch_matches_sdpa(head_dim):
    q, k, v = _qkv(1, 4, 300, 300, head_dim, seed=12, dtype=torch.bfloat16, device=torch.device("cuda"))
    got = flash_attention_torch(q, k, v, is_causal=True)
    want = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), is_causal=True)
    torch.testing.assert_close(got.float(), want, rtol=2e-2, atol=2e-2)
