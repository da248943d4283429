"""Policy-gradient primitives: group-normalised rewards, the three losses and their dispatcher, k3 KL,
the loss aggregations and the GRPO micro-batch step. References: hand-computed values, TRL's
``nanstd``, and TRL's own ``GRPOTrainer._compute_loss`` (loss types grpo, bnpo and dr_grpo)."""

from __future__ import annotations

import types
from collections import defaultdict

import pytest
import torch

from course_lib.alignment import (
    aggregate_token_loss,
    compute_group_normalized_rewards,
    compute_grpo_clip_loss,
    compute_naive_policy_gradient_loss,
    compute_policy_gradient_loss,
    group_normalize,
    grpo_microbatch_train_step,
    kl_k3,
)

REWARDS = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0])


def _rollout(seed: int = 0, b: int = 6, t: int = 5):
    g = torch.Generator().manual_seed(seed)
    logp = (torch.randn(b, t, generator=g) * 0.5 - 1.0).requires_grad_()
    old = logp.detach() + torch.randn(b, t, generator=g) * 0.3
    ref = logp.detach() + torch.randn(b, t, generator=g) * 0.3
    lengths = torch.tensor([5, 2, 3, 1, 4, 5][:b])
    mask = torch.arange(t)[None, :] < lengths[:, None]
    return logp, old, ref, mask, torch.randn(b, generator=g)


def test_group_normalize_by_hand_and_against_trl_nanstd():
    adv = group_normalize(REWARDS, 4, advantage_eps=0.0)
    # group 1: mean 0.5, unbiased std sqrt(1/3); group 2: mean 0.75, std 0.5
    s1 = (1 / 3) ** 0.5
    expected = [0.5 / s1, -0.5 / s1, -0.5 / s1, 0.5 / s1, 0.5, 0.5, 0.5, -1.5]
    assert adv.tolist() == pytest.approx(expected, rel=1e-5)
    assert group_normalize(REWARDS, 4, normalize_by_std=False).tolist() == pytest.approx(
        [0.5, -0.5, -0.5, 0.5, 0.25, 0.25, 0.25, -0.75]
    )
    trl_utils = pytest.importorskip("trl.trainer.utils")
    grouped = REWARDS.view(-1, 4)
    std = trl_utils.nanstd(grouped, dim=1).repeat_interleave(4)
    mean = grouped.mean(1).repeat_interleave(4)
    torch.testing.assert_close(group_normalize(REWARDS, 4, advantage_eps=1e-4), (REWARDS - mean) / (std + 1e-4))


def test_all_equal_group_gives_zero_advantage():
    assert group_normalize(torch.ones(4), 2).abs().max().item() == 0.0


def test_group_size_must_divide_the_batch():
    with pytest.raises(ValueError, match="does not divide"):
        group_normalize(REWARDS, 3)
    with pytest.raises(ValueError, match="does not divide"):
        compute_group_normalized_rewards(lambda r, g: 1.0, ["a"] * 5, ["a"] * 5, 2)
    with pytest.raises(ValueError, match="ground truths"):
        compute_group_normalized_rewards(lambda r, g: 1.0, ["a"] * 4, ["a"] * 3, 2)


def test_compute_group_normalized_rewards_with_dict_rewards():
    responses = ["7", "8", "7", "x"]
    adv, raw, meta = compute_group_normalized_rewards(
        lambda r, g: {"reward": float(r == g), "format_reward": 1.0},
        responses,
        ["7", "7", "x", "x"],
        2,
        normalize_by_std=False,
    )
    assert raw.tolist() == [1.0, 0.0, 0.0, 1.0]
    assert adv.tolist() == [0.5, -0.5, -0.5, 0.5]
    assert meta["reward_mean"] == 0.5 and meta["reward_max"] == 1.0 and meta["reward_min"] == 0.0
    with pytest.raises(ValueError, match="'reward' key"):
        compute_group_normalized_rewards(lambda r, g: {"score": 1.0}, responses, responses, 2)


