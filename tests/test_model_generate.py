"""Sampling: top-p against transformers' TopPLogitsWarper, greedy decoding against HF generate."""

from __future__ import annotations

import pytest
import torch

from course_lib.inference import generate, sample_next, top_p_filter
from course_lib.model import TransformerLM, to_hf_llama

transformers = pytest.importorskip("transformers")


@pytest.mark.parametrize("top_p", [0.3, 0.75, 0.95, 1.0])
def test_top_p_matches_hf_warper(top_p):
    from transformers.generation.logits_process import TopPLogitsWarper

    logits = torch.randn(6, 50, generator=torch.Generator().manual_seed(0)) * 3
    ref = TopPLogitsWarper(top_p)(None, logits.clone())
    ours = top_p_filter(logits, top_p)
    assert torch.equal(torch.isinf(ours), torch.isinf(ref))
    torch.testing.assert_close(ours[~torch.isinf(ours)], logits[~torch.isinf(ours)])
    with pytest.raises(ValueError, match="top_p"):
        top_p_filter(logits, 0.0)


def test_sampling_follows_the_distribution():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]]).expand(20000, 4)
    draws = sample_next(logits, temperature=0.7, generator=torch.Generator().manual_seed(1))
    freq = torch.bincount(draws, minlength=4).float() / 20000
    torch.testing.assert_close(freq, (logits[0] / 0.7).softmax(-1), atol=0.015, rtol=0)
    assert torch.equal(sample_next(logits[:3], temperature=0.0), torch.zeros(3, dtype=torch.long))


def test_greedy_generation_matches_hf():
    torch.manual_seed(0)
    model = TransformerLM(
        vocab_size=64, context_length=32, d_model=32, num_layers=2, num_heads=4, d_ff=64, num_kv_heads=2
    )
    hf = to_hf_llama(model).eval()
    prompt = torch.randint(0, 64, (2, 5), generator=torch.Generator().manual_seed(2))
    ours = generate(model, prompt, 12, temperature=0.0)
    ref = hf.generate(prompt, max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=0)
    assert torch.equal(ours, ref)


def test_generation_crops_context_and_stops_at_eos():
    torch.manual_seed(1)
    model = TransformerLM(vocab_size=16, context_length=8, d_model=16, num_layers=1, num_heads=2, d_ff=32)
    out = generate(model, torch.zeros(1, 6, dtype=torch.long), 10, generator=torch.Generator().manual_seed(3))
    assert out.shape == (1, 16)  # ran past the context length by cropping

    class AlwaysFive(torch.nn.Module):
        def forward(self, h: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.one_hot(torch.full(h.shape[:-1], 5), 16).float()

    model.lm_head = AlwaysFive()  # token 5 always wins...
    out = generate(model, torch.zeros(1, 3, dtype=torch.long), 10, temperature=0.0, eos_id=5)
    assert out.tolist() == [[0, 0, 0, 5]]  # ...and it is EOS
