"""Assignment 5, policy-gradient primitives: group-normalised rewards, the naive and clipped losses,
their dispatcher, the k3 KL estimator, and one GRPO micro-batch step with three loss aggregations.

Shapes: B rollouts (groups of ``group_size`` contiguous rollouts share a prompt), T response positions.
Rewards and advantages are per sequence: (B,) or (B, 1), broadcast over the tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from .sft import masked_mean, masked_normalize


def compute_group_normalized_rewards(
    reward_fn: Callable[[str, Any], float | dict[str, float]],
    rollout_responses: Sequence[str],
    repeated_ground_truths: Sequence[Any],
    group_size: int,
    advantage_eps: float = 1e-6,
    normalize_by_std: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """Score each response with ``reward_fn(response, ground_truth)`` (a number, or a dict whose
    ``"reward"`` is the number), then advantage = (reward - group mean) / (group std + eps), the std
    unbiased (``torch.std``'s default), or without the division when ``normalize_by_std`` is False.
    Return ``(advantages (B,), raw_rewards (B,), metadata)`` with metadata holding at least
    ``"reward_mean"``. ValueError when the lengths differ or group_size does not divide B."""
    # BEGIN SOLUTION: validate; a (B,) tensor of rewards; view as (B / group_size, group_size); subtract the row mean; divide by row std + eps if asked.
    if len(rollout_responses) != len(repeated_ground_truths):
        raise ValueError(f"{len(rollout_responses)} responses but {len(repeated_ground_truths)} ground truths")
    if group_size < 1 or len(rollout_responses) % group_size:
        raise ValueError(f"group_size={group_size} does not divide the batch of {len(rollout_responses)}")
    values = []
    for response, truth in zip(rollout_responses, repeated_ground_truths):
        r = reward_fn(response, truth)
        values.append(float(r["reward"] if isinstance(r, dict) else r))
    raw = torch.tensor(values)
    grouped = raw.view(-1, group_size)
    adv = grouped - grouped.mean(dim=1, keepdim=True)
    if normalize_by_std:
        adv = adv / (grouped.std(dim=1, keepdim=True) + advantage_eps)
    return adv.reshape(-1), raw, {"reward_mean": raw.mean().item()}
    # END SOLUTION


def compute_naive_policy_gradient_loss(
    raw_rewards_or_advantages: torch.Tensor, policy_log_probs: torch.Tensor
) -> torch.Tensor:
    """Per-token ``-A * log_prob``: A (B,) or (B, 1), log-probs (B, T) -> (B, T)."""
    # BEGIN SOLUTION: reshape A to (B, 1) and broadcast.
    return -raw_rewards_or_advantages.reshape(-1, 1).to(policy_log_probs.dtype) * policy_log_probs
    # END SOLUTION


def compute_grpo_clip_loss(
    advantages: torch.Tensor, policy_log_probs: torch.Tensor, old_log_probs: torch.Tensor, cliprange: float
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Per-token ``-min(ratio * A, clip(ratio, 1 - cliprange, 1 + cliprange) * A)`` with
    ``ratio = exp(log_prob - old_log_prob)``; metadata ``{"clipped": (B, T) bool}``, True where the
    clipped term is the smaller one. ValueError when the two log-prob tensors differ in shape."""
    # BEGIN SOLUTION: ratio from the log-prob difference; both surrogate terms; elementwise min; clipped = clipped term < unclipped term.
    if policy_log_probs.shape != old_log_probs.shape:
        raise ValueError(
            f"policy_log_probs {tuple(policy_log_probs.shape)} vs old_log_probs {tuple(old_log_probs.shape)}"
        )
    adv = advantages.reshape(-1, 1).to(policy_log_probs.dtype)
    ratio = torch.exp(policy_log_probs - old_log_probs)
    unclipped, clipped = ratio * adv, torch.clamp(ratio, 1 - cliprange, 1 + cliprange) * adv
    return -torch.minimum(unclipped, clipped), {"clipped": clipped < unclipped}
    # END SOLUTION


def compute_policy_gradient_loss(
    policy_log_probs: torch.Tensor,
    loss_type: str,
    raw_rewards: torch.Tensor | None = None,
    advantages: torch.Tensor | None = None,
    old_log_probs: torch.Tensor | None = None,
    cliprange: float | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Dispatch on ``loss_type``: ``"no_baseline"`` (naive loss on raw_rewards),
    ``"reinforce_with_baseline"`` (naive loss on advantages), ``"grpo_clip"`` (clipped loss). Return
    the (B, T) loss and metadata ({} for the naive ones). ValueError for an unknown type or a
    missing argument that the type needs."""
    # BEGIN SOLUTION: three branches, each checking that its inputs are not None.
    if loss_type == "no_baseline":
        if raw_rewards is None:
            raise ValueError("no_baseline needs raw_rewards")
        return compute_naive_policy_gradient_loss(raw_rewards, policy_log_probs), {}
    if loss_type == "reinforce_with_baseline":
        if advantages is None:
            raise ValueError("reinforce_with_baseline needs advantages")
        return compute_naive_policy_gradient_loss(advantages, policy_log_probs), {}
    if loss_type == "grpo_clip":
        if advantages is None or old_log_probs is None or cliprange is None:
            raise ValueError("grpo_clip needs advantages, old_log_probs and cliprange")
        return compute_grpo_clip_loss(advantages, policy_log_probs, old_log_probs, cliprange)
    raise ValueError(f"unknown loss_type {loss_type!r}")
    # END SOLUTION


def kl_k3(policy_log_probs: torch.Tensor, ref_log_probs: torch.Tensor) -> torch.Tensor:
    """The k3 estimator of KL(pi || pi_ref) per token: exp(d) - d - 1 with d = ref - policy log-probs."""
    # BEGIN SOLUTION: d = ref_log_probs - policy_log_probs.
    d = ref_log_probs - policy_log_probs
    return torch.exp(d) - d - 1
    # END SOLUTION


def grpo_microbatch_train_step(
    policy_log_probs: torch.Tensor,
    response_mask: torch.Tensor,
    gradient_accumulation_steps: int,
    loss_type: str,
    raw_rewards: torch.Tensor | None = None,
    advantages: torch.Tensor | None = None,
    old_log_probs: torch.Tensor | None = None,
    cliprange: float | None = None,
    aggregation: str = "sequence_mean",
    normalize_constant: float | None = None,
    ref_log_probs: torch.Tensor | None = None,
    kl_coef: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Per-token loss from :func:`compute_policy_gradient_loss`, plus ``kl_coef * kl_k3(...)`` when
    kl_coef > 0, reduced over the response tokens by ``aggregation``:

    * ``"sequence_mean"``: masked mean over each sequence, then mean over sequences (GRPO);
    * ``"token_mean"``: masked mean over every token of the batch (DAPO);
    * ``"constant"``: masked sum of each sequence / normalize_constant, mean over sequences (Dr. GRPO);

    divided by gradient_accumulation_steps, back-propagated, and returned with metadata. ValueError
    for a response_mask whose shape differs from the log-probs, a row with no response token, an
    unknown aggregation, "constant" without normalize_constant, or kl_coef > 0 without ref_log_probs."""
    # BEGIN SOLUTION: validate; loss, meta = compute_policy_gradient_loss(...); add the KL; aggregate with masked_mean/masked_normalize; divide; backward.
    if policy_log_probs.shape != response_mask.shape:
        raise ValueError(f"response_mask {tuple(response_mask.shape)} does not match {tuple(policy_log_probs.shape)}")
    if not bool(response_mask.bool().any(dim=-1).all()):
        raise ValueError("a row of response_mask has no response token")
    loss, meta = compute_policy_gradient_loss(
        policy_log_probs, loss_type, raw_rewards, advantages, old_log_probs, cliprange
    )
    if kl_coef:
        if ref_log_probs is None:
            raise ValueError("kl_coef > 0 needs ref_log_probs")
        loss = loss + kl_coef * kl_k3(policy_log_probs, ref_log_probs)
    if aggregation == "sequence_mean":
        total = masked_mean(loss, response_mask, dim=-1).mean()
    elif aggregation == "token_mean":
        total = masked_mean(loss, response_mask)
    elif aggregation == "constant":
        if normalize_constant is None:
            raise ValueError("aggregation 'constant' needs normalize_constant")
        total = masked_normalize(loss, response_mask, normalize_constant, dim=-1).mean()
    else:
        raise ValueError(f"unknown aggregation {aggregation!r}")
    total = total / gradient_accumulation_steps
    total.backward()
    return total.detach(), meta
    # END SOLUTION
