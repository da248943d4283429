"""Mixture of experts: a top-k router and a feed-forward layer made of SwiGLU experts.

The router is its own module, :class:`TopKRouter`, returning ``(expert indices, weights, aux loss)``
so that other code (expert parallelism in lecture 05) can reuse it with a different dispatch.

Routing as in Mixtral: each token's ``top_k`` largest router logits pick its experts, and a softmax
over those ``top_k`` logits weighs their outputs. The load-balancing loss is Switch Transformer's
``E * sum_e f_e * P_e``, with ``f_e`` the fraction of routing slots that went to expert ``e`` and
``P_e`` the mean router probability of ``e``; it is 1 for a perfectly uniform router and grows as
the routing collapses onto few experts. With a ``capacity_factor``, each expert takes at most
``ceil(capacity_factor * tokens * top_k / E)`` tokens (first come, first served); the overflow is
dropped (its contribution is zero; the residual connection carries the token on).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.model.config import ModelConfig
from course_lib.model.layers import SwiGLU

__all__ = ["Routing", "TopKRouter", "MoEFeedForward", "load_balancing_loss", "expert_capacity"]


class Routing(NamedTuple):
    """A router's decision for ``n`` tokens: ``indices`` (n, top_k) int64, ``weights`` (n, top_k)
    (each row sums to 1), ``aux_loss`` (a scalar), ``probs`` (n, num_experts) (softmax over all)."""

    indices: torch.Tensor
    weights: torch.Tensor
    aux_loss: torch.Tensor
    probs: torch.Tensor


def load_balancing_loss(probs: torch.Tensor, indices: torch.Tensor, num_experts: int) -> torch.Tensor:
    """Switch Transformer's auxiliary loss ``E * sum_e f_e * P_e``.

    probs: (n, E) router softmax; indices: (n, k) chosen experts. Minimum 1.0 at uniform routing.
    """
    counts = torch.bincount(indices.flatten(), minlength=num_experts).to(probs.dtype)
    fraction = counts / indices.numel()
    return num_experts * (fraction * probs.mean(dim=0)).sum()


def expert_capacity(num_tokens: int, num_experts: int, top_k: int, capacity_factor: float) -> int:
    """Tokens one expert accepts: ``ceil(capacity_factor * num_tokens * top_k / num_experts)``."""
    return math.ceil(capacity_factor * num_tokens * top_k / num_experts)


class TopKRouter(nn.Module):
    """Linear router ``logits = x W^T`` (``weight``: (num_experts, d_model)) with top-k selection.

    Built from ``config`` (``d_model``, ``num_experts``, ``top_k``). x: (n, d_model) -> :class:`Routing`.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.num_experts, self.top_k = config.num_experts, config.top_k
        self.weight = nn.Parameter(torch.empty(config.num_experts, config.d_model))
        nn.init.trunc_normal_(self.weight, std=0.02, a=-0.06, b=0.06)

    def forward(self, x: torch.Tensor) -> Routing:
        if x.ndim != 2:
            raise ValueError(f"expected x of shape (tokens, d_model), got {tuple(x.shape)}")
        logits = F.linear(x, self.weight)
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))  # route in >= fp32 precision
        top_logits, indices = logits.topk(self.top_k, dim=-1)
        weights = top_logits.softmax(dim=-1).to(x.dtype)
        probs = logits.softmax(dim=-1)
        return Routing(indices, weights, load_balancing_loss(probs, indices, self.num_experts), probs)


class MoEFeedForward(nn.Module):
    """A mixture of ``num_experts`` SwiGLU experts (hidden size ``d_ff``), ``top_k`` per token.

    Built from ``config`` (``d_model``, ``d_ff``, ``num_experts``, ``top_k``, ``capacity_factor``).
    x: (batch, seq, d_model) -> (batch, seq, d_model). After each forward, ``aux_loss`` holds the
    load-balancing loss, ``expert_counts`` (num_experts,) the tokens each expert processed, and
    ``dropped`` the number of routing slots lost to the capacity limit.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.router = TopKRouter(config)
        self.experts = nn.ModuleList(
            SwiGLU(config.d_model, config.d_ff, fused=config.fused) for _ in range(config.num_experts)
        )
        self.capacity_factor = config.capacity_factor
        self.aux_loss: torch.Tensor = torch.zeros(())
        self.expert_counts: torch.Tensor = torch.zeros(config.num_experts, dtype=torch.int64)
        self.dropped = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        n, k = flat.shape[0], self.router.top_k
        routing = self.router(flat)
        self.aux_loss = routing.aux_loss
        slot_expert = routing.indices.flatten()  # (n*k,) slot s belongs to token s // k
        slot_weight = routing.weights.flatten()
        slot_token = torch.arange(n, device=x.device).repeat_interleave(k)
        capacity = (
            None if self.capacity_factor is None else expert_capacity(n, len(self.experts), k, self.capacity_factor)
        )
        out = torch.zeros_like(flat)
        counts = torch.zeros(len(self.experts), dtype=torch.int64)
        dropped = 0
        for e, expert in enumerate(self.experts):
            slots = (slot_expert == e).nonzero().squeeze(1)
            if capacity is not None and slots.numel() > capacity:
                dropped += slots.numel() - capacity
                slots = slots[:capacity]
            counts[e] = slots.numel()
            if slots.numel() == 0:
                continue
            tokens = slot_token[slots]
            out.index_add_(0, tokens, expert(flat[tokens]) * slot_weight[slots, None])
        self.expert_counts, self.dropped = counts, dropped
        return out.view(shape)
