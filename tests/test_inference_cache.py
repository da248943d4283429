"""The KV cache against the uncached forward pass, for MHA, GQA, MQA and MLA; batching, stops, streaming."""

from __future__ import annotations

import pytest
import torch

from course_lib.inference import (
    KVCache,
    SamplingParams,
    cache_width,
    forward_with_cache,
    fuse_weights,
    generate,
    kv_bytes_per_token,
    left_pad,
    stream_generate,
)
from course_lib.model import ModelConfig, TransformerLM
from tests.inference_helpers import VARIANTS, random_prompts, tiny_model


@pytest.mark.parametrize("fused", [False, True], ids=["modules", "fused"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_prefill_then_decode_matches_the_uncached_forward(variant, fused):
    model = tiny_model(variant)
    weights = fuse_weights(model) if fused else None
    if fused:  # every block of the MHA/GQA/MQA models takes the fused path; MLA's run as modules
        assert all((layer is None) == (variant == "mla") for layer in weights.layers)
    ids = torch.randint(0, 64, (2, 20), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        full = model(ids)
        cache = KVCache(model, 2, 20)
        parts = [forward_with_cache(model, ids[:, :8], cache.advance(8), cache, fused=weights)]
        for t in range(8, 20):  # one token at a time, as decoding does
            parts.append(forward_with_cache(model, ids[:, t : t + 1], cache.advance(1), cache, fused=weights))
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("variant", VARIANTS)
def test_cached_greedy_ids_equal_uncached(variant):
    model = tiny_model(variant)
    prompt = torch.randint(0, 64, (3, 6), generator=torch.Generator().manual_seed(1))
    cached = generate(model, prompt, 30, temperature=0.0)
    uncached = generate(model, prompt, 30, temperature=0.0, use_cache=False)
    assert torch.equal(cached, uncached)


@pytest.mark.parametrize("position_encoding", ["rope_interleaved", "nope"])
def test_cached_greedy_ids_equal_uncached_for_other_position_encodings(position_encoding):
    config = ModelConfig(
        vocab_size=64,
        context_length=64,
        d_model=32,
        num_layers=2,
        num_heads=4,
        d_ff=64,
        num_kv_heads=2,
        position_encoding=position_encoding,
    )
    torch.manual_seed(0)
    model = TransformerLM.from_config(config).eval()
    assert all(layer is not None for layer in fuse_weights(model).layers)  # the fused path runs
    prompt = torch.randint(0, 64, (3, 6), generator=torch.Generator().manual_seed(1))
    cached = generate(model, prompt, 30, temperature=0.0)
    assert torch.equal(cached, generate(model, prompt, 30, temperature=0.0, use_cache=False))


@pytest.mark.parametrize("variant", ["gqa", "mla"])
def test_prompts_of_different_lengths_batch_like_they_run_alone(variant):
    model = tiny_model(variant)
    prompts = random_prompts(5)
    assert len({len(p) for p in prompts}) > 1
    ids, pad = left_pad(prompts)
    cache = KVCache(model, len(prompts), ids.shape[1], pad)
    with torch.no_grad():
        batched = forward_with_cache(model, ids, cache.advance(ids.shape[1]), cache)
        for i, p in enumerate(prompts):
            torch.testing.assert_close(batched[i, int(pad[i]) :], model(torch.tensor([p]))[0], atol=1e-5, rtol=1e-5)
    together = generate(model, prompts, 15, temperature=0.0)
    alone = [generate(model, torch.tensor([p]), 15, temperature=0.0, use_cache=False)[0].tolist() for p in prompts]
    assert together == alone


def test_cache_sizes_follow_the_formula():
    for variant, width in [("mha", 2 * 4 * 8), ("gqa", 2 * 2 * 8), ("mqa", 2 * 1 * 8), ("mla", 8 + 4)]:
        model = tiny_model(variant)
        assert cache_width(model.layers[0].attn) == width
        assert kv_bytes_per_token(model) == 2 * width * 4  # 2 layers, fp32
        assert KVCache(model, 3, 10).nbytes == 3 * 10 * kv_bytes_per_token(model)


def test_stop_conditions_eos_stop_sequences_and_max_tokens():
    model = tiny_model("gqa")
    prompts = random_prompts(3, seed=4)
    free = generate(model, prompts, 12, temperature=0.0)
    row = free[0][len(prompts[0]) :]
    eos = row[4]  # a token this row produces: it must stop there (at its first occurrence)
    stopped = generate(model, prompts, 12, temperature=0.0, eos_id=eos)
    assert stopped[0] == prompts[0] + row[: row.index(eos) + 1]
    for p, out, ref in zip(prompts, stopped, free):  # every row stops at its own first eos, or runs on
        new = ref[len(p) :]
        assert out == (p + new[: new.index(eos) + 1] if eos in new else ref)
    stop = [row[2:4]]  # a two-token stop sequence
    by_sequence = generate(model, prompts[:1], 12, temperature=0.0, stop=stop)[0]
    first = next(i for i in range(2, 13) if row[i - 2 : i] == stop[0])
    assert by_sequence == prompts[0] + row[:first]
    assert all(len(o) == len(p) + 12 for o, p in zip(free, prompts))


def test_streaming_yields_the_tokens_generate_returns():
    model = tiny_model("mqa")
    prompts = random_prompts(4, seed=5)
    ids, pad = left_pad(prompts)
    steps = list(stream_generate(model, ids, 10, pad=pad, sampling=SamplingParams(temperature=0.0)))
    assert len(steps) == 10 and all(s.active.all() for s in steps)
    streamed = torch.stack([s.tokens for s in steps], dim=1).tolist()
    assert [p + s for p, s in zip(prompts, streamed)] == generate(model, prompts, 10, temperature=0.0)
    # Sampling with the same seed gives the same tokens batched or not streamed.
    sampled = generate(model, ids, 10, temperature=1.0, top_k=10, generator=torch.Generator().manual_seed(0))
    again = generate(model, ids, 10, temperature=1.0, top_k=10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(sampled, again)


def test_generation_past_the_context_slides_the_window():
    model = tiny_model("gqa", context=16)
    prompt = torch.randint(0, 64, (1, 10), generator=torch.Generator().manual_seed(6))
    cached = generate(model, prompt, 20, temperature=0.0)
    assert cached.shape == (1, 30)
    assert torch.equal(cached, generate(model, prompt, 20, temperature=0.0, use_cache=False))


def test_bad_input_is_rejected():
    model = tiny_model("gqa", context=16)
    with pytest.raises(ValueError, match="token ids"):
        generate(model, torch.tensor([[0, 64]]), 3)
    with pytest.raises(ValueError, match="batch, seq"):
        generate(model, torch.tensor([1, 2]), 3)
    with pytest.raises(ValueError, match="at least one token"):
        generate(model, [[1], []], 3)
    with pytest.raises(ValueError, match="exceed the context"):
        generate(model, [[1] * 10, [2]], 10)
    cache = KVCache(model, 1, 4)
    cache.advance(3)
    with pytest.raises(ValueError, match="KV cache full"):
        cache.advance(2)
