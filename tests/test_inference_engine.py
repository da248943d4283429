"""The paged KV cache, the block allocator with prefix caching, and the continuous-batching engine."""

from __future__ import annotations

import pytest
import torch

from course_lib.inference import (
    BlockAllocator,
    Engine,
    PagedKVCache,
    SamplingParams,
    block_keys,
    forward_with_cache,
    generate,
)
from tests.inference_helpers import VARIANTS, random_prompts, tiny_model

GREEDY = SamplingParams(temperature=0.0)


def test_block_keys_chain_the_whole_prefix():
    a = block_keys([1, 2, 3, 4, 5, 6, 7], 2)
    assert len(a) == 3 and a[0] == (0, (1, 2)) and a[1] == (hash(a[0]), (3, 4))
    b = block_keys([9, 9, 3, 4], 2)  # same second block after a different first one
    assert b[1][1] == a[1][1] and b[1] != a[1]


def test_allocator_counts_references_and_recycles_the_oldest_cached_block():
    alloc = BlockAllocator(3, 2)
    x, y = alloc.allocate(), alloc.allocate()
    alloc.register(x, (0, (1, 2)))
    alloc.register(y, (5, (3, 4)))
    assert alloc.num_free == 1
    alloc.free(x)
    alloc.free(y)
    assert alloc.num_free == 3 and alloc.lookup((0, (1, 2))) == x  # freed, but still findable
    assert alloc.ref_count[x] == 1 and alloc.num_free == 2
    z, w = alloc.allocate(), alloc.allocate()  # the never-named block first, then y (x is in use)
    assert {z, w} == {3 - x - y, y} and alloc.lookup((5, (3, 4))) is None
    with pytest.raises(RuntimeError, match="out of KV cache blocks"):
        alloc.allocate()
    alloc.free(z)
    with pytest.raises(ValueError, match="not in use"):
        alloc.free(z)


@pytest.mark.parametrize("variant", VARIANTS)
def test_paged_forward_matches_the_uncached_forward(variant):
    model = tiny_model(variant)
    cache = PagedKVCache(model, num_blocks=12, block_size=4)
    prompts = random_prompts(3, seed=2)
    tables = [[2, 7, 5, 0], [1, 9, 3, 4], [11, 6, 8, 10]]  # scattered, out-of-order blocks
    with torch.no_grad():
        for table, p in zip(tables, prompts):  # prefill each, then one batched decode step
            forward_with_cache(model, torch.tensor([p]), cache.prepare([table], [0], len(p)), cache)
        nxt = torch.tensor([[5], [6], [7]])
        logits = forward_with_cache(model, nxt, cache.prepare(tables, [len(p) for p in prompts], 1), cache)
        for i, p in enumerate(prompts):
            ref = model(torch.tensor([p + [int(nxt[i])]]))[0, -1]
            torch.testing.assert_close(logits[i, 0], ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("variant", ["gqa", "mla"])
@pytest.mark.parametrize("num_blocks", [64, 12])
def test_engine_equals_generate_with_prefix_hits_and_preemption(variant, num_blocks):
    model = tiny_model(variant)
    prompts = random_prompts(10, shared=9, seed=3)
    ref = [row[len(p) :] for p, row in zip(prompts, generate(model, prompts, 20, temperature=0.0))]
    engine = Engine(model, num_blocks=num_blocks, block_size=4, max_batch_size=4)
    assert engine.generate(prompts, 20, GREEDY) == ref
    alloc = engine.cache.allocator
    assert alloc.prefix_hits >= 2 * (len(prompts) - 1)  # the 9 shared tokens fill 2 blocks
    assert alloc.num_free == num_blocks and sum(alloc.ref_count) == 0  # everything given back
    if num_blocks == 12:  # 4 running requests of up to 9+12+20 tokens cannot all fit in 12 blocks of 4
        assert engine.num_preemptions > 0


def test_prefix_cache_serves_a_repeated_prompt_and_skips_its_prefill():
    model = tiny_model("gqa")
    engine = Engine(model, num_blocks=32, block_size=4)
    prompt = random_prompts(1, shared=13, max_len=1, seed=8)[0]
    first = engine.generate([prompt], 5, GREEDY)
    engine.add_request(prompt, 5, GREEDY, request_id="again")
    request = engine.waiting[0]
    engine.step()
    assert request.num_cached_prompt == 12  # 3 full blocks reused, the last token recomputed
    while engine.has_unfinished():
        engine.step()
    assert request.output == first[0]


def test_requests_stop_abort_and_bad_input():
    model = tiny_model("gqa", context=32)
    engine = Engine(model, num_blocks=8, block_size=4, max_batch_size=2)
    prompts = random_prompts(3, seed=9)
    free_run = Engine(model, num_blocks=32, block_size=4).generate(prompts[:1], 8, GREEDY)[0]
    eos = free_run[3]
    assert engine.generate(prompts[:1], 8, GREEDY, eos_id=eos) == [free_run[: free_run.index(eos) + 1]]
    engine.add_request(prompts[1], 10, GREEDY, request_id="a")
    engine.add_request(prompts[2], 10, GREEDY, request_id="b")
    engine.step()
    assert engine.abort("a") and not engine.abort("a") and not engine.abort("missing")
    assert [r.request_id for r in engine.running] == ["b"]
    engine.abort("b")
    assert engine.cache.allocator.num_free == 8 and not engine.has_unfinished()
    long = engine.generate([[1] * 30], 10, GREEDY)[0]  # stops at the context, not at max_tokens
    assert len(long) == 2
    with pytest.raises(ValueError, match="token ids"):
        engine.add_request([64], 4)
    with pytest.raises(ValueError, match="context"):
        engine.add_request([1] * 32, 4)
    with pytest.raises(ValueError, match="max_tokens"):
        engine.add_request([1], 0)
    with pytest.raises(ValueError, match="blocks"):
        Engine(model, num_blocks=2, block_size=4).add_request([1] * 8, 4)


def test_seeded_sampling_is_reproducible_per_request():
    model = tiny_model("gqa")
    params = SamplingParams(temperature=1.0, top_p=0.9)
    prompts = random_prompts(4, seed=10)
    a = Engine(model, num_blocks=64, block_size=4).generate(prompts, 10, params, seed=0)
    b = Engine(model, num_blocks=64, block_size=4, max_batch_size=1).generate(prompts, 10, params, seed=0)
    assert a == b  # each request has its own generator: batch composition does not change its samples
