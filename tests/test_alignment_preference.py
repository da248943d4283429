"""Preferences: Bradley-Terry, DPO (batched and per instance), the scalar-head reward model.
References: hand-computed values and HF transformers' own loss for the sequence log-probs."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from course_lib.alignment import (
    EOT_TOKEN,
    ScalarHeadModel,
    bradley_terry_loss,
    dpo_loss,
    per_instance_dpo_loss,
    sequence_log_probs,
)
from tests.alignment_helpers import course_model, course_tokenizer, hf_model, hf_tokenizer, vocab_size

PROMPT, CHOSEN, REJECTED = "Q: What is 2 plus 2?\nA:", " 4" + EOT_TOKEN, " 5 5 5" + EOT_TOKEN


def test_bradley_terry_by_hand():
    chosen, rejected = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 3.0])
    expected = (math.log(1 + math.exp(-1.0)) + math.log(1 + math.exp(3.0))) / 2
    assert bradley_terry_loss(chosen, rejected).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        bradley_terry_loss(chosen, rejected[:1])


def test_dpo_loss_by_hand():
    loss, rc, rr = dpo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-2.0]), torch.tensor([-2.5]), 0.5)
    # implicit rewards 0.5 * (−1 + 2) = 0.5 and 0.5 * (−3 + 2.5) = −0.25
    assert rc.item() == pytest.approx(0.5) and rr.item() == pytest.approx(-0.25)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-0.75)), rel=1e-6)
    with pytest.raises(ValueError, match="beta"):
        dpo_loss(torch.zeros(1), torch.zeros(1), torch.zeros(1), torch.zeros(1), 0.0)
    with pytest.raises(ValueError, match="one shape"):
        dpo_loss(torch.zeros(2), torch.zeros(1), torch.zeros(1), torch.zeros(1), 0.1)


def _hf_sequence_log_prob(hf, tok, prompt: str, response: str) -> float:
    """Summed log-prob of the response from transformers' own masked cross-entropy."""
    p, r = tok.encode(prompt), tok.encode(response)
    ids = torch.tensor([p + r])
    labels = torch.tensor([[-100] * len(p) + r])
    with torch.no_grad():
        return -hf(ids, labels=labels).loss.item() * len(r)


def test_per_instance_dpo_matches_hf_log_probs_and_is_the_same_for_hf_models():
    pytest.importorskip("transformers")
    policy, ref = course_model(seed=0), course_model(seed=1)
    tok = course_tokenizer()
    hf_policy, hf_ref = hf_model(policy), hf_model(ref)
    beta = 0.3
    margin = (
        _hf_sequence_log_prob(hf_policy, tok, PROMPT, CHOSEN) - _hf_sequence_log_prob(hf_ref, tok, PROMPT, CHOSEN)
    ) - (_hf_sequence_log_prob(hf_policy, tok, PROMPT, REJECTED) - _hf_sequence_log_prob(hf_ref, tok, PROMPT, REJECTED))
    expected = math.log(1 + math.exp(-beta * margin))
    assert per_instance_dpo_loss(policy, ref, tok, beta, PROMPT, CHOSEN, REJECTED).item() == pytest.approx(
        expected, rel=1e-4
    )
    hf_loss = per_instance_dpo_loss(hf_policy, hf_ref, hf_tokenizer(), beta, PROMPT, CHOSEN, REJECTED)
    assert hf_loss.item() == pytest.approx(expected, rel=1e-4)


def test_dpo_of_a_model_against_itself_is_log_2_and_trains_only_the_policy():
    policy = course_model()
    ref = copy.deepcopy(policy)
    loss = per_instance_dpo_loss(policy, ref, course_tokenizer(), 0.1, PROMPT, CHOSEN, REJECTED)
    assert loss.item() == pytest.approx(math.log(2), rel=1e-5)
    loss.backward()
    assert all(p.grad is None for p in ref.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.parameters())
    with pytest.raises(ValueError, match="identical"):
        per_instance_dpo_loss(policy, ref, course_tokenizer(), 0.1, PROMPT, CHOSEN, CHOSEN)


def test_sequence_log_probs_sum_the_response_tokens():
    model, tok = course_model(), course_tokenizer()
    both = sequence_log_probs(model, tok, [PROMPT, PROMPT], [CHOSEN, REJECTED])
    one = sequence_log_probs(model, tok, [PROMPT], [REJECTED])
    torch.testing.assert_close(both[1:], one, rtol=1e-5, atol=1e-5)  # padding changes nothing
    assert (both < 0).all()


@pytest.mark.parametrize("use_hf", [False, True])
def test_scalar_head_model(use_hf):
    base = course_model()
    lm = hf_model(base) if use_hf else base
    rm = ScalarHeadModel(lm)
    ids = torch.randint(0, vocab_size(), (3, 7), generator=torch.Generator().manual_seed(0))
    values = rm(ids)
    assert values.shape == (3, 7) and values.abs().max().item() == 0  # a zero head scores everything 0
    torch.nn.init.normal_(rm.backbone.lm_head.weight)
    values = rm(ids)
    torch.testing.assert_close(rm.score(ids, torch.tensor([7, 1, 4])), values[[0, 1, 2], [6, 0, 3]])
    assert lm.lm_head.weight.shape[0] == vocab_size()  # the original model is untouched
    with pytest.raises(ValueError, match="lengths"):
        rm.score(ids, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="lm_head"):
        ScalarHeadModel(torch.nn.Linear(3, 3))
