"""Assignment 5, DPO: the loss of one preference pair, from the policy's and the reference's
log-probabilities of the two responses."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .sft import get_response_log_probs, tokenize_prompt_and_output


def per_instance_dpo_loss(
    lm: nn.Module,
    lm_ref: nn.Module,
    tokenizer: Any,
    beta: float,
    prompt: str,
    response_chosen: str,
    response_rejected: str,
) -> torch.Tensor:
    """``-log sigmoid(beta * ((log pi(y_w|x) - log pi_ref(y_w|x)) - (log pi(y_l|x) - log pi_ref(y_l|x))))``
    where log pi(y|x) sums the log-probs of the response tokens. No gradient reaches lm_ref.
    ValueError when the two responses are identical or beta is not positive."""
    # TODO(a5_alignment): one batch [prompt, prompt] x [chosen, rejected] with your tokenize_prompt_and_output; masked sums of get_response_log_probs for both models (the reference under no_grad).
    raise NotImplementedError("a5_alignment: `per_instance_dpo_loss` is not implemented yet (a5_alignment/dpo.py)")
