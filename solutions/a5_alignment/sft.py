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
    # BEGIN SOLUTION: validate, encode each prompt/output with encode(), fill a (B, L) tensor of pad_id and a (B, L) mask True on the output positions, then shift by one.
    if len(prompt_strs) != len(output_strs):
        raise ValueError(f"got {len(prompt_strs)} prompts but {len(output_strs)} outputs")
    if not prompt_strs:
        raise ValueError("need at least one prompt/output pair")
    pairs = []
    for i, (prompt, output) in enumerate(zip(prompt_strs, output_strs)):
        p, o = encode(tokenizer, prompt), encode(tokenizer, output)
        if not p or not o:
            raise ValueError(f"{'prompt' if not p else 'output'} {i} is empty")
        pairs.append((p, o))
    length = max(len(p) + len(o) for p, o in pairs)
    full = torch.full((len(pairs), length), pad_id(tokenizer), dtype=torch.long)
    mask = torch.zeros((len(pairs), length), dtype=torch.bool)
    for i, (p, o) in enumerate(pairs):
        full[i, : len(p) + len(o)] = torch.tensor(p + o)
        mask[i, len(p) : len(p) + len(o)] = True
    return {"input_ids": full[:, :-1], "labels": full[:, 1:], "response_mask": mask[:, 1:]}
    # END SOLUTION


def compute_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of softmax(logits) over the last dimension: (..., vocab) -> (...). It must stay
    finite for logits as large as 1e4."""
    # BEGIN SOLUTION: logsumexp(z) - sum(softmax(z) * z), never log(softmax).
    return torch.logsumexp(logits, dim=-1) - (torch.softmax(logits, dim=-1) * logits).sum(dim=-1)
    # END SOLUTION


def get_response_log_probs(
    model: nn.Module, input_ids: torch.Tensor, labels: torch.Tensor, return_token_entropy: bool = False
) -> dict[str, torch.Tensor]:
    """``{"log_probs": (B, T)}`` with log p(labels[b, t] | input_ids[b, :t+1]), plus ``"token_entropy"``
    (B, T) when asked. Raise ValueError when input_ids and labels differ in shape."""
    # BEGIN SOLUTION: log_softmax of logits_of(model, input_ids), gathered at the labels; entropy from the same logits.
    if input_ids.shape != labels.shape:
        raise ValueError(f"input_ids {tuple(input_ids.shape)} and labels {tuple(labels.shape)} differ in shape")
    logits = logits_of(model, input_ids).float()
    out = {"log_probs": torch.log_softmax(logits, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)}
    if return_token_entropy:
        out["token_entropy"] = compute_entropy(logits)
    return out
    # END SOLUTION


def masked_mean(tensor: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Mean of the entries where mask is True, over ``dim`` (all entries if None). tensor and mask
    must have the same shape (else ValueError). A slice with no active entry gives NaN."""
    # BEGIN SOLUTION: check shapes; sum(tensor * mask) / sum(mask), over dim when given.
    if tensor.shape != mask.shape:
        raise ValueError(f"mask {tuple(mask.shape)} does not match tensor {tuple(tensor.shape)}")
    m = mask.to(tensor.dtype)
    if dim is None:
        return (tensor * m).sum() / m.sum()
    return (tensor * m).sum(dim=dim) / m.sum(dim=dim)
    # END SOLUTION


def masked_normalize(
    tensor: torch.Tensor, mask: torch.Tensor, normalize_constant: float = 1.0, dim: int | None = None
) -> torch.Tensor:
    """Sum of the entries where mask is True, over ``dim`` (all if None), divided by
    ``normalize_constant``. ValueError for mismatched shapes or a constant that is not positive."""
    # BEGIN SOLUTION: check shapes and the constant; sum(tensor * mask) / constant.
    if tensor.shape != mask.shape:
        raise ValueError(f"mask {tuple(mask.shape)} does not match tensor {tuple(tensor.shape)}")
    if not normalize_constant > 0:
        raise ValueError(f"normalize_constant must be positive, got {normalize_constant}")
    masked = tensor * mask.to(tensor.dtype)
    return (masked.sum() if dim is None else masked.sum(dim=dim)) / normalize_constant
    # END SOLUTION


def sft_microbatch_train_step(
    policy_log_probs: torch.Tensor,
    response_mask: torch.Tensor,
    gradient_accumulation_steps: int,
    normalize_constant: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Loss = -(masked_normalize(log_probs, mask, normalize_constant, dim=-1)).mean() /
    gradient_accumulation_steps; call ``backward()`` on it and return ``(loss, {"tokens": number of
    response tokens})``. ValueError for gradient_accumulation_steps < 1."""
    # BEGIN SOLUTION: per-sequence masked sum / constant, mean over the batch, negate, divide by the accumulation steps, backward.
    if gradient_accumulation_steps < 1:
        raise ValueError(f"gradient_accumulation_steps must be >= 1, got {gradient_accumulation_steps}")
    loss = (
        -masked_normalize(policy_log_probs, response_mask, normalize_constant, dim=-1).mean()
        / gradient_accumulation_steps
    )
    loss.backward()
    return loss.detach(), {"tokens": response_mask.sum().detach()}
    # END SOLUTION
