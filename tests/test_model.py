"""The model's pieces against PyTorch and Hugging Face Llama modules, plus invariants of GQA/MLA/MoE."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.model import (
    CausalSelfAttention,
    ModelConfig,
    MoEFeedForward,
    MultiHeadLatentAttention,
    RMSNorm,
    RotaryPositionalEmbedding,
    SwiGLU,
    TopKRouter,
    TransformerLM,
    causal_mask,
    load_balancing_loss,
    scaled_dot_product_attention,
    silu,
    softmax,
)
from course_lib.model.moe import expert_capacity

llama = pytest.importorskip("transformers.models.llama.modeling_llama")


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _config(d_model: int = 32, num_heads: int = 4, context_length: int = 16, **fields) -> ModelConfig:
    """A config for one module: the sizes the test names, the rest unused."""
    d_ff = fields.pop("d_ff", 8)
    return ModelConfig(
        vocab_size=2,
        context_length=context_length,
        d_model=d_model,
        num_layers=1,
        num_heads=num_heads,
        d_ff=d_ff,
        **fields,
    )


def test_softmax_and_silu_match_torch():
    x = torch.randn(4, 7, generator=_gen()) * 30
    torch.testing.assert_close(softmax(x, dim=-1), torch.softmax(x, dim=-1))
    torch.testing.assert_close(softmax(x, dim=0), torch.softmax(x, dim=0))
    torch.testing.assert_close(silu(x), F.silu(x))


def test_rmsnorm_matches_torch_and_llama():
    x = torch.randn(2, 5, 16, generator=_gen(1))
    ours = RMSNorm(16, eps=1e-5)
    with torch.no_grad():
        ours.weight.copy_(torch.randn(16, generator=_gen(2)))
    ref = torch.nn.RMSNorm(16, eps=1e-5)
    hf = llama.LlamaRMSNorm(16, eps=1e-5)
    ref.load_state_dict(ours.state_dict())
    hf.load_state_dict(ours.state_dict())
    torch.testing.assert_close(ours(x), ref(x))
    torch.testing.assert_close(ours(x), hf(x))


def test_swiglu_matches_llama_mlp():
    ours = SwiGLU(16, 40)
    cfg = llama.LlamaConfig(hidden_size=16, intermediate_size=40, num_attention_heads=2, mlp_bias=False)
    hf = llama.LlamaMLP(cfg)
    hf.load_state_dict(
        {"gate_proj.weight": ours.w1.weight, "up_proj.weight": ours.w3.weight, "down_proj.weight": ours.w2.weight}
    )
    x = torch.randn(3, 4, 16, generator=_gen(3))
    torch.testing.assert_close(ours(x), hf(x))


@pytest.mark.parametrize("theta", [10000.0, 500000.0])
def test_rope_matches_llama_rotary(theta):
    head_dim, seq = 16, 12
    cfg = llama.LlamaConfig(
        hidden_size=64, num_attention_heads=4, head_dim=head_dim, rope_theta=theta, max_position_embeddings=32
    )
    hf_rope = llama.LlamaRotaryEmbedding(cfg)
    q, k = torch.randn(2, 4, seq, head_dim, generator=_gen(4)), torch.randn(2, 4, seq, head_dim, generator=_gen(5))
    positions = torch.arange(seq)[None].expand(2, seq)
    cos, sin = hf_rope(q, positions)
    q_ref, k_ref = llama.apply_rotary_pos_emb(q, k, cos, sin)
    ours = RotaryPositionalEmbedding(theta, head_dim, 32)
    torch.testing.assert_close(ours(q), q_ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours(k, positions), k_ref, rtol=1e-5, atol=1e-5)


def test_rope_is_relative():
    """q·k after RoPE depends only on the distance between the two positions."""
    rope = RotaryPositionalEmbedding(10000.0, 8, 64)
    q, k = torch.randn(1, 1, 1, 8, generator=_gen(6)), torch.randn(1, 1, 1, 8, generator=_gen(7))

    def score(i: int, j: int) -> torch.Tensor:
        return (rope(q, torch.tensor([i])) * rope(k, torch.tensor([j]))).sum()

    torch.testing.assert_close(score(5, 2), score(40, 37), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="positions"):
        rope(q, torch.tensor([64]))


def test_textbook_attention_matches_torch_sdpa():
    q, k, v = (torch.randn(2, 3, 6, 8, generator=_gen(s)) for s in (8, 9, 10))
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, causal_mask(6)), F.scaled_dot_product_attention(q, k, v, is_causal=True)
    )
    mask = torch.rand(6, 6, generator=_gen(11)) > 0.3
    mask[:, 0] = True  # every query sees at least one key
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, mask), F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    )
    with pytest.raises(ValueError, match="incompatible"):
        scaled_dot_product_attention(q, k[..., :4], v)


def test_gqa_equals_mha_with_repeated_kv_heads():
    """GQA with g query heads per KV head is MHA whose K/V projections repeat each KV head g times."""
    torch.manual_seed(0)
    gqa = CausalSelfAttention(_config(num_heads=8, num_kv_heads=2))
    mha = CausalSelfAttention(_config(num_heads=8))
    dh = gqa.head_dim
    with torch.no_grad():
        mha.q_proj.weight.copy_(gqa.q_proj.weight)
        mha.output_proj.weight.copy_(gqa.output_proj.weight)
        for name in ("k_proj", "v_proj"):
            w = getattr(gqa, name).weight.view(2, dh, 32).repeat_interleave(4, dim=0).reshape(8 * dh, 32)
            getattr(mha, name).weight.copy_(w)
    x = torch.randn(2, 10, 32, generator=_gen(12))
    torch.testing.assert_close(gqa(x), mha(x), rtol=1e-5, atol=1e-5)


def test_attention_is_causal():
    torch.manual_seed(1)
    model = TransformerLM(
        vocab_size=30, context_length=16, d_model=32, num_layers=2, num_heads=4, d_ff=64, num_kv_heads=2
    )
    ids = torch.randint(0, 30, (1, 12), generator=_gen(13))
    changed = ids.clone()
    changed[0, 8:] = (changed[0, 8:] + 1) % 30
    with torch.no_grad():
        torch.testing.assert_close(model(ids)[:, :8], model(changed)[:, :8])
        assert not torch.allclose(model(ids)[:, 8:], model(changed)[:, 8:])


def test_mla_matches_explicit_formula():
    torch.manual_seed(2)
    mla = MultiHeadLatentAttention(_config(), kv_rank=8, rope_dim=4)
    x = torch.randn(2, 9, 32, generator=_gen(14))
    h, dh, dr = 4, 8, 4
    q = mla.q_proj(x).view(2, 9, h, dh + dr).transpose(1, 2)
    latent = x @ mla.kv_down.weight.T
    k_nope = (latent @ mla.k_up.weight.T).view(2, 9, h, dh).transpose(1, 2)
    v = (latent @ mla.v_up.weight.T).view(2, 9, h, dh).transpose(1, 2)
    k_rope = mla.rope((x @ mla.k_rope_proj.weight.T)[:, None])
    q_rope = mla.rope(q[..., dh:])
    scores = (q[..., :dh] @ k_nope.transpose(-1, -2) + q_rope @ k_rope.transpose(-1, -2)) / (dh + dr) ** 0.5
    scores = scores.masked_fill(~causal_mask(9), float("-inf"))
    expected = (softmax(scores) @ v).transpose(1, 2).reshape(2, 9, h * dh) @ mla.output_proj.weight.T
    torch.testing.assert_close(mla(x), expected, rtol=1e-4, atol=1e-5)
    assert mla.cache_width() == 12


def test_mla_absorbed_path_equals_the_naive_path():
    torch.manual_seed(4)
    mla = MultiHeadLatentAttention(_config(), kv_rank=8, rope_dim=4)
    x = torch.randn(2, 11, 32, generator=_gen(16))
    with torch.no_grad():
        full = mla(x)
        torch.testing.assert_close(mla.forward_absorbed(x), full, rtol=1e-4, atol=1e-5)
        # Decoding: the last 3 tokens attend to a cache of all 11 tokens' latents and RoPE keys.
        latent, k_rope = mla.compress(x)
        assert latent.shape == (2, 11, 8) and k_rope.shape == (2, 11, 4)
        torch.testing.assert_close(
            mla.forward_absorbed(x[:, -3:], (latent, k_rope)), full[:, -3:], rtol=1e-4, atol=1e-5
        )
        w_q_latent, w_o_latent = mla.absorbed_weights()
    assert w_q_latent.shape == (4, 32, 8) and w_o_latent.shape == (4, 8, 32)
    with pytest.raises(ValueError, match="cache"):
        mla.forward_absorbed(x, (latent[:, :5], k_rope[:, :5]))


def test_router_picks_top_k_and_normalises():
    torch.manual_seed(3)
    router = TopKRouter(_config(d_model=16, num_experts=6, top_k=2))
    x = torch.randn(20, 16, generator=_gen(15))
    r = router(x)
    logits = x @ router.weight.T
    torch.testing.assert_close(r.indices, logits.topk(2, dim=-1).indices)
    torch.testing.assert_close(r.weights, logits.topk(2, dim=-1).values.softmax(-1))
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(20))
    with pytest.raises(ValueError, match="top_k"):
        _config(d_model=16, num_experts=2, top_k=3)


def test_load_balancing_loss_by_hand():
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.5, 0.1, 0.4]])
    indices = torch.tensor([[0], [1], [0], [0]])
    # f = (3/4, 1/4, 0), P = column means
    expected = 3 * (0.75 * 0.475 + 0.25 * 0.35 + 0.0 * 0.175)
    assert load_balancing_loss(probs, indices, 3).item() == pytest.approx(expected)
    uniform = torch.full((4, 3), 1 / 3)
    assert load_balancing_loss(uniform, indices, 3).item() == pytest.approx(1.0)


def test_moe_matches_per_token_reference():
    torch.manual_seed(4)
    moe = MoEFeedForward(_config(d_model=16, d_ff=24, num_experts=4, top_k=2))
    x = torch.randn(2, 5, 16, generator=_gen(16))
    out = moe(x)
    flat = x.reshape(-1, 16)
    r = moe.router(flat)
    expected = torch.stack(
        [sum(r.weights[t, j] * moe.experts[int(r.indices[t, j])](flat[t]) for j in range(2)) for t in range(10)]
    )
    torch.testing.assert_close(out.reshape(-1, 16), expected, rtol=1e-5, atol=1e-6)
    assert int(moe.expert_counts.sum()) == 20 and moe.dropped == 0


def test_single_expert_moe_is_the_dense_ffn():
    torch.manual_seed(5)
    moe = MoEFeedForward(_config(d_model=16, d_ff=24, num_experts=1, top_k=1))
    x = torch.randn(3, 16, generator=_gen(17))
    torch.testing.assert_close(moe(x), moe.experts[0](x))


def test_moe_capacity_drops_overflow():
    torch.manual_seed(6)
    moe = MoEFeedForward(_config(d_model=8, num_heads=2, d_ff=12, num_experts=2, top_k=1, capacity_factor=0.5))
    with torch.no_grad():
        moe.router.weight.copy_(torch.tensor([[1.0] * 8, [-1.0] * 8]))
    x = torch.ones(1, 10, 8)  # every token prefers expert 0
    out = moe(x)
    capacity = expert_capacity(10, 2, 1, 0.5)
    assert capacity == 3 and moe.expert_counts.tolist() == [3, 0] and moe.dropped == 7
    assert (out[0, 3:] == 0).all() and (out[0, :3] != 0).any()


def test_moe_model_trains_with_aux_loss():
    torch.manual_seed(7)
    model = TransformerLM(
        vocab_size=20, context_length=8, d_model=16, num_layers=2, num_heads=2, d_ff=24, num_experts=4, top_k=2
    )
    ids = torch.randint(0, 20, (2, 8), generator=_gen(18))
    logits = model(ids)
    assert logits.shape == (2, 8, 20)
    aux = model.aux_loss()
    assert aux.requires_grad and aux.item() >= 2.0 - 1e-5  # two layers, each >= 1 up to routing ties
    (logits.sum() + aux).backward()
    assert model.layers[0].ffn.router.weight.grad is not None


def test_config_and_input_validation():
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(vocab_size=10, context_length=8, d_model=30, num_layers=1, num_heads=4, d_ff=8)
    with pytest.raises(ValueError, match="num_kv_heads"):
        ModelConfig(vocab_size=10, context_length=8, d_model=32, num_layers=1, num_heads=4, d_ff=8, num_kv_heads=3)
    with pytest.raises(ValueError, match="positive"):
        ModelConfig(vocab_size=0, context_length=8, d_model=32, num_layers=1, num_heads=4, d_ff=8)
    with pytest.raises(ValueError, match="unknown"):
        ModelConfig.from_dict({"vocab_size": 1, "bogus": 2})
    model = TransformerLM(vocab_size=10, context_length=8, d_model=16, num_layers=1, num_heads=2, d_ff=8)
    with pytest.raises(ValueError, match="context_length"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="token ids"):
        model(torch.full((1, 4), 10))
    with pytest.raises(ValueError, match="batch, seq"):
        model(torch.zeros(4, dtype=torch.long))
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())
