"""The ablation switches of the model: the course's attention against PyTorch's fused one, RoPE in
both layouts (with the weight conversion between them) and no position encoding (NoPE)."""

from __future__ import annotations

import pytest
import torch

from course_lib.inference import KVCache, forward_with_cache
from course_lib.model import (
    CausalSelfAttention,
    ModelConfig,
    MultiHeadLatentAttention,
    RotaryPositionalEmbedding,
    SwiGLU,
    TransformerLM,
    convert_rope_layout,
    half_to_interleaved,
    interleaved_to_half,
    to_hf_llama,
)

SIZES = {"vocab_size": 40, "context_length": 16, "d_model": 32, "num_layers": 2, "num_heads": 4, "d_ff": 48}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _model(seed: int = 0, **fields) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(**{**SIZES, **fields}).eval()


def _ids(seed: int, batch: int = 2, seq: int = 12) -> torch.Tensor:
    return torch.randint(0, SIZES["vocab_size"], (batch, seq), generator=_gen(seed))


# ---------------------------------------------------------------- fused (PyTorch) vs the course's attention
@pytest.mark.parametrize("num_kv_heads", [4, 2, 1], ids=["mha", "gqa", "mqa"])
def test_fused_and_course_attention_agree_in_values_and_gradients(num_kv_heads):
    config = ModelConfig(**SIZES, num_kv_heads=num_kv_heads)
    torch.manual_seed(1)
    fused = CausalSelfAttention(config)
    course = CausalSelfAttention(config)
    course.load_state_dict(fused.state_dict())
    course.fused = False
    assert fused.fused
    x = torch.randn(2, 11, 32, generator=_gen(2), dtype=torch.float64)
    fused.double(), course.double()
    x_fused, x_course = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_fused, out_course = fused(x_fused), course(x_course)
    torch.testing.assert_close(out_course, out_fused)
    upstream = torch.randn(out_fused.shape, generator=_gen(3), dtype=torch.float64)
    (out_fused * upstream).sum().backward()
    (out_course * upstream).sum().backward()
    torch.testing.assert_close(x_course.grad, x_fused.grad)
    for (name, p_fused), p_course in zip(fused.named_parameters(), course.parameters()):
        torch.testing.assert_close(p_course.grad, p_fused.grad, msg=lambda m: f"{name}: {m}")


def test_fused_and_course_silu_agree_in_swiglu():
    torch.manual_seed(21)
    fused = SwiGLU(16, 40).double()
    course = SwiGLU(16, 40, fused=False).double()
    course.load_state_dict(fused.state_dict())
    x = (torch.randn(3, 5, 16, generator=_gen(22), dtype=torch.float64) * 3).requires_grad_()
    torch.testing.assert_close(course(x), fused(x))
    grads = [torch.autograd.grad(m(x).square().sum(), [x, *m.parameters()]) for m in (fused, course)]
    for g_fused, g_course in zip(*grads):
        torch.testing.assert_close(g_course, g_fused)


def test_course_attention_is_causal():
    config = ModelConfig(**SIZES, num_kv_heads=2, fused=False)
    torch.manual_seed(4)
    attn = CausalSelfAttention(config)
    x = torch.randn(1, 10, 32, generator=_gen(5))
    changed = x.clone()
    changed[:, 6:] += 1.0
    with torch.no_grad():
        torch.testing.assert_close(attn(changed)[:, :6], attn(x)[:, :6])
        assert not torch.allclose(attn(changed)[:, 6:], attn(x)[:, 6:])


