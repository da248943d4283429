"""Learning from preferences: sequence log-probabilities, the Bradley-Terry loss of a reward model,
a scalar-head model (reward model or PPO value function), and DPO.

DPO's loss follows from the KL-regularised RLHF objective ``max E[r] - beta KL(pi || pi_ref)``, whose
optimum is ``pi*(y|x) ∝ pi_ref(y|x) exp(r(x, y) / beta)``. Solving for ``r`` gives the implicit reward
``beta log(pi(y|x) / pi_ref(y|x))`` (plus a term of x alone), and putting it into the Bradley-Terry
likelihood of the preferences gives ``-log sigmoid(beta [(log pi - log pi_ref)(y_w) - (log pi - log pi_ref)(y_l)])``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.alignment.sft import get_response_log_probs, tokenize_prompt_and_output

__all__ = [
    "sequence_log_probs",
    "bradley_terry_loss",
    "dpo_loss",
    "per_instance_dpo_loss",
    "ScalarHeadModel",
]


def sequence_log_probs(
    model: nn.Module, tokenizer: Any, prompts: Sequence[str], responses: Sequence[str]
) -> torch.Tensor:
    """``log pi(response | prompt)``, summed over the response tokens, for each pair -> (B,)."""
    batch = tokenize_prompt_and_output(prompts, responses, tokenizer)
    device = next(model.parameters()).device
    log_probs = get_response_log_probs(model, batch["input_ids"].to(device), batch["labels"].to(device))["log_probs"]
    return (log_probs * batch["response_mask"].to(device)).sum(dim=-1)


def bradley_terry_loss(chosen_rewards: torch.Tensor, rejected_rewards: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of "chosen beats rejected" under Bradley-Terry,
    ``P = sigmoid(r_chosen - r_rejected)``, averaged over pairs. (B,), (B,) -> scalar."""
    if chosen_rewards.shape != rejected_rewards.shape or chosen_rewards.ndim != 1:
        raise ValueError(
            f"expected two reward vectors of the same shape (batch,), got "
            f"{tuple(chosen_rewards.shape)} and {tuple(rejected_rewards.shape)}"
        )
    return -F.logsigmoid(chosen_rewards - rejected_rewards).mean()


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """DPO on summed sequence log-probabilities, all (B,). Returns the mean loss and the implicit
    rewards ``beta * (log pi - log pi_ref)`` of the chosen and rejected responses, (B,) each."""
    shapes = {tuple(t.shape) for t in (policy_chosen, policy_rejected, ref_chosen, ref_rejected)}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError(f"expected four log-prob vectors of one shape (batch,), got {sorted(shapes)}")
    if not beta > 0:
        raise ValueError(f"beta must be positive, got {beta}")
    chosen = beta * (policy_chosen - ref_chosen)
    rejected = beta * (policy_rejected - ref_rejected)
    return -F.logsigmoid(chosen - rejected).mean(), chosen.detach(), rejected.detach()


def per_instance_dpo_loss(
    lm: nn.Module,
    lm_ref: nn.Module,
    tokenizer: Any,
    beta: float,
    prompt: str,
    response_chosen: str,
    response_rejected: str,
) -> torch.Tensor:
    """The DPO loss of one preference: ``prompt`` with a ``chosen`` and a ``rejected`` response
    (write any end-of-sequence token into the responses). The reference model gets no gradient."""
    if response_chosen == response_rejected:
        raise ValueError("the chosen and rejected responses are identical: the preference carries no signal")
    policy = sequence_log_probs(lm, tokenizer, [prompt, prompt], [response_chosen, response_rejected])
    with torch.no_grad():
        ref = sequence_log_probs(lm_ref, tokenizer, [prompt, prompt], [response_chosen, response_rejected])
    return dpo_loss(policy[:1], policy[1:], ref[:1].to(policy.device), ref[1:].to(policy.device), beta)[0]


class ScalarHeadModel(nn.Module):
    """A copy of a causal LM whose ``lm_head`` outputs one number per position instead of logits:
    a reward model (read at the last token of the response) or a PPO value function (every token).

    ``forward(input_ids)``: (B, T) int64 -> (B, T) float. Works with any backbone that has an
    ``lm_head`` whose ``weight`` is (vocab, d_model): the course model and HF causal LMs.
    """

    def __init__(self, lm: nn.Module):
        super().__init__()
        head = getattr(lm, "lm_head", None)
        if head is None or getattr(head, "weight", None) is None or head.weight.ndim != 2:
            raise ValueError(f"{type(lm).__name__} has no lm_head with a (vocab, d_model) weight to replace")
        self.backbone = copy.deepcopy(lm)
        d_model = head.weight.shape[1]
        self.backbone.lm_head = nn.Linear(d_model, 1, bias=True, device=head.weight.device)
        nn.init.zeros_(self.backbone.lm_head.weight)
        nn.init.zeros_(self.backbone.lm_head.bias)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return _scalar_values(self.backbone, input_ids)

    def score(self, input_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The value at each sequence's last real token. input_ids (B, T), lengths (B,) -> (B,)."""
        if (
            lengths.shape != (input_ids.shape[0],)
            or bool((lengths < 1).any())
            or bool((lengths > input_ids.shape[1]).any())
        ):
            raise ValueError(f"lengths must be (batch,) in [1, {input_ids.shape[1]}], got {lengths.tolist()}")
        values = self(input_ids)
        return values[torch.arange(values.shape[0], device=values.device), lengths.to(values.device) - 1]


def _scalar_values(backbone: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    """(B, T) int64 -> (B, T): the one-output head's value at every position."""
    if input_ids.ndim != 2:
        raise ValueError(f"expected input_ids of shape (batch, seq), got {tuple(input_ids.shape)}")
    out = backbone(input_ids)
    values = out if isinstance(out, torch.Tensor) else out.logits
    return values.squeeze(-1)
