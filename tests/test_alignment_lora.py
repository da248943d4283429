"""LoRA: the same outputs and merged weights as PEFT given the same adapter weights; merge/unmerge
round trips; the parameter count; bad input."""

from __future__ import annotations

import copy

import pytest
import torch

from course_lib.alignment import LoRALinear, apply_lora, lora_parameters, merge_lora, unmerge_lora
from tests.alignment_helpers import course_model, hf_model, vocab_size

TARGETS = ("q_proj", "v_proj")


def _randomise_b(model: torch.nn.Module) -> None:
    g = torch.Generator().manual_seed(3)
    for layer in model.modules():
        if isinstance(layer, LoRALinear):
            with torch.no_grad():
                layer.lora_B.copy_(torch.randn(layer.lora_B.shape, generator=g) * 0.1)


def test_matches_peft_outputs_and_merged_weights():
    peft = pytest.importorskip("peft")
    hf = hf_model(course_model())
    ours = copy.deepcopy(hf)
    reference = peft.get_peft_model(
        copy.deepcopy(hf), peft.LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGETS), lora_dropout=0.0)
    )
    names = apply_lora(ours, TARGETS, r=4, alpha=8)
    assert len(names) == 2 * 2  # two layers, two targets each
    _randomise_b(ours)
    for name in names:  # give PEFT our adapter weights
        layer = ours.get_submodule(name)
        theirs = reference.base_model.model.get_submodule(name)
        assert layer.scaling == theirs.scaling["default"]
        with torch.no_grad():
            theirs.lora_A["default"].weight.copy_(layer.lora_A)
            theirs.lora_B["default"].weight.copy_(layer.lora_B)
    ids = torch.randint(0, vocab_size(), (2, 11), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(ids).logits, reference(ids).logits, rtol=1e-5, atol=1e-5)
    trainable = sum(p.numel() for p in ours.parameters() if p.requires_grad)
    assert trainable == sum(p.numel() for p in reference.parameters() if p.requires_grad)
    merged = reference.merge_and_unload()
    merge_lora(ours)
    for name in names:
        torch.testing.assert_close(
            ours.get_submodule(name).base.weight, merged.get_submodule(name).weight, rtol=1e-6, atol=1e-6
        )


def test_course_model_starts_equal_and_merge_unmerge_round_trip():
    model = course_model()
    ids = torch.randint(0, vocab_size(), (2, 9), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = model(ids)
    original = model.layers[0].attn.q_proj.weight.detach().clone()
    apply_lora(model, TARGETS, r=2, alpha=4)
    with torch.no_grad():
        torch.testing.assert_close(model(ids), before)  # B = 0: no change yet
        _randomise_b(model)
        adapted = model(ids)
        merge_lora(model)
        torch.testing.assert_close(model(ids), adapted, rtol=1e-5, atol=1e-5)
        merge_lora(model)  # idempotent
        torch.testing.assert_close(model(ids), adapted, rtol=1e-5, atol=1e-5)
        unmerge_lora(model)
        torch.testing.assert_close(model(ids), adapted, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(model.layers[0].attn.q_proj.base.weight, original, rtol=1e-6, atol=1e-6)
    # d_model 32, q: 32 -> 32, v: 32 -> 16 (2 kv heads of 8): r * (d_in + d_out) each, 2 layers
    expected = 2 * (2 * (32 + 32) + 2 * (32 + 16))
    assert sum(p.numel() for p in lora_parameters(model)) == expected
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == expected


def test_bad_input():
    with pytest.raises(ValueError, match="rank r"):
        LoRALinear(torch.nn.Linear(4, 3), r=4, alpha=1.0)
    with pytest.raises(ValueError, match="linear layer"):
        LoRALinear(torch.nn.ReLU(), r=1, alpha=1.0)
    with pytest.raises(ValueError, match="no linear layer named"):
        apply_lora(course_model(), ["query"], r=2)
    with pytest.raises(ValueError, match="no LoRA layers"):
        merge_lora(course_model())
