"""Sampling filters against transformers' logits processors (the definitions users know)."""

from __future__ import annotations

import pytest
import torch

from course_lib.inference import (
    SamplingParams,
    apply_repetition_penalty,
    min_p_filter,
    sample_next,
    top_k_filter,
)

transformers = pytest.importorskip("transformers")
from transformers.generation.logits_process import (  # noqa: E402
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TopKLogitsWarper,
)


def _logits(seed: int = 0) -> torch.Tensor:
    return torch.randn(6, 50, generator=torch.Generator().manual_seed(seed)) * 3


@pytest.mark.parametrize("k", [1, 5, 49])
def test_top_k_matches_hf(k):
    logits = _logits()
    torch.testing.assert_close(top_k_filter(logits, k), TopKLogitsWarper(k)(None, logits.clone()))
    assert torch.equal(top_k_filter(logits, 0), logits)


@pytest.mark.parametrize("min_p", [0.05, 0.2, 0.9])
def test_min_p_matches_hf(min_p):
    logits = _logits(1)
    ours, ref = min_p_filter(logits, min_p), MinPLogitsWarper(min_p)(None, logits.clone())
    assert torch.equal(torch.isinf(ours), torch.isinf(ref))
    assert (~torch.isinf(ours)).sum(-1).min() >= 1


@pytest.mark.parametrize("penalty", [0.7, 1.3, 2.0])
def test_repetition_penalty_matches_hf(penalty):
    logits = _logits(2)
    previous = torch.randint(0, 50, (6, 7), generator=torch.Generator().manual_seed(3))
    ref = RepetitionPenaltyLogitsProcessor(penalty)(previous, logits.clone())
    torch.testing.assert_close(apply_repetition_penalty(logits, previous, penalty), ref)


def test_filtered_sampling_draws_only_kept_tokens_in_proportion():
    logits = torch.tensor([[3.0, 2.0, 1.0, 0.0, -1.0]]).expand(20000, 5)
    g = torch.Generator().manual_seed(0)
    draws = sample_next(logits, temperature=1.0, generator=g, top_k=3)
    freq = torch.bincount(draws, minlength=5).float() / len(draws)
    torch.testing.assert_close(freq, torch.tensor([3.0, 2.0, 1.0, -1e9, -1e9]).softmax(-1), atol=0.015, rtol=0)
    draws = sample_next(logits, temperature=1.0, generator=g, min_p=0.3)  # p >= 0.3 * p_max keeps 2
    assert set(draws.tolist()) == {0, 1}


def test_sampling_params_reject_bad_values():
    for kwargs in [dict(temperature=-1), dict(top_k=-1), dict(top_p=0), dict(min_p=1.5), dict(repetition_penalty=0)]:
        with pytest.raises(ValueError):
            SamplingParams(**kwargs)
