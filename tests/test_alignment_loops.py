"""The instruction set and its judge, sampling, the training loops, and the committed runs."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from course_lib.alignment import (
    EOT_TOKEN,
    RLConfig,
    ScalarHeadModel,
    exact_match_reward,
    extract_answer,
    judge,
    make_examples,
    preference_accuracy,
    preference_pairs,
    sample_responses,
    train_dpo,
    train_grpo,
    train_ppo,
    train_reward_model,
    train_sft,
    word_count_reward,
)
from course_lib.alignment.tasks import Example
from tests.alignment_helpers import course_model, course_tokenizer, hf_model, hf_tokenizer


def test_examples_are_deterministic_balanced_and_correct():
    examples = make_examples(30, seed=0)
    assert examples == make_examples(30, seed=0) and examples != make_examples(30, seed=1)
    assert [e.kind for e in examples[:3]] == ["story", "arithmetic", "format"]
    for e in examples:
        assert e.response == f" {e.answer}{EOT_TOKEN}" and e.prompt.startswith("Q: ") and e.prompt.endswith("\nA:")
        if e.kind == "arithmetic":
            a, b = (int(w.rstrip("?")) for w in e.question.split() if w.rstrip("?").isdigit())
            assert int(e.answer) == a + b
        if e.kind == "story":
            assert e.answer in e.question
    with pytest.raises(ValueError, match="kinds"):
        make_examples(3, kinds=("poetry",))


def test_judge_rewards_and_pairs():
    ex = Example("arithmetic", "What is 3 plus 4?", "7")
    assert extract_answer(" 7<|endoftext|>junk") == "7" and extract_answer(" 7\nmore") == "7"
    assert judge(ex, " 7<|endoftext|>") == 1.0 and judge(ex, " 7 7") == 0.5 and judge(ex, " 8") == 0.0
    assert exact_match_reward(" 7", "7") == 1.0 and exact_match_reward(" 17", "7") == 0.0
    fmt = Example("format", "Say cat two times.", "cat cat")
    assert judge(fmt, " cat cat cat") == 0.0 and word_count_reward(" cat cat cat", "cat cat") == 1.5
    examples = make_examples(60, seed=3)
    for ex, (prompt, chosen, rejected) in zip(examples, preference_pairs(examples, seed=3)):
        assert prompt == ex.prompt and judge(ex, chosen) > judge(ex, rejected)


def test_sampling_keeps_order_and_stops_at_eos():
    model, tok = course_model(), course_tokenizer()
    prompts = [e.prompt for e in make_examples(6, seed=1)]  # several prompt lengths
    _, batched, texts = sample_responses(model, tok, prompts, 5, temperature=0.0)
    for prompt, response in zip(prompts, batched):
        assert sample_responses(model, tok, [prompt], 5, temperature=0.0)[1][0] == response
    eos = tok.special_ids[EOT_TOKEN]
    for response in batched:
        assert 1 <= len(response) <= 5 and (eos not in response or response.index(eos) == len(response) - 1)
    assert texts == [tok.decode(r) for r in batched]
    with pytest.raises(ValueError, match="max_new_tokens"):
        sample_responses(model, tok, prompts, 0)


def test_sampling_an_hf_model_with_an_hf_tokenizer_gives_the_same_responses():
    pytest.importorskip("transformers")
    model = course_model(seed=4)
    prompts = [e.prompt for e in make_examples(4, seed=2)]
    ours = sample_responses(model, course_tokenizer(), prompts, 4, temperature=0.0)
    theirs = sample_responses(hf_model(model), hf_tokenizer(), prompts, 4, temperature=0.0)
    assert ours[:2] == theirs[:2]


def test_rl_config_validation():
    with pytest.raises(ValueError, match="off-policy"):
        RLConfig(epochs_per_rollout=2, loss_type="reinforce_with_baseline")
    with pytest.raises(ValueError, match=">= 1"):
        RLConfig(group_size=0)


def test_sft_lowers_the_loss():
    model, tok = course_model(), course_tokenizer()
    log = train_sft(model, tok, make_examples(200, seed=0), 15, batch_size=8, gradient_accumulation_steps=2, lr=1e-2)
    assert log[-1]["loss"] < log[0]["loss"] - 1.0
    with pytest.raises(ValueError, match="does not divide"):
        train_sft(model, tok, make_examples(4), 1, batch_size=8, gradient_accumulation_steps=3)


def test_grpo_raises_the_reward():
    model, tok = course_model(seed=2), course_tokenizer()
    pool = make_examples(50, seed=0, kinds=("format",))

    def reward(examples, texts):  # 1 when the response's first token has an even id: about half of them at first
        return torch.tensor([float(tok.encode(t)[0] % 2 == 0) for t in texts])

    config = RLConfig(steps=10, prompts_per_step=4, group_size=8, lr=1e-2, max_new_tokens=1, temperature=1.0)
    log = train_grpo(model, tok, pool, reward, config)
    first, last = sum(e["reward"] for e in log[:3]) / 3, sum(e["reward"] for e in log[-3:]) / 3
    assert last > first + 0.2, (first, last)
    with pytest.raises(ValueError, match="reference"):
        train_grpo(model, tok, pool, reward, RLConfig(kl_coef=0.1))


def test_ppo_reward_model_and_dpo_run_and_learn():
    tok = course_tokenizer()
    sft = course_model(seed=3)
    pool = make_examples(40, seed=0, kinds=("arithmetic",))
    reward = lambda examples, texts: torch.tensor([exact_match_reward(t, e.answer) for e, t in zip(examples, texts)])
    log = train_ppo(
        copy.deepcopy(sft),
        ScalarHeadModel(sft),
        tok,
        pool,
        reward,
        RLConfig(steps=2, prompts_per_step=4, group_size=2, max_new_tokens=3, kl_coef=0.1),
        reference=sft,
    )
    assert len(log) == 2 and all(torch.isfinite(torch.tensor(e["value_loss"])) for e in log)
    pairs = preference_pairs(make_examples(64, seed=1), seed=1)
    rm = ScalarHeadModel(sft)
    rm_log = train_reward_model(rm, tok, pairs, 15, batch_size=16, lr=3e-3)
    assert rm_log[-1]["loss"] < rm_log[0]["loss"] and preference_accuracy(rm, tok, pairs) > 0.6
    dpo_log = train_dpo(copy.deepcopy(sft), sft, tok, pairs, 10, beta=0.5, batch_size=8, lr=3e-3)
    assert dpo_log[0]["loss"] == pytest.approx(0.6931, abs=1e-3)  # the policy starts equal to the reference
    assert dpo_log[-1]["margin"] > 0


def test_committed_runs_are_consistent():
    from course_lib.alignment.runs import GRPO_CONFIG, LOG_FILE, RUNS_DIR, SFT_STEPS, load_runs

    runs = load_runs()
    assert runs["command"] == "course align" and runs["sft"]["steps"] == SFT_STEPS == len(runs["sft"]["log"])
    assert runs["sft"]["accuracy_after"]["all"] > runs["sft"]["accuracy_before"]["all"]
    for name in ("grpo", "grpo_no_std"):
        assert runs[name]["config"]["steps"] == GRPO_CONFIG.steps
        assert len([e for e in runs[name]["log"] if "reward" in e]) == GRPO_CONFIG.steps
    assert not runs["grpo_no_std"]["config"]["normalize_by_std"]
    assert json.loads((RUNS_DIR / LOG_FILE).read_text()) == runs
    with pytest.raises(FileNotFoundError, match="course align"):
        load_runs(RUNS_DIR / "missing")


@pytest.mark.slow
def test_course_align_quick(tmp_path):
    from course_lib.alignment.runs import load_runs, load_sft_model
    from course_lib.tools.cli import main

    assert main(["align", "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    runs = load_runs(tmp_path)
    assert runs["command"] == "course align --quick" and len(runs["grpo"]["log"]) == 2 + 1  # + the step-0 eval
    model, _ = load_sft_model(tmp_path)
    assert not model.training
