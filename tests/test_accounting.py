"""Accounting formulas against measurements: numel, FlopCounterMode, tensor bytes, HF's KV cache."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.accounting import (
    BYTES_PER_PARAMETER,
    PUBLISHED_MODELS,
    activation_bytes,
    flop_counter,
    forward_flops,
    kv_cache_bytes_per_token,
    measure_saved_bytes,
    mfu,
    parameter_counts,
    six_n_d,
    training_days,
    training_flops,
    training_memory,
)
from course_lib.model import ModelConfig, TransformerLM
from course_lib.training import AdamW

CONFIGS = {
    "mha": ModelConfig(vocab_size=97, context_length=32, d_model=64, num_layers=2, num_heads=8, d_ff=96),
    "gqa": ModelConfig(
        vocab_size=97, context_length=32, d_model=64, num_layers=3, num_heads=8, d_ff=160, num_kv_heads=2
    ),
    "mqa": ModelConfig(
        vocab_size=50, context_length=16, d_model=32, num_layers=1, num_heads=4, d_ff=64, num_kv_heads=1
    ),
    "moe": ModelConfig(
        vocab_size=40, context_length=16, d_model=32, num_layers=2, num_heads=4, d_ff=48, num_experts=4, top_k=2
    ),
}


def _model(config: ModelConfig) -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM.from_config(config)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_parameter_count_matches_numel(name):
    config = CONFIGS[name]
    model = _model(config)
    counts = parameter_counts(config)
    assert counts.total == sum(p.numel() for p in model.parameters())
    assert counts.embedding == model.token_embeddings.weight.numel()
    assert counts.non_embedding == model.num_parameters(exclude_embeddings=True)
    if config.is_moe:
        one_expert = sum(p.numel() for p in model.layers[0].ffn.experts[0].parameters())
        assert counts.total - counts.active == config.num_layers * (config.num_experts - config.top_k) * one_expert
    else:
        assert counts.active == counts.total


@pytest.mark.parametrize("name", list(CONFIGS))
def test_forward_flops_match_flop_counter(name):
    config = CONFIGS[name]
    model = _model(config)
    ids = torch.randint(0, config.vocab_size, (3, config.context_length))
    with torch.no_grad(), flop_counter() as counter:
        model(ids)
    assert counter.get_total_flops() == forward_flops(config, 3, config.context_length).total


@pytest.mark.parametrize("name", ["mha", "gqa", "moe"])
def test_training_flops_match_flop_counter(name):
    config = CONFIGS[name]
    model = _model(config)
    ids = torch.randint(0, config.vocab_size, (2, config.context_length))
    with flop_counter() as counter:
        logits = model(ids)
        F.cross_entropy(logits.flatten(0, 1), ids.flatten()).backward()
    assert counter.get_total_flops() == training_flops(config, 2, config.context_length)


def test_six_n_d_is_the_matmul_part_of_training_flops():
    config = ModelConfig(vocab_size=1000, context_length=64, d_model=512, num_layers=4, num_heads=8, d_ff=2048)
    counts = parameter_counts(config)
    exact = training_flops(config, 1, 64)
    approx = six_n_d(counts.total - counts.embedding, 64)
    assert approx == pytest.approx(exact, rel=0.05)  # attention at seq 64 adds only a little


def test_flop_counter_counts_attention():
    """Without our mapping PyTorch's counter misses the fused CPU attention kernel entirely."""
    q = k = v = torch.randn(1, 2, 8, 4)
    with flop_counter() as counter:
        F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert counter.get_total_flops() == 4 * 2 * 8 * 8 * 4


@pytest.mark.parametrize("name", ["mha", "gqa"])
def test_training_memory_matches_measured_tensors(name):
    config = CONFIGS[name]
    model = _model(config)
    optimizer = AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, config.vocab_size, (4, config.context_length))
    exclude = list(model.parameters()) + list(model.buffers())
    with measure_saved_bytes(exclude) as saved:
        loss = F.cross_entropy(model(ids).flatten(0, 1), ids.flatten())
    loss.backward()
    optimizer.step()
    predicted = training_memory(config, 4, config.context_length, "fp32")
    assert predicted.parameters == sum(p.nbytes for p in model.parameters())
    assert predicted.gradients == sum(p.grad.nbytes for p in model.parameters())
    assert predicted.optimizer == sum(
        t.nbytes for s in optimizer.state.values() for t in s.values() if torch.is_tensor(t)
    )
    assert saved["bytes"] == pytest.approx(predicted.activations, rel=0.02)
    assert activation_bytes(config, 8, 16) == activation_bytes(config, 4, 32)  # linear in tokens
    assert sum(BYTES_PER_PARAMETER["mixed"].values()) == sum(BYTES_PER_PARAMETER["fp32"].values()) == 16


