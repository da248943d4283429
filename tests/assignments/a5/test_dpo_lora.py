"""a5 DPO and LoRA, against course_lib.alignment (itself checked against HF's loss and PEFT) and hand values."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from course_lib import alignment as ref
from tests.alignment_helpers import course_model, course_tokenizer, hf_model, hf_tokenizer

PROMPT, CHOSEN, REJECTED = "Q: What is 2 plus 2?\nA:", " 4<|endoftext|>", " 5 5<|endoftext|>"


@pytest.fixture(scope="module")
def dpo(load_impl):
    return load_impl("a5_alignment.dpo")


@pytest.fixture(scope="module")
def lora(load_impl):
    return load_impl("a5_alignment.lora")


@pytest.mark.grade(part="dpo", points=2)
def test_dpo_matches_reference(dpo):
    policy, reference = course_model(0), course_model(1)
    expected = ref.per_instance_dpo_loss(policy, reference, course_tokenizer(), 0.3, PROMPT, CHOSEN, REJECTED)
    got = dpo.per_instance_dpo_loss(policy, reference, course_tokenizer(), 0.3, PROMPT, CHOSEN, REJECTED)
    assert got.item() == pytest.approx(expected.item(), rel=1e-4)
    got.backward()
    assert all(p.grad is None for p in reference.parameters())


@pytest.mark.grade(part="dpo", points=1)
def test_dpo_with_hf_models_and_against_itself(dpo):
    pytest.importorskip("transformers")
    policy = course_model(0)
    expected = ref.per_instance_dpo_loss(policy, course_model(1), course_tokenizer(), 0.3, PROMPT, CHOSEN, REJECTED)
    got = dpo.per_instance_dpo_loss(hf_model(policy), hf_model(course_model(1)), hf_tokenizer(), 0.3, PROMPT, CHOSEN, REJECTED)
    assert got.item() == pytest.approx(expected.item(), rel=1e-4)
    same = dpo.per_instance_dpo_loss(policy, copy.deepcopy(policy), course_tokenizer(), 0.1, PROMPT, CHOSEN, REJECTED)
    assert same.item() == pytest.approx(math.log(2), rel=1e-5)


@pytest.mark.grade(part="dpo", points=1)
def test_dpo_rejects_bad_input(dpo):
    with pytest.raises(ValueError):
        dpo.per_instance_dpo_loss(course_model(), course_model(1), course_tokenizer(), 0.1, PROMPT, CHOSEN, CHOSEN)
    with pytest.raises(ValueError):
        dpo.per_instance_dpo_loss(course_model(), course_model(1), course_tokenizer(), 0.0, PROMPT, CHOSEN, REJECTED)


def _pair(lora, r=4, alpha=8.0):
    torch.manual_seed(0)
    base = torch.nn.Linear(12, 6)
    ours, theirs = lora.LoRALinear(copy.deepcopy(base), r, alpha), ref.LoRALinear(copy.deepcopy(base), r, alpha)
    with torch.no_grad():
        theirs.lora_A.copy_(ours.lora_A)
        ours.lora_B.normal_(generator=torch.Generator().manual_seed(1))
        theirs.lora_B.copy_(ours.lora_B)
    return base, ours, theirs


@pytest.mark.grade(part="lora", points=1)
def test_lora_starts_as_the_base_layer(lora):
    base = torch.nn.Linear(12, 6)
    layer = lora.LoRALinear(copy.deepcopy(base), 4, 8.0)
    x = torch.randn(3, 12)
    torch.testing.assert_close(layer(x), base(x))
    assert layer.lora_A.shape == (4, 12) and layer.lora_B.shape == (6, 4)
    trainable = {n for n, p in layer.named_parameters() if p.requires_grad}
    assert trainable == {"lora_A", "lora_B"}


@pytest.mark.grade(part="lora", points=2)
def test_lora_forward_matches_reference(lora):
    _, ours, theirs = _pair(lora)
    x = torch.randn(2, 5, 12)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)


@pytest.mark.grade(part="lora", points=2)
def test_lora_merge_unmerge(lora):
    base, ours, theirs = _pair(lora)
    x = torch.randn(4, 12)
    adapted = ours(x)
    ours.merge()
    theirs.merge()
    torch.testing.assert_close(ours.base.weight, theirs.base.weight, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ours(x), adapted, rtol=1e-5, atol=1e-5)
    ours.merge()
    torch.testing.assert_close(ours(x), adapted, rtol=1e-5, atol=1e-5)
    ours.unmerge()
    ours.unmerge()
    torch.testing.assert_close(ours.base.weight, base.weight, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ours(x), adapted, rtol=1e-5, atol=1e-5)


@pytest.mark.grade(part="lora", points=1)
def test_lora_rejects_bad_rank(lora):
    for r in (0, 7):
        with pytest.raises(ValueError):
            lora.LoRALinear(torch.nn.Linear(12, 6), r, 1.0)