def test_fused_switch_gives_the_same_model_and_mla():
    fused = _model(6, num_kv_heads=2)
    course = TransformerLM.from_config(ModelConfig(**{**fused.config.to_dict(), "fused": False})).eval()
    course.load_state_dict(fused.state_dict())
    assert not any(getattr(m, "fused", False) for m in course.modules())  # attention and SwiGLU alike
    ids = _ids(7)
    with torch.no_grad():
        torch.testing.assert_close(course(ids), fused(ids), rtol=1e-5, atol=1e-5)
    torch.manual_seed(8)
    mla = MultiHeadLatentAttention(fused.config, kv_rank=8, rope_dim=4)
    x = torch.randn(2, 9, 32, generator=_gen(9))
    with torch.no_grad():
        reference = mla(x)
        mla.fused = False
        torch.testing.assert_close(mla(x), reference, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- RoPE layouts
def _meta_rotary(x: torch.Tensor, theta: float, positions: torch.Tensor) -> torch.Tensor:
    """Meta's original Llama ``apply_rotary_emb``: neighbouring pairs as complex numbers, times ``e^{i angle}``."""
    d = x.shape[-1]
    freqs = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64)[: d // 2] / d)
    rotation = torch.polar(torch.ones(len(positions), d // 2, dtype=torch.float64), positions[:, None].double() * freqs)
    pairs = torch.view_as_complex(x.double().reshape(*x.shape[:-1], d // 2, 2))
    return torch.view_as_real(pairs * rotation).flatten(-2).to(x.dtype)


@pytest.mark.parametrize("theta", [10000.0, 500000.0])
def test_interleaved_rope_matches_metas_complex_formula(theta):
    rope = RotaryPositionalEmbedding(theta, 16, 32, interleaved=True)
    x = torch.randn(2, 3, 10, 16, generator=_gen(10))
    positions = torch.arange(5, 15)
    torch.testing.assert_close(rope(x, positions), _meta_rotary(x, theta, positions), rtol=1e-5, atol=1e-5)


def test_layout_permutations_are_inverse():
    w = torch.randn(4 * 8, 32, generator=_gen(11))
    assert torch.equal(half_to_interleaved(interleaved_to_half(w, 8), 8), w)
    moved = interleaved_to_half(w, 8).view(4, 8, 32)
    # head 1, rotate-half dimension 4 (pair 0, second half) is interleaved dimension 1 (pair 0, odd)
    assert torch.equal(moved[1, 4], w.view(4, 8, 32)[1, 1]) and torch.equal(moved[1, 1], w.view(4, 8, 32)[1, 2])


@pytest.mark.parametrize("num_kv_heads", [4, 2])
def test_converting_the_rope_layout_keeps_the_logits(num_kv_heads):
    interleaved = _model(12, num_kv_heads=num_kv_heads, position_encoding="rope_interleaved")
    half = convert_rope_layout(interleaved, "rope")
    assert half.config.position_encoding == "rope" and half.config.num_kv_heads == num_kv_heads
    ids = _ids(13)
    with torch.no_grad():
        logits = interleaved(ids)
        torch.testing.assert_close(half(ids), logits, rtol=1e-5, atol=1e-5)
        back = convert_rope_layout(half, "rope_interleaved")
        assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), interleaved.state_dict().values()))
        unconverted = TransformerLM.from_config(half.config).eval()
        unconverted.load_state_dict(interleaved.state_dict())  # the same weights, read in the other layout
        assert not torch.allclose(unconverted(ids), logits, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="RoPE layouts"):
        convert_rope_layout(interleaved, "nope")


def test_interleaved_model_exports_to_hf_llama_with_the_same_logits():
    pytest.importorskip("transformers")
    model = _model(14, num_kv_heads=2, position_encoding="rope_interleaved")
    ids = _ids(15)
    with torch.no_grad():
        torch.testing.assert_close(to_hf_llama(model)(ids).logits, model(ids), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- NoPE
def test_nope_sees_a_set_of_earlier_tokens_not_their_order():
    """One layer without position encoding: a query sees the earlier tokens as a set, so swapping
    tokens 0 and 1 changes no later logit; with RoPE it does."""
    ids = _ids(16, batch=1)
    swapped = ids.clone()
    swapped[0, [0, 1]] = ids[0, [1, 0]]
    assert ids[0, 0] != ids[0, 1]
    nope = _model(17, num_layers=1, position_encoding="nope")
    rope = _model(17, num_layers=1)
    assert nope.layers[0].attn.rope is None and not list(nope.buffers())
    with torch.no_grad():
        torch.testing.assert_close(nope(swapped)[:, 2:], nope(ids)[:, 2:], rtol=1e-5, atol=1e-5)
        assert not torch.allclose(rope(swapped)[:, 2:], rope(ids)[:, 2:], rtol=1e-3, atol=1e-3)


def test_nope_allows_an_odd_head_dimension_rope_does_not():
    assert ModelConfig(**{**SIZES, "d_model": 36}, position_encoding="nope").head_dim == 9
    with pytest.raises(ValueError, match="even head dimension"):
        ModelConfig(**{**SIZES, "d_model": 36})
    with pytest.raises(ValueError, match="position_encoding"):
        ModelConfig(**SIZES, position_encoding="alibi")
    with pytest.raises(ValueError, match="NoPE"):
        to_hf_llama(_model(18, position_encoding="nope"))


@pytest.mark.parametrize("position_encoding", ["rope_interleaved", "nope"])
def test_the_kv_cache_follows_the_position_encoding(position_encoding):
    model = _model(19, num_kv_heads=2, position_encoding=position_encoding)
    ids = _ids(20, seq=14)
    with torch.no_grad():
        full = model(ids)
        cache = KVCache(model, 2, 14)
        parts = [forward_with_cache(model, ids[:, :6], cache.advance(6), cache)]
        for t in range(6, 14):  # one token at a time, as decoding does
            parts.append(forward_with_cache(model, ids[:, t : t + 1], cache.advance(1), cache))
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-5)
