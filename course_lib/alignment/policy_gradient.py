"""Policy-gradient losses for RL on language models: group-normalised rewards (GRPO), the naive
REINFORCE loss with or without a baseline, PPO's clipped loss, the k3 KL estimator, the loss
aggregations in use, and one GRPO micro-batch step.

Shapes: ``B`` rollouts (``B / group_size`` prompts, each sampled ``group_size`` times, groups
contiguous), ``T`` response positions. Per-token losses are (B, T); rewards and advantages are
per sequence, (B,) or (B, 1), and broadcast over the tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import torch

from course_lib.alignment.sft import masked_mean, masked_normalize

__all__ = [
    "LossType",
    "Aggregation",
    "group_normalize",
    "compute_group_normalized_rewards",
    "compute_naive_policy_gradient_loss",
    "compute_grpo_clip_loss",
    "compute_policy_gradient_loss",
    "kl_k3",
    "aggregate_token_loss",
    "grpo_microbatch_train_step",
]

LossType = Literal["no_baseline", "reinforce_with_baseline", "grpo_clip"]
Aggregation = Literal["sequence_mean", "token_mean", "constant"]


def group_normalize(
    rewards: torch.Tensor, group_size: int, advantage_eps: float = 1e-6, normalize_by_std: bool = True
) -> torch.Tensor:
    """GRPO's advantages: each reward minus its group's mean, divided by the group's (unbiased)
    standard deviation plus ``advantage_eps`` when ``normalize_by_std``. rewards: (B,) -> (B,).

    Groups are ``group_size`` contiguous entries. Dr. GRPO drops the division (``normalize_by_std=False``):
    it up-weights groups that are nearly all right or all wrong.
    """
    if rewards.ndim != 1:
        raise ValueError(f"expected rewards of shape (batch,), got {tuple(rewards.shape)}")
    if group_size < 1 or rewards.numel() % group_size:
        raise ValueError(f"group_size={group_size} does not divide the batch of {rewards.numel()} rollouts")
    if normalize_by_std and group_size < 2:
        raise ValueError("normalize_by_std needs group_size >= 2 (the standard deviation of one sample is undefined)")
    grouped = rewards.reshape(-1, group_size).float()
    centred = grouped - grouped.mean(dim=1, keepdim=True)
    if normalize_by_std:
        centred = centred / (grouped.std(dim=1, keepdim=True) + advantage_eps)
    return centred.reshape(-1)


def _reward_value(result: Any) -> float:
    if isinstance(result, dict):
        if "reward" not in result:
            raise ValueError(f"reward_fn returned a dict without a 'reward' key: {sorted(result)}")
        return float(result["reward"])
    return float(result)


def compute_group_normalized_rewards(
    reward_fn: Callable[[str, Any], float | dict[str, float]],
    rollout_responses: Sequence[str],
    repeated_ground_truths: Sequence[Any],
    group_size: int,
    advantage_eps: float = 1e-6,
    normalize_by_std: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """Score every rollout with ``reward_fn(response, ground_truth)`` (a number, or a dict with a
    ``"reward"`` key) and normalise within groups (:func:`group_normalize`).

    Returns ``(advantages (B,), raw_rewards (B,), metadata)`` with the reward's mean, std, max, min.
    """
    if len(rollout_responses) != len(repeated_ground_truths):
        raise ValueError(f"got {len(rollout_responses)} responses but {len(repeated_ground_truths)} ground truths")
    if group_size < 1 or len(rollout_responses) % group_size:
        raise ValueError(f"group_size={group_size} does not divide the batch of {len(rollout_responses)} rollouts")
    raw = torch.tensor([_reward_value(reward_fn(r, g)) for r, g in zip(rollout_responses, repeated_ground_truths)])
    advantages = group_normalize(raw, group_size, advantage_eps, normalize_by_std)
    meta = {
        "reward_mean": raw.mean().item(),
        "reward_std": raw.std().item() if raw.numel() > 1 else 0.0,
        "reward_max": raw.max().item(),
        "reward_min": raw.min().item(),
    }
    return advantages, raw, meta


def _per_sequence(values: torch.Tensor, policy_log_probs: torch.Tensor, name: str) -> torch.Tensor:
    """(B,) or (B, 1) per-sequence values, or (B, T) per-token values (PPO with GAE), ready to broadcast."""
    if values.ndim == 1:
        values = values[:, None]
    b, t = policy_log_probs.shape
    if values.ndim != 2 or values.shape[0] != b or values.shape[1] not in (1, t):
        raise ValueError(f"expected {name} of shape ({b},), ({b}, 1) or ({b}, {t}), got {tuple(values.shape)}")
    return values.to(policy_log_probs.dtype)


def compute_naive_policy_gradient_loss(
    raw_rewards_or_advantages: torch.Tensor, policy_log_probs: torch.Tensor
) -> torch.Tensor:
    """REINFORCE's per-token loss ``-A * log pi(o_t)``. rewards/advantages: (B,), (B, 1) or (B, T); log-probs
    (B, T) -> (B, T). Its gradient is the policy gradient; its value is not an objective to read."""
    if policy_log_probs.ndim != 2:
        raise ValueError(f"expected policy_log_probs of shape (batch, seq), got {tuple(policy_log_probs.shape)}")
    return -_per_sequence(raw_rewards_or_advantages, policy_log_probs, "rewards") * policy_log_probs


def compute_grpo_clip_loss(
    advantages: torch.Tensor, policy_log_probs: torch.Tensor, old_log_probs: torch.Tensor, cliprange: float
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """PPO's clipped surrogate, per token: ``-min(r A, clip(r, 1 - eps, 1 + eps) A)`` with
    ``r = exp(log pi - log pi_old)``. advantages (B,), (B, 1) or per token (B, T); log-probs (B, T) -> loss (B, T).

    Metadata: ``"clipped"`` (B, T) bool, where the clipped term is the smaller (no gradient flows),
    and ``"ratio"`` (B, T).
    """
    if policy_log_probs.shape != old_log_probs.shape:
        raise ValueError(
            f"policy_log_probs {tuple(policy_log_probs.shape)} and old_log_probs "
            f"{tuple(old_log_probs.shape)} must have the same shape"
        )
    if not cliprange > 0:
        raise ValueError(f"cliprange must be positive, got {cliprange}")
    adv = _per_sequence(advantages, policy_log_probs, "advantages")
    ratio = torch.exp(policy_log_probs - old_log_probs)
    unclipped = ratio * adv
    clipped = torch.clamp(ratio, 1 - cliprange, 1 + cliprange) * adv
    return -torch.minimum(unclipped, clipped), {"clipped": clipped < unclipped, "ratio": ratio.detach()}


def compute_policy_gradient_loss(
    policy_log_probs: torch.Tensor,
    loss_type: LossType,
    raw_rewards: torch.Tensor | None = None,
    advantages: torch.Tensor | None = None,
    old_log_probs: torch.Tensor | None = None,
    cliprange: float | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One entry point for the three losses: ``"no_baseline"`` (REINFORCE on raw rewards),
    ``"reinforce_with_baseline"`` (REINFORCE on advantages) and ``"grpo_clip"`` (clipped, needs
    ``old_log_probs`` and ``cliprange``). Returns the (B, T) per-token loss and metadata."""
    if loss_type == "no_baseline":
        if raw_rewards is None:
            raise ValueError("loss_type 'no_baseline' needs raw_rewards")
        return compute_naive_policy_gradient_loss(raw_rewards, policy_log_probs), {}
    if loss_type == "reinforce_with_baseline":
        if advantages is None:
            raise ValueError("loss_type 'reinforce_with_baseline' needs advantages")
        return compute_naive_policy_gradient_loss(advantages, policy_log_probs), {}
    if loss_type == "grpo_clip":
        if advantages is None or old_log_probs is None or cliprange is None:
            raise ValueError("loss_type 'grpo_clip' needs advantages, old_log_probs and cliprange")
        return compute_grpo_clip_loss(advantages, policy_log_probs, old_log_probs, cliprange)
    raise ValueError(
        f"unknown loss_type {loss_type!r}: expected 'no_baseline', 'reinforce_with_baseline' or 'grpo_clip'"
    )


