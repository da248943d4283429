"""Assignment 5, SFT primitives: the response mask, per-token entropy, response log-probabilities,
masked reductions and one SFT micro-batch step.

Every function must work with the course model and tokenizer *and* with Hugging Face causal LMs and
tokenizers: use the two helpers below (given, not graded) instead of calling either API directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


def encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` for the course tokenizer or an HF tokenizer (no BOS/EOS added)."""
    if hasattr(tokenizer, "special_ids") and hasattr(tokenizer, "merges"):
        return list(tokenizer.encode(text))
    return list(tokenizer.encode(text, add_special_tokens=False))


def pad_id(tokenizer: Any) -> int:
    """The id to right-pad with: HF's pad token, else the end-of-sequence token, else 0."""
    if hasattr(tokenizer, "special_ids"):
        return int(tokenizer.special_ids.get("<|endoftext|>", 0))
    for name in ("pad_token_id", "eos_token_id"):
        if getattr(tokenizer, name, None) is not None:
            return int(getattr(tokenizer, name))
    return 0


def logits_of(model: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    """(B, T) int64 -> (B, T, vocab) logits, for the course model (returns a tensor) or an HF model (``.logits``)."""
    out = model(input_ids)
    return out if isinstance(out, torch.Tensor) else out.logits


def tokenize_prompt_and_output(
    prompt_strs: Sequence[str], output_strs: Sequence[str], tokenizer: Any
) -> dict[str, torch.Tensor]:
    """Tokenize each prompt and output separately, concatenate, right-pad with ``pad_id`` to the
    longest (length L), then return ``input_ids`` = all but the last position, ``labels`` = all but
    the first (both (B, L - 1) int64), and ``response_mask`` ((B, L - 1) bool, True where the label
    is an output token). Raise ValueError for a different number of prompts and outputs, no pair
    at all, or an empty prompt or output (name its index)."""
    # TODO(a5_alignment): validate, encode each prompt/output with encode(), fill a (B, L) tensor of pad_id and a (B, L) mask True on the output positions, then shift by one.
    raise NotImplementedError("a5_alignment: `tokenize_prompt_and_output` is not implemented yet (a5_alignment/sft.py)")


def compute_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of softmax(logits) over the last dimension: (..., vocab) -> (...). It must stay
    finite for logits as large as 1e4."""
    # TODO(a5_alignment): logsumexp(z) - sum(softmax(z) * z), never log(softmax).
    raise NotImplementedError("a5_alignment: `compute_entropy` is not implemented yet (a5_alignment/sft.py)")


def get_response_log_probs(
    model: nn.Module, input_ids: torch.Tensor, labels: torch.Tensor, return_token_entropy: bool = False
) -> dict[str, torch.Tensor]:
    """``{"log_probs": (B, T)}`` with log p(labels[b, t] | input_ids[b, :t+1]), plus ``"token_entropy"``
    (B, T) when asked. Raise ValueError when input_ids and labels differ in shape."""
    # TODO(a5_alignment): log_softmax of logits_of(model, input_ids), gathered at the labels; entropy from the same logits.
    raise NotImplementedError("a5_alignment: `get_response_log_probs` is not implemented yet (a5_alignment/sft.py)")


def masked_mean(tensor: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean of the entries where mask is True, over ``dim`` (all entries if None). tensor and mask
    must have the same shape (else ValueError). A slice with no active entry gives NaN."""
    # TODO(a5_alignment): check shapes; sum(tensor * mask) / sum(mask), over dim when given.
    raise NotImplementedError("a5_alignment: `masked_mean` is not implemented yet (a5_alignment/sft.py)")


def masked_normalize(
    tensor: torch.Tensor, mask: torch.Tensor, normalize_constant: float = 1.0, dim: int | None = None
) -> torch.Tensor:
    """Sum of the entries where mask is True, over ``dim`` (all if None), divided by
    ``normalize_constant``. ValueError for mismatched shapes or a constant that is not positive."""
    # TODO(a5_alignment): check shapes and the constant; sum(tensor * mask) / constant.
    raise NotImplementedError("a5_alignment: `masked_normalize` is not implemented yet (a5_alignment/sft.py)")


def sft_microbatch_train_step(
    policy_log_probs: torch.Tensor,
    response_mask: torch.Tensor,
    gradient_accumulation_steps: int,
    normalize_constant: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss = -(masked_normalize(log_probs, mask, normalize_constant, dim=-1)).mean() /
    gradient_accumulation_steps; call ``backward()`` on it and return ``(loss, {"tokens": number of
    response tokens})``. ValueError for gradient_accumulation_steps < 1."""
    # TODO(a5_alignment): per-sequence masked sum / constant, mean over the batch, negate, divide by the accumulation steps, backward.
    raise NotImplementedError("a5_alignment: `sft_microbatch_train_step` is not implemented yet (a5_alignment/sft.py)")
