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
    # TODO(a5_alignment): validate; a (B,) tensor of rewards; view as (B / group_size, group_size); subtract the row mean; divide by row std + eps if asked.
    raise NotImplementedError("a5_alignment: `compute_group_normalized_rewards` is not implemented yet (a5_alignment/grpo.py)")


def compute_naive_policy_gradient_loss(
    raw_rewards_or_advantages: torch.Tensor, policy_log_probs: torch.Tensor
) -> torch.Tensor:
    """Per-token ``-A * log_prob``: A (B,) or (B, 1), log-probs (B, T) -> (B, T)."""
    # TODO(a5_alignment): reshape A to (B, 1) and broadcast.
    raise NotImplementedError("a5_alignment: `compute_naive_policy_gradient_loss` is not implemented yet (a5_alignment/grpo.py)")


def compute_grpo_clip_loss(
    advantages: torch.Tensor, policy_log_probs: torch.Tensor, old_log_probs: torch.Tensor, cliprange: float
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Per-token ``-min(ratio * A, clip(ratio, 1 - cliprange, 1 + cliprange) * A)`` with
    ``ratio = exp(log_prob - old_log_prob)``; metadata ``{"clipped": (B, T) bool}``, True where the
    clipped term is the smaller one. ValueError when the two log-prob tensors differ in shape."""
    # TODO(a5_alignment): ratio from the log-prob difference; both surrogate terms; elementwise min; clipped = clipped term < unclipped term.
    raise NotImplementedError("a5_alignment: `compute_grpo_clip_loss` is not implemented yet (a5_alignment/grpo.py)")


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
    # TODO(a5_alignment): three branches, each checking that its inputs are not None.
    raise NotImplementedError("a5_alignment: `compute_policy_gradient_loss` is not implemented yet (a5_alignment/grpo.py)")


def kl_k3(policy_log_probs: torch.Tensor, ref_log_probs: torch.Tensor) -> torch.Tensor:
    """The k3 estimator of KL(pi || pi_ref) per token: exp(d) - d - 1 with d = ref - policy log-probs."""
    # TODO(a5_alignment): d = ref_log_probs - policy_log_probs.
    raise NotImplementedError("a5_alignment: `kl_k3` is not implemented yet (a5_alignment/grpo.py)")


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
    # TODO(a5_alignment): validate; loss, meta = compute_policy_gradient_loss(...); add the KL; aggregate with masked_mean/masked_normalize; divide; backward.
    raise NotImplementedError("a5_alignment: `grpo_microbatch_train_step` is not implemented yet (a5_alignment/grpo.py)")
