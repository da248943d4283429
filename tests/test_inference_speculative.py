"""Speculative decoding: greedy output equals the target's, the acceptance rule samples from p."""

from __future__ import annotations

import pytest
import torch

from course_lib.inference import (
    PromptLookup,
    accept_or_resample,
    expected_tokens_per_round,
    generate,
    speculative_generate,
)
from tests.inference_helpers import tiny_model

scipy_stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("k", [1, 4])
def test_greedy_speculative_decoding_reproduces_the_target(k):
    target, draft = tiny_model("gqa", context=128, seed=0), tiny_model("mqa", context=128, seed=1)
    prompt = [1, 2, 3, 4, 5, 1, 2, 3]
    ref = generate(target, [prompt], 40, temperature=0.0)[0][len(prompt) :]
    for proposer in (draft, target, PromptLookup()):
        out = speculative_generate(target, proposer, prompt, 40, k=k, temperature=0.0)
        assert out.tokens == ref
    self_draft = speculative_generate(target, target, prompt, 40, k=k, temperature=0.0)
    assert self_draft.acceptance_rate == 1.0  # a draft equal to the target is always accepted
    assert self_draft.target_calls == -(-40 // (k + 1))  # and each target pass yields k + 1 tokens


def test_acceptance_rule_output_is_distributed_as_the_target():
    g = torch.Generator().manual_seed(0)
    p = torch.tensor([0.5, 0.2, 0.2, 0.1, 0.0])
    q = torch.tensor([0.1, 0.1, 0.3, 0.2, 0.3])
    n = 20000
    counts, accepted_total = torch.zeros(5), 0
    for _ in range(n):
        d = int(torch.multinomial(q, 1, generator=g))
        accepted, token = accept_or_resample(torch.stack([p, p]), q[None], [d], g)
        counts[d if accepted else token] += 1
        accepted_total += accepted
    assert counts[4] == 0  # a token the target never samples is never emitted
    chi2 = scipy_stats.chisquare(counts[:4].numpy(), (p[:4] * n).numpy())
    assert chi2.pvalue > 1e-3
    alpha = float(torch.minimum(p, q).sum())  # the expected acceptance rate, 1 - total variation
    assert abs(accepted_total / n - alpha) < 4 * (alpha * (1 - alpha) / n) ** 0.5


def test_prompt_lookup_proposes_what_followed_the_last_match():
    lookup = PromptLookup(max_ngram=2)
    assert lookup.propose([7, 1, 2, 9, 9, 5, 1, 2], 3) == [9, 9, 5]
    assert lookup.propose([1, 2, 3], 3) == []
    assert expected_tokens_per_round(0.0, 4) == 1.0 and expected_tokens_per_round(1.0, 4) == 5.0
    assert expected_tokens_per_round(0.5, 2) == pytest.approx(1.75)


def test_speculative_rejects_bad_input():
    target, draft = tiny_model("gqa", context=32), tiny_model("gqa", vocab=32, context=32)
    with pytest.raises(ValueError, match="vocab"):
        speculative_generate(target, draft, [1], 4)
    with pytest.raises(ValueError, match="context"):
        speculative_generate(target, PromptLookup(), [1] * 20, 20)
    with pytest.raises(ValueError, match="k >= 1"):
        speculative_generate(target, PromptLookup(), [1], 4, k=0)
