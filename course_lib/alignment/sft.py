"""Supervised fine-tuning primitives: tokenized prompt/response pairs with a response mask, per-token
log-probabilities and entropy, masked reductions, and one micro-batch step with gradient accumulation.

Shapes: ``B`` sequences, ``T`` positions. ``labels[b, t]`` is the token that follows ``input_ids[b, t]``;
``response_mask[b, t]`` is 1 where that label is a response token (prompt and padding are 0), so a
loss masked by it trains the model to produce the response, never the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from course_lib.alignment._interop import encode, model_logits, pad_token_id

__all__ = [
    "tokenize_prompt_and_output",
    "batch_from_ids",
    "compute_entropy",
    "get_response_log_probs",
    "masked_mean",
    "masked_normalize",
    "sft_microbatch_train_step",
]


def tokenize_prompt_and_output(
    prompt_strs: Sequence[str], output_strs: Sequence[str], tokenizer: Any
) -> dict[str, torch.Tensor]:
    """Tokenize each prompt and its output separately, concatenate, right-pad, and shift by one.

    Returns ``input_ids``, ``labels`` (both (B, L - 1) int64, L the longest prompt+output) and
    ``response_mask`` ((B, L - 1) bool, True where ``labels`` is an output token). Write the
    end-of-sequence token into ``output_strs`` yourself (e.g. ``"7<|endoftext|>"``) when the model
    should learn to stop. Works with the course tokenizer and HF tokenizers.
    """
    if len(prompt_strs) != len(output_strs):
        raise ValueError(f"got {len(prompt_strs)} prompts but {len(output_strs)} outputs")
    if not prompt_strs:
        raise ValueError("need at least one prompt/output pair")
    prompt_ids, output_ids = [], []
    for i, (prompt, output) in enumerate(zip(prompt_strs, output_strs)):
        p, o = encode(tokenizer, prompt), encode(tokenizer, output)
        if not p:
            raise ValueError(f"prompt {i} is empty: the first response token needs a prompt token to follow")
        if not o:
            raise ValueError(f"output {i} is empty: there is no response token to train on")
        prompt_ids.append(p)
        output_ids.append(o)
    return batch_from_ids(prompt_ids, output_ids, pad_token_id(tokenizer))


def batch_from_ids(
    prompt_ids: Sequence[Sequence[int]], response_ids: Sequence[Sequence[int]], pad_id: int
) -> dict[str, torch.Tensor]:
    """:func:`tokenize_prompt_and_output` from token ids (for sampled responses, whose decoded text
    could re-tokenize differently): ``input_ids``, ``labels`` and ``response_mask``, (B, L - 1)."""
    if len(prompt_ids) != len(response_ids) or not prompt_ids:
        raise ValueError(
            f"need as many prompts as responses (at least one), got {len(prompt_ids)} and {len(response_ids)}"
        )
    for i, (p, r) in enumerate(zip(prompt_ids, response_ids)):
        if not p or not r:
            raise ValueError(f"pair {i} has an empty {'prompt' if not p else 'response'}")
    length = max(len(p) + len(r) for p, r in zip(prompt_ids, response_ids))
    full = torch.full((len(prompt_ids), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompt_ids), length), dtype=torch.bool)
    for i, (p, r) in enumerate(zip(prompt_ids, response_ids)):
        full[i, : len(p) + len(r)] = torch.tensor([*p, *r])
        mask[i, len(p) : len(p) + len(r)] = True
    return {"input_ids": full[:, :-1], "labels": full[:, 1:], "response_mask": mask[:, 1:]}


def compute_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of the next-token distribution at each position. logits: (..., vocab) -> (...).

    Computed stably as ``logsumexp(z) - sum softmax(z) * z``, finite for any finite logits.
    """
    log_z = torch.logsumexp(logits, dim=-1)
    return log_z - (torch.softmax(logits, dim=-1) * logits).sum(dim=-1)


def get_response_log_probs(
    model: nn.Module, input_ids: torch.Tensor, labels: torch.Tensor, return_token_entropy: bool = False
) -> dict[str, torch.Tensor]:
    """``log p(labels[b, t] | input_ids[b, :t+1])`` for every position. input_ids, labels: (B, T) int64.

    Returns ``{"log_probs": (B, T)}`` plus ``"token_entropy": (B, T)`` when asked. Works with the
    course model (returns logits) and HF causal LMs (return ``.logits``).
    """
    if input_ids.shape != labels.shape:
        raise ValueError(
            f"input_ids {tuple(input_ids.shape)} and labels {tuple(labels.shape)} must have the same shape"
        )
    logits = model_logits(model, input_ids).float()
    log_probs = torch.log_softmax(logits, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    out = {"log_probs": log_probs}
    if return_token_entropy:
        out["token_entropy"] = compute_entropy(logits)
    return out


def _check_mask(tensor: torch.Tensor, mask: torch.Tensor) -> None:
    if tensor.shape != mask.shape:
        raise ValueError(f"mask shape {tuple(mask.shape)} does not match tensor shape {tuple(tensor.shape)}")


def masked_mean(tensor: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean of the entries where ``mask`` is 1, over ``dim`` (all entries when ``None``).

    tensor and mask: the same shape; result: the shape with ``dim`` removed. A slice with no
    active entry gives NaN (0/0), as ``torch.mean`` of an empty tensor does.
    """
    _check_mask(tensor, mask)
    m = mask.to(tensor.dtype)
    if dim is None:
        return (tensor * m).sum() / m.sum()
    return (tensor * m).sum(dim=dim) / m.sum(dim=dim)


def masked_normalize(
    tensor: torch.Tensor, mask: torch.Tensor, normalize_constant: float = 1.0, dim: int | None = None
) -> torch.Tensor:
    """Sum of the entries where ``mask`` is 1, over ``dim`` (all when ``None``), divided by a constant.

    tensor and mask: the same shape. A constant normaliser (rather than the number of active tokens)
    weights every token alike whatever the length of its sequence (Dr. GRPO's fix).
    """
    _check_mask(tensor, mask)
    if not normalize_constant > 0:
        raise ValueError(f"normalize_constant must be positive, got {normalize_constant}")
    summed = (tensor * mask.to(tensor.dtype)).sum() if dim is None else (tensor * mask.to(tensor.dtype)).sum(dim=dim)
    return summed / normalize_constant


def sft_microbatch_train_step(
    policy_log_probs: torch.Tensor,
    response_mask: torch.Tensor,
    gradient_accumulation_steps: int,
    normalize_constant: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Negative log-likelihood of the response tokens for one micro-batch, and its ``backward()``.

    policy_log_probs, response_mask: (B, T). The loss is the per-sequence masked sum divided by
    ``normalize_constant``, averaged over the batch, divided by ``gradient_accumulation_steps`` (so
    that the gradients of that many micro-batches add up to one batch's). Returns the loss (already
    back-propagated) and metadata (``"tokens"``: the number of response tokens).
    """
    if gradient_accumulation_steps < 1:
        raise ValueError(f"gradient_accumulation_steps must be >= 1, got {gradient_accumulation_steps}")
    if policy_log_probs.ndim != 2:
        raise ValueError(f"expected policy_log_probs of shape (batch, seq), got {tuple(policy_log_probs.shape)}")
    per_sequence = masked_normalize(policy_log_probs, response_mask, normalize_constant, dim=-1)
    loss = -per_sequence.mean() / gradient_accumulation_steps
    loss.backward()
    return loss.detach(), {"tokens": response_mask.sum().detach()}