def test_naive_loss_by_hand():
    logp = torch.tensor([[-1.0, -2.0], [-0.5, -0.1]])
    rewards = torch.tensor([[2.0], [-1.0]])
    torch.testing.assert_close(
        compute_naive_policy_gradient_loss(rewards, logp), torch.tensor([[2.0, 4.0], [-0.5, -0.1]])
    )
    assert torch.equal(
        compute_naive_policy_gradient_loss(rewards[:, 0], logp), compute_naive_policy_gradient_loss(rewards, logp)
    )
    with pytest.raises(ValueError, match="rewards of shape"):
        compute_naive_policy_gradient_loss(torch.ones(3), logp)


def test_clip_loss_by_hand():
    old = torch.zeros(1, 3)
    logp = torch.log(torch.tensor([[0.5, 1.1, 1.5]]))  # ratios 0.5, 1.1, 1.5
    pos, meta = compute_grpo_clip_loss(torch.tensor([1.0]), logp, old, 0.2)
    assert pos.tolist()[0] == pytest.approx([-0.5, -1.1, -1.2])  # min(r, clip(r)) * 1
    assert meta["clipped"].tolist() == [[False, False, True]]
    neg, meta = compute_grpo_clip_loss(torch.tensor([-1.0]), logp, old, 0.2)
    assert neg.tolist()[0] == pytest.approx([0.8, 1.1, 1.5])  # min(-r, -clip(r)) = -max(r, clip(r))
    assert meta["clipped"].tolist() == [[True, False, False]]
    with pytest.raises(ValueError, match="same shape"):
        compute_grpo_clip_loss(torch.ones(1), logp, old[:, :2], 0.2)


def test_dispatcher_matches_each_loss():
    logp, old, _, _, adv = _rollout()
    raw = adv.abs()
    a, _ = compute_policy_gradient_loss(logp, "no_baseline", raw_rewards=raw)
    assert torch.equal(a, compute_naive_policy_gradient_loss(raw, logp))
    b, _ = compute_policy_gradient_loss(logp, "reinforce_with_baseline", advantages=adv)
    assert torch.equal(b, compute_naive_policy_gradient_loss(adv, logp))
    c, meta = compute_policy_gradient_loss(logp, "grpo_clip", advantages=adv, old_log_probs=old, cliprange=0.2)
    assert torch.equal(c, compute_grpo_clip_loss(adv, logp, old, 0.2)[0]) and "clipped" in meta
    with pytest.raises(ValueError, match="needs raw_rewards"):
        compute_policy_gradient_loss(logp, "no_baseline", advantages=adv)
    with pytest.raises(ValueError, match="needs advantages, old_log_probs and cliprange"):
        compute_policy_gradient_loss(logp, "grpo_clip", advantages=adv)
    with pytest.raises(ValueError, match="unknown loss_type"):
        compute_policy_gradient_loss(logp, "ppo", advantages=adv)  # type: ignore[arg-type]


def test_k3_by_hand_and_unbiased_for_kl():
    d = torch.tensor([[0.0, 1.0, -1.0]])  # log pi_ref - log pi
    expected = (torch.exp(d) - d - 1)[0].tolist()
    assert kl_k3(torch.zeros(1, 3), d).tolist()[0] == pytest.approx(expected)
    assert min(expected) >= 0 and expected[0] == 0
    # E_{x ~ pi}[k3] = KL(pi || ref), estimated from many samples
    g = torch.Generator().manual_seed(0)
    pi, ref = torch.softmax(torch.randn(6, generator=g), 0), torch.softmax(torch.randn(6, generator=g), 0)
    x = torch.multinomial(pi, 200_000, replacement=True, generator=g)
    estimate = kl_k3(pi.log()[x][None], ref.log()[x][None]).mean().item()
    exact = (pi * (pi.log() - ref.log())).sum().item()
    assert estimate == pytest.approx(exact, rel=0.03)


