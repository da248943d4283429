"""a5 policy-gradient primitives, against course_lib.alignment (itself checked against TRL) and hand values."""

from __future__ import annotations

import pytest
import torch

from course_lib import alignment as ref


@pytest.fixture(scope="module")
def grpo(load_impl):
    return load_impl("a5_alignment.grpo")


def _rollout(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    logp = torch.randn(6, 5, generator=g) * 0.5 - 1.0
    old = logp + torch.randn(6, 5, generator=g) * 0.3
    refp = logp + torch.randn(6, 5, generator=g) * 0.3
    mask = torch.arange(5)[None, :] < torch.tensor([5, 2, 3, 1, 4, 5])[:, None]
    return logp, old, refp, mask, torch.randn(6, generator=g)


RESPONSES = ["7", "8", "7", "x", "9", "9"]
TRUTHS = ["7", "7", "x", "x", "9", "9"]


def _reward(response, truth):
    return {"reward": float(response == truth)}


@pytest.mark.grade(part="group_rewards", points=2)
@pytest.mark.parametrize("normalize_by_std", [True, False])
def test_group_normalized_rewards(grpo, normalize_by_std):
    adv, raw, meta = grpo.compute_group_normalized_rewards(_reward, RESPONSES, TRUTHS, 2, 1e-6, normalize_by_std)
    e_adv, e_raw, e_meta = ref.compute_group_normalized_rewards(_reward, RESPONSES, TRUTHS, 2, 1e-6, normalize_by_std)
    torch.testing.assert_close(raw.float(), e_raw.float())
    torch.testing.assert_close(adv.float(), e_adv.float(), rtol=1e-5, atol=1e-5)
    assert meta["reward_mean"] == pytest.approx(e_meta["reward_mean"])


@pytest.mark.grade(part="group_rewards", points=1)
def test_group_normalized_rewards_reject_bad_input(grpo):
    with pytest.raises(ValueError):
        grpo.compute_group_normalized_rewards(_reward, RESPONSES, TRUTHS, 4)
    with pytest.raises(ValueError):
        grpo.compute_group_normalized_rewards(_reward, RESPONSES, TRUTHS[:4], 2)


@pytest.mark.grade(part="pg_losses", points=1)
def test_naive_loss(grpo):
    logp, _, _, _, adv = _rollout()
    torch.testing.assert_close(grpo.compute_naive_policy_gradient_loss(adv[:, None], logp), ref.compute_naive_policy_gradient_loss(adv, logp))


@pytest.mark.grade(part="pg_losses", points=2)
def test_clip_loss_by_hand(grpo):
    old = torch.zeros(1, 3)
    logp = torch.log(torch.tensor([[0.5, 1.1, 1.5]]))
    pos, meta = grpo.compute_grpo_clip_loss(torch.tensor([[1.0]]), logp, old, 0.2)
    torch.testing.assert_close(pos, torch.tensor([[-0.5, -1.1, -1.2]]))
    assert meta["clipped"].tolist() == [[False, False, True]]
    neg, meta = grpo.compute_grpo_clip_loss(torch.tensor([[-1.0]]), logp, old, 0.2)
    torch.testing.assert_close(neg, torch.tensor([[0.8, 1.1, 1.5]]))
    assert meta["clipped"].tolist() == [[True, False, False]]


@pytest.mark.grade(part="pg_losses", points=1)
def test_dispatcher(grpo):
    logp, old, _, _, adv = _rollout(1)
    for kind, kwargs in (("no_baseline", {"raw_rewards": adv.abs()}), ("reinforce_with_baseline", {"advantages": adv}),
                         ("grpo_clip", {"advantages": adv, "old_log_probs": old, "cliprange": 0.2})):
        got, _ = grpo.compute_policy_gradient_loss(logp, kind, **kwargs)
        torch.testing.assert_close(got, ref.compute_policy_gradient_loss(logp, kind, **kwargs)[0])
    with pytest.raises(ValueError):
        grpo.compute_policy_gradient_loss(logp, "grpo_clip", advantages=adv)
    with pytest.raises(ValueError):
        grpo.compute_policy_gradient_loss(logp, "ppo", advantages=adv)


@pytest.mark.grade(part="kl", points=1)
def test_kl_k3(grpo):
    logp, _, refp, _, _ = _rollout(2)
    torch.testing.assert_close(grpo.kl_k3(logp, refp), ref.kl_k3(logp, refp))
    assert grpo.kl_k3(logp, logp).abs().max() == 0


def _step(impl, aggregation, kl_coef):
    logp, old, refp, mask, adv = _rollout(3)
    logp.requires_grad_()
    loss, _ = impl.grpo_microbatch_train_step(logp, mask, 2, "grpo_clip", advantages=adv, old_log_probs=old, cliprange=0.2,
                                              aggregation=aggregation, normalize_constant=5.0,
                                              ref_log_probs=refp if kl_coef else None, kl_coef=kl_coef)
    return loss, logp.grad


@pytest.mark.grade(part="grpo_step", points=1)
@pytest.mark.parametrize("aggregation", ["sequence_mean", "token_mean", "constant"])
def test_grpo_step_aggregations(grpo, aggregation):
    (loss, grad), (e_loss, e_grad) = _step(grpo, aggregation, 0.0), _step(ref, aggregation, 0.0)
    torch.testing.assert_close(loss, e_loss, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad, e_grad, rtol=1e-5, atol=1e-6)


@pytest.mark.grade(part="grpo_step", points=1)
def test_grpo_step_with_kl(grpo):
    (loss, grad), (e_loss, e_grad) = _step(grpo, "sequence_mean", 0.1), _step(ref, "sequence_mean", 0.1)
    torch.testing.assert_close(loss, e_loss, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad, e_grad, rtol=1e-5, atol=1e-6)


@pytest.mark.grade(part="grpo_step", points=1)
def test_grpo_step_rejects_bad_input(grpo):
    logp, _, _, mask, adv = _rollout(4)
    empty = mask.clone()
    empty[1] = False
    for kwargs in ({"response_mask": mask[:, :3]}, {"response_mask": empty}, {"aggregation": "sum"},
                   {"aggregation": "constant"}, {"kl_coef": 0.1}):
        args = {"response_mask": mask, **kwargs}
        with pytest.raises(ValueError):
            grpo.grpo_microbatch_train_step(logp.clone().requires_grad_(), args.pop("response_mask"), 1,
                                            "reinforce_with_baseline", advantages=adv, **args)
