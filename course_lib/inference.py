"""Sampling from a language model: temperature, top-p (nucleus), and a simple generation loop.

This first version re-runs the model on the whole (cropped) context for every new token; lecture 08
adds the KV cache, batching and speculative decoding on top.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["top_p_filter", "sample_next", "generate"]


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of tokens whose probabilities sum to at least ``top_p``; mask the rest
    to ``-inf``. logits: (..., vocab) -> same shape. The most likely token is always kept."""
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if top_p == 1:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    # Drop a token when the tokens ranked before it already reach top_p.
    drop_sorted = probs.cumsum(dim=-1) - probs >= top_p
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def sample_next(
    logits: torch.Tensor, temperature: float = 1.0, top_p: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Sample one token per row. logits: (batch, vocab) -> (batch,) int64. ``temperature=0`` is greedy."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = top_p_filter(logits.float() / temperature, top_p).softmax(dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@torch.no_grad()
def generate(
    model: nn.Module,
    ids: torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_p: float = 1.0,
    eos_id: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Extend ``ids`` (batch, seq) int64 by up to ``max_new_tokens`` sampled tokens -> (batch, seq + new).

    The context fed to the model is cropped to its ``config.context_length`` most recent tokens.
    Generation stops early once every row has produced ``eos_id`` (rows that finished are padded
    with ``eos_id``). ``generator`` must live on the model's device (CPU generator for a CPU model).
    """
    if ids.ndim != 2:
        raise ValueError(f"expected ids of shape (batch, seq), got {tuple(ids.shape)}")
    was_training = model.training
    model.eval()
    context = model.config.context_length
    finished = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
    for _ in range(max_new_tokens):
        logits = model(ids[:, -context:])[:, -1, :]
        nxt = sample_next(logits, temperature, top_p, generator)
        if eos_id is not None:
            nxt = torch.where(finished, torch.full_like(nxt, eos_id), nxt)
            finished |= nxt == eos_id
        ids = torch.cat((ids, nxt[:, None]), dim=1)
        if eos_id is not None and bool(finished.all()):
            break
    model.train(was_training)
    return ids
