"""Interop with transformers' LlamaForCausalLM: same logits both ways, with MHA, GQA and MQA."""

from __future__ import annotations

import pytest
import torch

from course_lib.model import TransformerLM, from_hf_llama, to_hf_llama
from course_lib.model.hf import course_name, hf_name

transformers = pytest.importorskip("transformers")


def _model(num_kv_heads: int | None, seed: int = 0) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(
        vocab_size=101,
        context_length=32,
        d_model=64,
        num_layers=2,
        num_heads=8,
        d_ff=96,
        rope_theta=5000.0,
        num_kv_heads=num_kv_heads,
    )


@pytest.mark.parametrize("num_kv_heads", [None, 2, 1])
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_export_gives_same_logits(num_kv_heads, attn):
    model = _model(num_kv_heads).eval()
    hf = to_hf_llama(model, attn_implementation=attn)
    assert isinstance(hf, transformers.LlamaForCausalLM)
    assert hf.config.num_key_value_heads == (num_kv_heads or 8)
    ids = torch.randint(0, 101, (3, 20), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(model(ids), hf(ids).logits, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("num_kv_heads", [4, 1])
def test_import_gives_same_logits(num_kv_heads):
    torch.manual_seed(2)
    config = transformers.LlamaConfig(
        vocab_size=77,
        hidden_size=48,
        intermediate_size=80,
        num_hidden_layers=3,
        num_attention_heads=8,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=24,
        rms_norm_eps=1e-6,
        rope_theta=20000.0,
        tie_word_embeddings=False,
    )
    hf = transformers.LlamaForCausalLM(config).eval()
    model = from_hf_llama(hf).eval()
    assert model.config.kv_heads == num_kv_heads and model.config.rope_theta == 20000.0
    ids = torch.randint(0, 77, (2, 24), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(model(ids), hf(ids).logits, rtol=1e-4, atol=1e-4)


def test_round_trip_preserves_every_weight_and_name():
    model = _model(2)
    back = from_hf_llama(to_hf_llama(model))
    assert back.config == model.config
    for (name, a), (name_b, b) in zip(model.state_dict().items(), back.state_dict().items(), strict=True):
        assert name == name_b and torch.equal(a, b)
        assert course_name(hf_name(name)) == name


def test_gradients_match():
    model = _model(2)
    hf = to_hf_llama(model)
    ids = torch.randint(0, 101, (2, 16), generator=torch.Generator().manual_seed(4))
    model(ids).logsumexp(-1).mean().backward()
    hf(ids).logits.logsumexp(-1).mean().backward()
    ours = dict(model.named_parameters())
    for name, p in hf.named_parameters():
        torch.testing.assert_close(ours[course_name(name)].grad, p.grad, rtol=1e-4, atol=1e-5)


def test_unsupported_models_are_refused():
    moe = TransformerLM(
        vocab_size=10, context_length=8, d_model=16, num_layers=1, num_heads=2, d_ff=8, num_experts=2, top_k=1
    )
    with pytest.raises(ValueError, match="mixture-of-experts"):
        to_hf_llama(moe)
    tied = transformers.LlamaForCausalLM(
        transformers.LlamaConfig(
            vocab_size=10,
            hidden_size=16,
            intermediate_size=8,
            num_hidden_layers=1,
            num_attention_heads=2,
            tie_word_embeddings=True,
        )
    )
    with pytest.raises(ValueError, match="tied"):
        from_hf_llama(tied)
    with pytest.raises(KeyError):
        hf_name("layers.0.attn.bogus.weight")
