"""Assignment 2, part 1: FlashAttention-2 in PyTorch (flash_pytorch) and Triton (flash_triton).

Every output and gradient is compared with naive attention, ``softmax(q k^T / sqrt(d) + mask) v``,
differentiated by autograd. On a CPU the Triton kernel runs through Triton's interpreter at small
sizes; the ``cuda`` tests run it compiled, in bfloat16, at real sizes (skipped without a GPU).
"""

from __future__ import annotations

import math

import course_lib  # noqa: F401  (sets Triton's mode before anything imports triton)
import pytest
import torch
from course_lib.env import triton_available

PYTORCH = "a2_systems.flash_attention_pytorch"
TRITON = "a2_systems.flash_attention_triton"

needs_triton = pytest.mark.skipif(not triton_available(), reason="triton is not installed (macOS, Windows)")
TOL = {"rtol": 1e-4, "atol": 1e-4}


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool) -> torch.Tensor:
    """The reference: the full (seq_q, seq_k) score matrix, masked, softmaxed, times v."""
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if is_causal:
        future = torch.ones(q.shape[2], k.shape[2], dtype=torch.bool, device=q.device).triu(diagonal=1)
        s = s.masked_fill(future, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def make_qkv(b, h, n_q, n_k, d, *, seed, dtype=torch.float32, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(b, h, n, d, generator=g).to(device=device, dtype=dtype) for n in (n_q, n_k, n_k)]


def check_forward(fn, shape, is_causal, seed):
    q, k, v = make_qkv(*shape, seed=seed)
    got = fn.apply(q, k, v, is_causal)
    assert got.shape == q.shape, f"output shape {tuple(got.shape)}, expected {tuple(q.shape)}"
    torch.testing.assert_close(got, naive_attention(q, k, v, is_causal), **TOL)


def check_saved_tensors(fn, seed):
    """Only q, k, v, O and L are saved: no (seq, seq) matrix, and L is the log-sum-exp of each row."""
    q, k, v = (t.requires_grad_(True) for t in make_qkv(1, 2, 40, 40, 16, seed=seed))
    for is_causal in (False, True):
        out = fn.apply(q, k, v, is_causal)
        saved = out.grad_fn.saved_tensors
        shapes = [tuple(t.shape) for t in saved]
        assert all(s[-2:] != (40, 40) for s in shapes), f"a (seq, seq) matrix was saved: {shapes}"
        lse = [t for t in saved if tuple(t.shape) == (1, 2, 40)]
        assert len(lse) == 1, f"expected one saved log-sum-exp of shape (1, 2, 40), saved {shapes}"
        s = q.detach() @ k.detach().transpose(-1, -2) / 4.0
        if is_causal:
            s = s.masked_fill(torch.ones(40, 40, dtype=torch.bool).triu(1), float("-inf"))
        torch.testing.assert_close(lse[0].float(), torch.logsumexp(s, dim=-1), **TOL)


def check_gradients(fn, shape, seed, *, dtype=torch.float32, device="cpu", tol=None):
    for is_causal in (False, True):
        q, k, v = make_qkv(*shape, seed=seed, dtype=dtype, device=device)
        upstream = torch.randn(q.shape, generator=torch.Generator().manual_seed(seed + 1)).to(q)
        grads = []
        for f, cast in ((fn.apply, lambda t: t), (naive_attention, lambda t: t.float())):
            leaves = [cast(t).detach().requires_grad_(True) for t in (q, k, v)]
            out = f(*leaves, is_causal)
            out.backward(cast(upstream))
            grads.append((out.detach(), [leaf.grad for leaf in leaves]))
        (out, got), (ref, want) = grads
        torch.testing.assert_close(out.float(), ref, **(tol or TOL))
        for name, g, w in zip("qkv", got, want):
            assert g is not None, f"no gradient for {name}"
            torch.testing.assert_close(g.float(), w, **(tol or TOL), msg=lambda m, name=name: f"d{name} (causal={is_causal}): {m}")


# --- part 1a: PyTorch -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_impl(load_impl):
    return load_impl(PYTORCH).FlashAttention2Function


@pytest.mark.grade(part="flash_pytorch", points=2)
def test_pytorch_forward_matches_naive_attention(torch_impl):
    check_forward(torch_impl, (2, 2, 48, 48, 16), is_causal=False, seed=0)


@pytest.mark.grade(part="flash_pytorch", points=2)
def test_pytorch_forward_causal_matches_naive_attention(torch_impl):
    check_forward(torch_impl, (2, 2, 48, 48, 16), is_causal=True, seed=1)


@pytest.mark.grade(part="flash_pytorch", points=1)
def test_pytorch_forward_with_partial_tiles_and_unequal_lengths(torch_impl):
    check_forward(torch_impl, (1, 3, 37, 37, 32), is_causal=True, seed=2)
    check_forward(torch_impl, (1, 2, 21, 43, 16), is_causal=False, seed=3)


@pytest.mark.grade(part="flash_pytorch", points=2)
def test_pytorch_saves_only_output_and_log_sum_exp(torch_impl):
    check_saved_tensors(torch_impl, seed=4)


@pytest.mark.grade(part="flash_pytorch", points=3)
def test_pytorch_gradients_match_naive_attention(torch_impl):
    check_gradients(torch_impl, (1, 2, 37, 37, 16), seed=5)


# --- part 1b: Triton ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def triton_impl(load_impl):
    return load_impl(TRITON).FlashAttention2TritonFunction


@needs_triton
@pytest.mark.grade(part="flash_triton", points=2)
def test_triton_forward_matches_naive_attention(triton_impl):
    check_forward(triton_impl, (2, 2, 48, 48, 16), is_causal=False, seed=10)


@needs_triton
@pytest.mark.grade(part="flash_triton", points=2)
def test_triton_forward_causal_matches_naive_attention(triton_impl):
    check_forward(triton_impl, (2, 2, 48, 48, 16), is_causal=True, seed=11)


@needs_triton
@pytest.mark.grade(part="flash_triton", points=1)
def test_triton_forward_with_partial_tiles_and_unequal_lengths(triton_impl):
    check_forward(triton_impl, (1, 3, 37, 37, 32), is_causal=True, seed=12)
    check_forward(triton_impl, (1, 2, 21, 43, 16), is_causal=False, seed=13)


@needs_triton
@pytest.mark.grade(part="flash_triton", points=2)
def test_triton_saves_only_output_and_log_sum_exp(triton_impl):
    check_saved_tensors(triton_impl, seed=14)


@needs_triton
@pytest.mark.grade(part="flash_triton", points=3)
def test_triton_gradients_match_naive_attention(triton_impl):
    check_gradients(triton_impl, (1, 2, 37, 37, 16), seed=15)


@pytest.mark.cuda
@pytest.mark.grade(part="flash_triton", points=3)
def test_triton_on_gpu_in_bfloat16_at_real_sizes(triton_impl):
    check_gradients(triton_impl, (4, 8, 1024, 1024, 64), seed=16, dtype=torch.bfloat16, device="cuda", tol={"rtol": 3e-2, "atol": 3e-2})
