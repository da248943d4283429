"""SFT primitives: the response mask, entropy, response log-probs, masked reductions, the micro-batch
step. References: hand-computed values, torch.distributions, TRL's log-prob/entropy helpers, and HF
transformers' own cross-entropy over masked labels."""

from __future__ import annotations

import pytest
import torch

from course_lib.alignment import (
    EOT_TOKEN,
    compute_entropy,
    get_response_log_probs,
    masked_mean,
    masked_normalize,
    sft_microbatch_train_step,
    tokenize_prompt_and_output,
)
from tests.alignment_helpers import course_model, course_tokenizer, hf_model, hf_tokenizer

PROMPTS = ["Q: What is 3 plus 4?\nA:", "Q: Say cat two times.\nA:"]
OUTPUTS = [" 7" + EOT_TOKEN, " cat cat" + EOT_TOKEN]


def test_tokenize_prompt_and_output_by_hand():
    tok = course_tokenizer()
    out = tokenize_prompt_and_output(PROMPTS, OUTPUTS, tok)
    eot = tok.special_ids[EOT_TOKEN]
    rows = [tok.encode(p) + tok.encode(o) for p, o in zip(PROMPTS, OUTPUTS)]
    length = max(map(len, rows))
    assert out["input_ids"].shape == out["labels"].shape == out["response_mask"].shape == (2, length - 1)
    for i, (row, prompt) in enumerate(zip(rows, PROMPTS)):
        padded = row + [eot] * (length - len(row))
        assert out["input_ids"][i].tolist() == padded[:-1]
        assert out["labels"][i].tolist() == padded[1:]
        n_prompt = len(tok.encode(prompt))
        expected = [n_prompt - 1 <= t < len(row) - 1 for t in range(length - 1)]
        assert out["response_mask"][i].tolist() == expected
        # the masked labels are exactly the output's tokens
        assert out["labels"][i][out["response_mask"][i]].tolist() == row[n_prompt:]


def test_tokenize_agrees_between_course_and_hf_tokenizers():
    pytest.importorskip("transformers")
    a = tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer())
    b = tokenize_prompt_and_output(PROMPTS, OUTPUTS, hf_tokenizer())
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize(
    ("prompts", "outputs", "message"),
    [
        (["a", "b"], ["x"], "2 prompts but 1 outputs"),
        (["a"], [""], "output 0 is empty"),
        ([""], ["x"], "prompt 0 is empty"),
        ([], [], "at least one"),
    ],
)
def test_tokenize_rejects_bad_input(prompts, outputs, message):
    with pytest.raises(ValueError, match=message):
        tokenize_prompt_and_output(prompts, outputs, course_tokenizer())


def test_entropy_matches_torch_distributions_and_trl():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 11, generator=g) * 4
    expected = torch.distributions.Categorical(logits=logits).entropy()
    torch.testing.assert_close(compute_entropy(logits), expected, rtol=1e-5, atol=1e-5)
    trl_utils = pytest.importorskip("trl.trainer.utils")
    torch.testing.assert_close(compute_entropy(logits), trl_utils.entropy_from_logits(logits), rtol=1e-5, atol=1e-5)
    # uniform: log(V); one-hot-like logits stay finite and near 0
    assert compute_entropy(torch.zeros(7)).item() == pytest.approx(torch.log(torch.tensor(7.0)).item(), rel=1e-6)
    big = torch.tensor([1e4, 0.0, -1e4])
    assert torch.isfinite(compute_entropy(big)) and compute_entropy(big).item() < 1e-6


def test_response_log_probs_match_trl_and_hf_loss():
    trl_utils = pytest.importorskip("trl.trainer.utils")
    model = course_model()
    batch = tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer())
    out = get_response_log_probs(model, batch["input_ids"], batch["labels"], return_token_entropy=True)
    logits = model(batch["input_ids"])
    torch.testing.assert_close(
        out["log_probs"], trl_utils.selective_log_softmax(logits, batch["labels"]), rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(out["token_entropy"], trl_utils.entropy_from_logits(logits), rtol=1e-5, atol=1e-5)
    # The exported HF Llama gives the same log-probs, and its own loss on masked labels is their mean.
    hf = hf_model(model)
    hf_out = get_response_log_probs(hf, batch["input_ids"], batch["labels"])
    torch.testing.assert_close(hf_out["log_probs"], out["log_probs"], rtol=1e-4, atol=1e-4)
    full = torch.cat([batch["input_ids"], batch["labels"][:, -1:]], dim=1)
    labels = torch.cat([torch.full((2, 1), -100), batch["labels"].masked_fill(~batch["response_mask"], -100)], dim=1)
    with torch.no_grad():
        hf_loss = hf(full, labels=labels).loss
    mask = batch["response_mask"]
    torch.testing.assert_close(-(out["log_probs"] * mask).sum() / mask.sum(), hf_loss, rtol=1e-4, atol=1e-4)
    assert "token_entropy" not in hf_out


def test_response_log_probs_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="same shape"):
        get_response_log_probs(course_model(), torch.zeros(2, 5, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long))


def test_masked_mean_and_normalize_by_hand():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    m = torch.tensor([[1, 0, 1], [0, 0, 1]], dtype=torch.bool)
    assert masked_mean(x, m).item() == pytest.approx((1 + 3 + 6) / 3)
    assert masked_mean(x, m, dim=-1).tolist() == pytest.approx([2.0, 6.0])
    assert masked_mean(x, m, dim=0).tolist()[0] == pytest.approx(1.0)
    assert torch.isnan(masked_mean(x, m, dim=0)[1])  # no active entry: 0/0
    assert masked_normalize(x, m, 2.0).item() == pytest.approx(5.0)
    assert masked_normalize(x, m, 4.0, dim=-1).tolist() == pytest.approx([1.0, 1.5])
    with pytest.raises(ValueError, match="does not match"):
        masked_mean(x, m[:, :2])
    with pytest.raises(ValueError, match="positive"):
        masked_normalize(x, m, 0.0)


def test_sft_step_gradient_and_accumulation():
    model = course_model()
    batch = tokenize_prompt_and_output(PROMPTS * 2, OUTPUTS * 2, course_tokenizer())
    mask = batch["response_mask"]

    def grads_of(fn):
        model.zero_grad()
        fn()
        return [p.grad.clone() for p in model.parameters()]

    def full_batch():  # the loss written out: -sum of response log-probs / 3, mean over 4 sequences
        lp = get_response_log_probs(model, batch["input_ids"], batch["labels"])["log_probs"]
        (-((lp * mask).sum(-1) / 3.0).mean()).backward()

    def accumulated():
        for half in (slice(0, 2), slice(2, 4)):
            lp = get_response_log_probs(model, batch["input_ids"][half], batch["labels"][half])["log_probs"]
            loss, meta = sft_microbatch_train_step(lp, mask[half], 2, normalize_constant=3.0)
            assert meta["tokens"].item() == mask[half].sum().item()
            assert loss.ndim == 0 and not loss.requires_grad

    for a, b in zip(grads_of(full_batch), grads_of(accumulated)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        sft_microbatch_train_step(torch.zeros(1, 2, requires_grad=True), torch.ones(1, 2), 0)
