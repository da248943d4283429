"""Assignment 1, part 2 (the model): each module against PyTorch and the course library.

Weights are loaded by the state-dict names of the handout, so each comparison is exact up to float
rounding; tolerances are loose enough for any CPU.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib import model as ref

TOL = {"rtol": 1e-4, "atol": 1e-5}


@pytest.fixture(scope="module")
def nn_(load_impl):
    return load_impl("a1_basics.nn")


@pytest.fixture(scope="module")
def lm(load_impl):
    return load_impl("a1_basics.model")


def _g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randomise(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Random (not default) values in every parameter, so a missed gain or a swapped name shows."""
    g = _g(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3 + (1.0 if p.ndim == 1 else 0.0))
    return module


@pytest.mark.grade(part="layers", points=2)
def test_linear(nn_):
    layer = nn_.Linear(64, 48)
    assert layer.weight.shape == (48, 64)
    std = math.sqrt(2 / (64 + 48))
    assert float(layer.weight.detach().std()) == pytest.approx(std, rel=0.15), "initialise with variance 2 / (in + out)"
    assert float(layer.weight.detach().abs().max()) <= 3 * std + 1e-6, "truncate the initialisation at 3 standard deviations"
    w = torch.randn(48, 64, generator=_g(0))
    layer.load_state_dict({"weight": w})
    x = torch.randn(2, 5, 64, generator=_g(1))
    torch.testing.assert_close(layer(x), F.linear(x, w), **TOL)


@pytest.mark.grade(part="layers", points=1)
def test_embedding(nn_):
    emb = nn_.Embedding(30, 8)
    w = torch.randn(30, 8, generator=_g(2))
    emb.load_state_dict({"weight": w})
    ids = torch.randint(0, 30, (3, 7), generator=_g(3))
    torch.testing.assert_close(emb(ids), F.embedding(ids, w))


@pytest.mark.grade(part="layers", points=2)
def test_rmsnorm(nn_):
    norm = _randomise(nn_.RMSNorm(16, eps=1e-5), 4)
    reference = torch.nn.RMSNorm(16, eps=1e-5)
    reference.load_state_dict(norm.state_dict())
    x = torch.randn(4, 3, 16, generator=_g(5)) * 4
    torch.testing.assert_close(norm(x), reference(x), **TOL)
    x16 = x.to(torch.bfloat16)
    assert norm.to(torch.bfloat16)(x16).dtype == torch.bfloat16


@pytest.mark.grade(part="layers", points=2)
def test_silu_and_swiglu(nn_):
    x = torch.randn(5, 16, generator=_g(6)) * 3
    torch.testing.assert_close(nn_.silu(x), F.silu(x), **TOL)
    ffn = _randomise(nn_.SwiGLU(16, 40), 7)
    oracle = ref.SwiGLU(16, 40)
    oracle.load_state_dict(ffn.state_dict())
    torch.testing.assert_close(ffn(x), oracle(x), **TOL)


@pytest.mark.grade(part="layers", points=2)
def test_softmax(nn_):
    x = torch.randn(4, 9, generator=_g(8)) * 10
    torch.testing.assert_close(nn_.softmax(x, dim=-1), torch.softmax(x, dim=-1), **TOL)
    torch.testing.assert_close(nn_.softmax(x, dim=0), torch.softmax(x, dim=0), **TOL)
    huge = torch.tensor([[1e4, 0.0, -1e4]])
    out = nn_.softmax(huge, dim=-1)
    assert torch.isfinite(out).all(), "softmax overflowed: subtract the max first"
    torch.testing.assert_close(out, torch.softmax(huge, dim=-1))


@pytest.mark.grade(part="layers", points=2)
def test_cross_entropy(nn_):
    logits = torch.randn(3, 5, 11, generator=_g(9)) * 3
    targets = torch.randint(0, 11, (3, 5), generator=_g(10))
    expected = F.cross_entropy(logits.reshape(-1, 11), targets.reshape(-1))
    torch.testing.assert_close(nn_.cross_entropy(logits, targets), expected, **TOL)
    huge = torch.tensor([[1e4, 0.0], [-1e4, 1e4]])
    got = nn_.cross_entropy(huge, torch.tensor([1, 1]))
    assert torch.isfinite(got), "cross_entropy overflowed: use the log-sum-exp trick"
    torch.testing.assert_close(got, F.cross_entropy(huge, torch.tensor([1, 1])))


