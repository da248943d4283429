"""Assignment 0 tests: each exercise against PyTorch's own implementation."""

from __future__ import annotations

import pytest
import torch

MODULE = "a0_warmup.warmup"


@pytest.fixture(scope="module")
def warmup(load_impl):
    return load_impl(MODULE)


@pytest.mark.grade(part="broadcasting", points=2)
def test_pairwise_sq_distances_matches_cdist(warmup):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 5, generator=g), torch.randn(4, 5, generator=g)
    got = warmup.pairwise_sq_distances(x, y)
    assert got.shape == (7, 4)
    torch.testing.assert_close(got, torch.cdist(x, y) ** 2, rtol=1e-4, atol=1e-4)


@pytest.mark.grade(part="broadcasting", points=1)
def test_pairwise_sq_distances_rejects_mismatched_dims(warmup):
    with pytest.raises(ValueError, match="same d"):
        warmup.pairwise_sq_distances(torch.zeros(3, 4), torch.zeros(3, 5))


@pytest.mark.grade(part="einsum", points=2)
def test_attention_scores_match_matmul(warmup):
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(2, 3, 5, 8, generator=g), torch.randn(2, 3, 6, 8, generator=g)
    got = warmup.batched_attention_scores(q, k)
    torch.testing.assert_close(got, q @ k.transpose(-1, -2), rtol=1e-5, atol=1e-5)


@pytest.mark.grade(part="indexing", points=2)
def test_gather_targets_matches_torch_gather(warmup):
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(9, 11, generator=g)
    targets = torch.randint(0, 11, (9,), generator=g)
    got = warmup.gather_targets(logits, targets)
    torch.testing.assert_close(got, logits.gather(1, targets[:, None]).squeeze(1))


@pytest.mark.grade(part="log_softmax", points=2)
@pytest.mark.parametrize("dim", [0, -1])
def test_log_softmax_matches_torch(warmup, dim):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(6, 10, generator=g) * 5
    torch.testing.assert_close(warmup.log_softmax(x, dim=dim), torch.log_softmax(x, dim=dim))


@pytest.mark.grade(part="log_softmax", points=2)
def test_log_softmax_is_stable_for_huge_logits(warmup):
    x = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]])
    got = warmup.log_softmax(x)
    assert torch.isfinite(got).all(), f"log_softmax overflowed: {got}"
    torch.testing.assert_close(got, torch.log_softmax(x, dim=-1))


@pytest.mark.grade(part="autograd", points=3)
def test_fit_line_recovers_slope_and_intercept(warmup):
    g = torch.Generator().manual_seed(4)
    x = torch.linspace(-1, 1, 64)
    y = 3.0 * x - 0.5 + 0.01 * torch.randn(64, generator=g)
    w, b = warmup.fit_line(x, y, steps=500, lr=0.1)
    assert isinstance(w, float) and isinstance(b, float)
    # The least-squares solution is the fixed point gradient descent converges to.
    design = torch.stack([x, torch.ones_like(x)], dim=1)
    w_ls, b_ls = torch.linalg.lstsq(design, y[:, None]).solution.squeeze(1).tolist()
    assert w == pytest.approx(w_ls, abs=1e-3)
    assert b == pytest.approx(b_ls, abs=1e-3)