def kl_k3(policy_log_probs: torch.Tensor, ref_log_probs: torch.Tensor) -> torch.Tensor:
    """Schulman's k3 estimator of KL(pi || pi_ref) per sampled token: ``exp(d) - d - 1`` with
    ``d = log pi_ref - log pi``. (B, T), (B, T) -> (B, T). Unbiased under samples from pi, and
    never negative (unlike k1 = -d)."""
    if policy_log_probs.shape != ref_log_probs.shape:
        raise ValueError(
            f"policy_log_probs {tuple(policy_log_probs.shape)} and ref_log_probs "
            f"{tuple(ref_log_probs.shape)} must have the same shape"
        )
    d = ref_log_probs - policy_log_probs
    return torch.exp(d) - d - 1


def aggregate_token_loss(
    per_token_loss: torch.Tensor,
    response_mask: torch.Tensor,
    aggregation: Aggregation = "sequence_mean",
    normalize_constant: float | None = None,
) -> torch.Tensor:
    """Reduce a (B, T) per-token loss to a scalar over the response tokens.

    * ``"sequence_mean"``: mean over each sequence's tokens, then over sequences (DeepSeekMath's GRPO;
      a token of a short answer weighs more than one of a long answer).
    * ``"token_mean"``: sum over all active tokens divided by their number (DAPO; TRL's ``bnpo``).
    * ``"constant"``: sum over all active tokens divided by ``B * normalize_constant``, a constant
      such as the maximum response length (Dr. GRPO; TRL's ``dr_grpo``): no length bias.
    """
    if per_token_loss.ndim != 2:
        raise ValueError(f"expected a per-token loss of shape (batch, seq), got {tuple(per_token_loss.shape)}")
    if aggregation == "sequence_mean":
        return masked_mean(per_token_loss, response_mask, dim=-1).mean()
    if aggregation == "token_mean":
        return masked_mean(per_token_loss, response_mask)
    if aggregation == "constant":
        if normalize_constant is None:
            raise ValueError("aggregation 'constant' needs normalize_constant (e.g. the maximum response length)")
        return masked_normalize(per_token_loss, response_mask, normalize_constant, dim=-1).mean()
    raise ValueError(f"unknown aggregation {aggregation!r}: expected 'sequence_mean', 'token_mean' or 'constant'")