@pytest.mark.grade(part="attention", points=3)
def test_rope(nn_):
    rope = nn_.RotaryPositionalEmbedding(10000.0, 16, 32)
    assert not dict(rope.state_dict()), "the cos/sin tables are buffers with persistent=False"
    oracle = ref.RotaryPositionalEmbedding(10000.0, 16, 32)
    x = torch.randn(2, 4, 10, 16, generator=_g(11))
    positions = torch.arange(10)
    torch.testing.assert_close(rope(x, positions), oracle(x), **TOL)
    shifted = torch.randint(0, 32, (2, 10), generator=_g(12))
    torch.testing.assert_close(rope(x[:, 0], shifted), oracle(x[:, :1], shifted)[:, 0], **TOL)


@pytest.mark.grade(part="attention", points=3)
def test_scaled_dot_product_attention(nn_):
    q, k, v = (torch.randn(2, 3, 6, 8, generator=_g(s)) for s in (13, 14, 15))
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    torch.testing.assert_close(nn_.scaled_dot_product_attention(q, k, v, causal),
                               F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL)
    torch.testing.assert_close(nn_.scaled_dot_product_attention(q, k, v),
                               F.scaled_dot_product_attention(q, k, v), **TOL)
    v_wide = torch.randn(2, 3, 6, 5, generator=_g(16))
    mask = torch.rand(6, 6, generator=_g(17)) > 0.4
    mask[:, 0] = True
    torch.testing.assert_close(nn_.scaled_dot_product_attention(q, k, v_wide, mask),
                               F.scaled_dot_product_attention(q, k, v_wide, attn_mask=mask), **TOL)


@pytest.mark.grade(part="attention", points=4)
def test_multihead_self_attention(nn_):
    attn = _randomise(nn_.CausalSelfAttention(32, 4, 16, 10000.0), 18)
    config = ref.ModelConfig(vocab_size=2, context_length=16, d_model=32, num_layers=1, num_heads=4, d_ff=64)
    oracle = ref.CausalSelfAttention(config)
    oracle.load_state_dict(attn.state_dict())
    x = torch.randn(2, 12, 32, generator=_g(19))
    torch.testing.assert_close(attn(x), oracle(x), **TOL)
    positions = torch.arange(3, 15)
    torch.testing.assert_close(attn(x, positions), oracle(x, positions), **TOL)


@pytest.mark.grade(part="transformer", points=3)
def test_transformer_block(nn_):
    block = _randomise(nn_.TransformerBlock(32, 4, 64, 16, 10000.0), 20)
    config = ref.ModelConfig(vocab_size=2, context_length=16, d_model=32, num_layers=1, num_heads=4, d_ff=64)
    oracle = ref.TransformerBlock(config)
    oracle.load_state_dict(block.state_dict())
    x = torch.randn(2, 10, 32, generator=_g(21))
    torch.testing.assert_close(block(x), oracle(x), **TOL)


@pytest.mark.grade(part="transformer", points=4)
def test_transformer_lm_matches_library_and_hf_llama(lm):
    kwargs = {"vocab_size": 50, "context_length": 16, "d_model": 32, "num_layers": 2, "num_heads": 4, "d_ff": 64,
              "rope_theta": 10000.0}
    model = _randomise(lm.TransformerLM(**kwargs), 22)
    oracle = ref.TransformerLM(**kwargs)
    oracle.load_state_dict(model.state_dict())  # strict: every documented name, nothing else
    ids = torch.randint(0, 50, (3, 16), generator=_g(23))
    with torch.no_grad():
        logits = model(ids)
        assert logits.shape == (3, 16, 50)
        torch.testing.assert_close(logits, oracle(ids), **TOL)
        hf = ref.to_hf_llama(oracle)
        torch.testing.assert_close(logits, hf(ids).logits, **TOL)