def test_aggregations_by_hand():
    loss = torch.tensor([[1.0, 2.0, 3.0, 4.0], [10.0, 0.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 0, 0, 0]], dtype=torch.bool)
    assert aggregate_token_loss(loss, mask, "sequence_mean").item() == pytest.approx((2.5 + 10) / 2)
    assert aggregate_token_loss(loss, mask, "token_mean").item() == pytest.approx(20 / 5)
    assert aggregate_token_loss(loss, mask, "constant", 8.0).item() == pytest.approx(20 / (2 * 8))
    with pytest.raises(ValueError, match="normalize_constant"):
        aggregate_token_loss(loss, mask, "constant")
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate_token_loss(loss, mask, "sum")  # type: ignore[arg-type]


def _trl_loss(loss_type: str, logp, old, ref, mask, adv, beta: float, eps: float, accumulation: int, max_len: int):
    """TRL's GRPOTrainer._compute_loss, run on a stand-in trainer whose model returns ``logp``."""
    grpo = pytest.importorskip("trl.trainer.grpo_trainer")
    accelerator = types.SimpleNamespace(
        reduce=lambda x, reduction: x, gather=lambda x: x, gather_for_metrics=lambda x: x, sync_gradients=True
    )
    trainer = types.SimpleNamespace(
        _get_per_token_logps_and_entropies=lambda *a, **k: (logp, torch.zeros_like(logp), None),
        top_entropy_quantile=1.0,
        off_policy_mask_threshold=None,
        importance_sampling_level="token",
        beta=beta,
        args=types.SimpleNamespace(use_bias_correction_kl=False, delta=None),
        loss_type=loss_type,
        epsilon_low=eps,
        epsilon_high=eps,
        use_vllm=False,
        model=types.SimpleNamespace(training=True),
        current_gradient_accumulation_steps=accumulation,
        max_completion_length=max_len,
        _entropy_bonus_enabled=False,
        aux_loss_enabled=False,
        _metrics={"train": defaultdict(list)},
        accelerator=accelerator,
    )
    b, t = logp.shape
    inputs = {
        "prompt_ids": torch.zeros(b, 1, dtype=torch.long),
        "prompt_mask": torch.ones(b, 1, dtype=torch.long),
        "completion_ids": torch.zeros(b, t, dtype=torch.long),
        "completion_mask": mask.long(),
        "advantages": adv,
        "old_per_token_logps": old,
        "ref_per_token_logps": ref,
    }
    return grpo.GRPOTrainer._compute_loss(trainer, None, inputs)


@pytest.mark.parametrize(
    ("aggregation", "trl_type"), [("sequence_mean", "grpo"), ("token_mean", "bnpo"), ("constant", "dr_grpo")]
)
@pytest.mark.parametrize("beta", [0.0, 0.04])
def test_grpo_step_matches_trl(aggregation, trl_type, beta):
    logp, old, ref, mask, adv = _rollout()
    expected = _trl_loss(trl_type, logp, old, ref, mask, adv, beta, 0.2, 2, 5)
    expected_grad = torch.autograd.grad(expected, logp)[0]
    loss, meta = grpo_microbatch_train_step(
        logp,
        mask,
        2,
        "grpo_clip",
        advantages=adv,
        old_log_probs=old,
        cliprange=0.2,
        aggregation=aggregation,
        normalize_constant=5.0,
        ref_log_probs=ref if beta else None,
        kl_coef=beta,
    )
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(logp.grad, expected_grad, rtol=1e-5, atol=1e-6)
    assert ("kl" in meta) == bool(beta) and 0 <= meta["clip_fraction"].item() <= 1


def test_grpo_step_rejects_bad_input():
    logp, old, _, mask, adv = _rollout()
    with pytest.raises(ValueError, match="does not match"):
        grpo_microbatch_train_step(logp, mask[:, :3], 1, "reinforce_with_baseline", advantages=adv)
    empty = mask.clone()
    empty[2] = False
    with pytest.raises(ValueError, match=r"rows \[2\]"):
        grpo_microbatch_train_step(logp, empty, 1, "reinforce_with_baseline", advantages=adv)
    with pytest.raises(ValueError, match="needs ref_log_probs"):
        grpo_microbatch_train_step(logp, mask, 1, "reinforce_with_baseline", advantages=adv, kl_coef=0.1)
