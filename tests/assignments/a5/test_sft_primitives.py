"""a5 SFT primitives, against course_lib.alignment (the reference), torch.distributions and hand values."""

from __future__ import annotations

import pytest
import torch

from course_lib import alignment as ref
from tests.alignment_helpers import course_model, course_tokenizer, hf_model, hf_tokenizer

EOT = "<|endoftext|>"
PROMPTS = ["Q: What is 3 plus 4?\nA:", "Q: Say cat two times.\nA:", "Q: Tom has a red ball. Who has the ball?\nA:"]
OUTPUTS = [" 7" + EOT, " cat cat" + EOT, " Tom"]


@pytest.fixture(scope="module")
def sft(load_impl):
    return load_impl("a5_alignment.sft")


def _same(a: dict, b: dict) -> None:
    assert set(a) >= set(b)
    for key in b:
        assert a[key].shape == b[key].shape, key
        assert torch.equal(a[key].to(b[key].dtype), b[key]), key


@pytest.mark.grade(part="response_mask", points=2)
def test_tokenize_matches_reference(sft):
    _same(sft.tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer()), ref.tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer()))


@pytest.mark.grade(part="response_mask", points=1)
def test_tokenize_with_hf_tokenizer(sft):
    pytest.importorskip("transformers")
    _same(sft.tokenize_prompt_and_output(PROMPTS, OUTPUTS, hf_tokenizer()), ref.tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer()))


@pytest.mark.grade(part="response_mask", points=1)
def test_tokenize_rejects_bad_input(sft):
    tok = course_tokenizer()
    for prompts, outputs in ((["a", "b"], ["x"]), (["a"], [""]), ([""], ["x"]), ([], [])):
        with pytest.raises(ValueError):
            sft.tokenize_prompt_and_output(prompts, outputs, tok)


@pytest.mark.grade(part="entropy", points=2)
def test_entropy(sft):
    logits = torch.randn(2, 4, 9, generator=torch.Generator().manual_seed(0)) * 3
    torch.testing.assert_close(sft.compute_entropy(logits), torch.distributions.Categorical(logits=logits).entropy(), rtol=1e-5, atol=1e-5)
    big = sft.compute_entropy(torch.tensor([[1e4, 0.0, -1e4]]))
    assert torch.isfinite(big).all() and big.abs().max() < 1e-5


@pytest.mark.grade(part="log_probs", points=2)
@pytest.mark.parametrize("use_hf", [False, True])
def test_response_log_probs(sft, use_hf):
    model = course_model()
    batch = ref.tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer())
    expected = ref.get_response_log_probs(model, batch["input_ids"], batch["labels"])["log_probs"]
    got = sft.get_response_log_probs(hf_model(model) if use_hf else model, batch["input_ids"], batch["labels"])
    torch.testing.assert_close(got["log_probs"], expected, rtol=1e-4, atol=1e-4)


@pytest.mark.grade(part="log_probs", points=1)
def test_response_log_probs_with_entropy_and_bad_shapes(sft):
    model = course_model()
    batch = ref.tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer())
    expected = ref.get_response_log_probs(model, batch["input_ids"], batch["labels"], return_token_entropy=True)
    got = sft.get_response_log_probs(model, batch["input_ids"], batch["labels"], return_token_entropy=True)
    torch.testing.assert_close(got["token_entropy"], expected["token_entropy"], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        sft.get_response_log_probs(model, batch["input_ids"], batch["labels"][:, 1:])


X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
M = torch.tensor([[True, False, True], [False, False, True]])


@pytest.mark.grade(part="masked_ops", points=1)
def test_masked_mean(sft):
    assert sft.masked_mean(X, M).item() == pytest.approx(10 / 3)
    assert sft.masked_mean(X, M, dim=-1).tolist() == pytest.approx([2.0, 6.0])
    assert sft.masked_mean(X, M, dim=0)[0].item() == pytest.approx(1.0) and torch.isnan(sft.masked_mean(X, M, dim=0)[1])


@pytest.mark.grade(part="masked_ops", points=1)
def test_masked_normalize(sft):
    assert sft.masked_normalize(X, M, 2.0).item() == pytest.approx(5.0)
    assert sft.masked_normalize(X, M, 4.0, dim=-1).tolist() == pytest.approx([1.0, 1.5])
    assert sft.masked_normalize(X, M, 1.0, dim=0).tolist() == pytest.approx([1.0, 0.0, 9.0])


@pytest.mark.grade(part="masked_ops", points=1)
def test_masked_ops_reject_bad_input(sft):
    with pytest.raises(ValueError):
        sft.masked_mean(X, M[:, :2])
    with pytest.raises(ValueError):
        sft.masked_normalize(X, M[:1])
    with pytest.raises(ValueError):
        sft.masked_normalize(X, M, 0.0)


def _grads(model, fn):
    model.zero_grad()
    fn()
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.grade(part="sft_step", points=2)
def test_sft_step_matches_reference(sft):
    model = course_model()
    batch = ref.tokenize_prompt_and_output(PROMPTS, OUTPUTS, course_tokenizer())

    def run(impl):
        lp = ref.get_response_log_probs(model, batch["input_ids"], batch["labels"])["log_probs"]
        loss, meta = impl.sft_microbatch_train_step(lp, batch["response_mask"], 3, normalize_constant=2.0)
        run.loss, run.meta = loss, meta

    expected = _grads(model, lambda: run(ref))
    expected_loss = run.loss
    got = _grads(model, lambda: run(sft))
    torch.testing.assert_close(run.loss, expected_loss, rtol=1e-5, atol=1e-6)
    assert int(run.meta["tokens"]) == int(batch["response_mask"].sum())
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.grade(part="sft_step", points=1)
def test_sft_step_accumulates_to_the_full_batch(sft):
    model = course_model()
    batch = ref.tokenize_prompt_and_output(PROMPTS * 2, OUTPUTS * 2, course_tokenizer())

    def full():
        lp = ref.get_response_log_probs(model, batch["input_ids"], batch["labels"])["log_probs"]
        sft.sft_microbatch_train_step(lp, batch["response_mask"], 1)

    def halves():
        for half in (slice(0, 3), slice(3, 6)):
            lp = ref.get_response_log_probs(model, batch["input_ids"][half], batch["labels"][half])["log_probs"]
            sft.sft_microbatch_train_step(lp, batch["response_mask"][half], 2)

    for a, b in zip(_grads(model, full), _grads(model, halves)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        sft.sft_microbatch_train_step(torch.zeros(1, 2, requires_grad=True), torch.ones(1, 2, dtype=torch.bool), 0)