def grpo_microbatch_train_step(
    policy_log_probs: torch.Tensor,
    response_mask: torch.Tensor,
    gradient_accumulation_steps: int,
    loss_type: LossType,
    raw_rewards: torch.Tensor | None = None,
    advantages: torch.Tensor | None = None,
    old_log_probs: torch.Tensor | None = None,
    cliprange: float | None = None,
    *,
    aggregation: Aggregation = "sequence_mean",
    normalize_constant: float | None = None,
    ref_log_probs: torch.Tensor | None = None,
    kl_coef: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The policy-gradient loss of one micro-batch (plus ``kl_coef`` times k3 KL to ``ref_log_probs``,
    per token, as in GRPO), aggregated over the response tokens, divided by
    ``gradient_accumulation_steps``, and back-propagated.

    policy_log_probs, response_mask, old/ref log-probs: (B, T). Returns the loss and metadata
    (``"kl"``: mean k3 over response tokens when a reference is given; ``"clip_fraction"`` for the
    clipped loss).
    """
    if gradient_accumulation_steps < 1:
        raise ValueError(f"gradient_accumulation_steps must be >= 1, got {gradient_accumulation_steps}")
    if policy_log_probs.shape != response_mask.shape:
        raise ValueError(
            f"response_mask {tuple(response_mask.shape)} does not match policy_log_probs "
            f"{tuple(policy_log_probs.shape)}"
        )
    empty = (~response_mask.bool().any(dim=-1)).nonzero().flatten().tolist()
    if empty:
        raise ValueError(f"response_mask has no active token in rows {empty}: empty responses have no loss")
    per_token, meta = compute_policy_gradient_loss(
        policy_log_probs, loss_type, raw_rewards, advantages, old_log_probs, cliprange
    )
    out: dict[str, torch.Tensor] = {}
    if kl_coef:
        if ref_log_probs is None:
            raise ValueError("kl_coef > 0 needs ref_log_probs")
        kl = kl_k3(policy_log_probs, ref_log_probs)
        per_token = per_token + kl_coef * kl
        out["kl"] = masked_mean(kl.detach(), response_mask)
    if "clipped" in meta:
        out["clip_fraction"] = masked_mean(meta["clipped"].float(), response_mask)
    loss = aggregate_token_loss(per_token, response_mask, aggregation, normalize_constant) / gradient_accumulation_steps
    loss.backward()
    return loss.detach(), out