def test_kv_cache_bytes_match_hf_cache():
    pytest.importorskip("transformers")
    from course_lib.model import to_hf_llama

    config = CONFIGS["gqa"]
    hf = to_hf_llama(_model(config)).to(torch.bfloat16)
    ids = torch.randint(0, config.vocab_size, (1, 20))
    with torch.no_grad():
        cache = hf(ids, use_cache=True).past_key_values
    measured = sum(layer.keys.nbytes + layer.values.nbytes for layer in cache.layers)
    assert measured == 20 * kv_cache_bytes_per_token(config.num_layers, config.kv_heads, config.head_dim, 2)


@pytest.mark.parametrize("name", ["Llama-2-7B", "Llama-3-8B", "Mistral-7B", "Qwen2-7B"])
def test_published_parameter_counts_match_hf_llama(name):
    transformers = pytest.importorskip("transformers")
    m = next(p for p in PUBLISHED_MODELS if p.name == name)
    config = transformers.LlamaConfig(
        vocab_size=m.vocab_size,
        hidden_size=m.d_model,
        intermediate_size=m.d_ff,
        num_hidden_layers=m.num_layers,
        num_attention_heads=m.num_heads,
        num_key_value_heads=m.num_kv_heads,
        head_dim=m.head_dim,
        tie_word_embeddings=m.tied_embeddings,
    )
    with torch.device("meta"):
        hf = transformers.LlamaForCausalLM(config)
    norms = (2 * m.num_layers + 1) * m.d_model
    assert m.parameters() == sum(p.numel() for p in hf.parameters()) - norms


def test_napkin_math_and_errors():
    # 6 N D / (GPUs * peak * MFU): 1e24 FLOPs on 1000 GPUs of 1e15 FLOP/s at 50% is 2e6 s.
    assert training_days(1e12 / 6, 1e12, 1000, 1e15, 0.5) == pytest.approx(2e6 / 86400)
    assert mfu(5e14, 1.0, 1e15) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="mfu"):
        training_days(1e9, 1e9, 8, 1e15, 1.5)
    with pytest.raises(ValueError, match="precision"):
        training_memory(CONFIGS["mha"], 1, 8, "fp8")
    with pytest.raises(ValueError, match="MLA"):
        next(p for p in PUBLISHED_MODELS if p.kv_rank).parameters()


def test_flop_counter_counts_grouped_query_attention_per_query_head():
    # Some PyTorch versions hand the fused CPU kernel keys and values with fewer heads than the
    # queries (grouped-query attention); the count must equal that of the same heads expanded.
    aten = torch.ops.aten
    if not hasattr(aten, "_scaled_dot_product_flash_attention_for_cpu"):
        pytest.skip("this PyTorch has no fused CPU attention kernel")
    registry = flop_counter().flop_registry
    forward = registry[aten._scaled_dot_product_flash_attention_for_cpu]
    backward = registry[aten._scaled_dot_product_flash_attention_for_cpu_backward]
    q, grad = torch.empty(2, 8, 16, 32), torch.empty(2, 8, 16, 32)
    kv_grouped, kv_full = torch.empty(2, 2, 16, 32), torch.empty(2, 8, 16, 32)
    expected = 2 * (2 * 2 * 8 * 16 * 16 * 32)  # scores and weighted sum, 2 FLOPs per multiply-add
    assert forward(q, kv_grouped, kv_grouped, out_val=q) == forward(q, kv_full, kv_full, out_val=q) == expected
    assert (
        backward(grad, q, kv_grouped, kv_grouped, out_val=q)
        == backward(grad, q, kv_full, kv_full, out_val=q)
        > expected
    )
