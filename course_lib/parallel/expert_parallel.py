"""Expert parallelism: the experts of a mixture-of-experts layer live on different ranks, and tokens
travel to their experts and back with two all-to-alls.

The layer is lecture 03's :class:`~course_lib.model.MoEFeedForward`: its router
(:class:`~course_lib.model.TopKRouter`) decides, its SwiGLU experts compute; only the *dispatch*
changes. With ``E`` experts on ``N`` ranks, rank ``r`` holds experts ``r·E/N ... (r+1)·E/N - 1``
and its own tokens. The model's router picks ``k`` experts per token. Then:

1. **dispatch**: every rank sorts its (token, expert) assignments by expert, tells every other rank
   how many rows it will send it (an all-to-all of counts), and sends the token vectors (an
   all-to-all of ``(rows, d_model)``);
2. each rank runs its experts on the rows it received;
3. **combine**: the results go back the same way (the reverse all-to-all) and each token sums its
   ``k`` expert outputs weighted by the router's weights.

The all-to-all is differentiable here (its backward is the reverse all-to-all), so experts and
router train exactly as in the single-process layer, ``MoEFeedForward`` (without a capacity limit).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.distributed as dist
from torch import nn

from course_lib.model.moe import Routing

__all__ = ["all_to_all", "expert_parallel_moe"]


class _AllToAll(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, send_counts: list[int], recv_counts: list[int]) -> torch.Tensor:  # type: ignore[override]
        ctx.send_counts, ctx.recv_counts = send_counts, recv_counts
        out = x.new_empty((sum(recv_counts), *x.shape[1:]))
        dist.all_to_all_single(out, x.contiguous(), output_split_sizes=recv_counts, input_split_sizes=send_counts)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        return _AllToAll.apply(grad.contiguous(), ctx.recv_counts, ctx.send_counts), None, None


def all_to_all(x: torch.Tensor, send_counts: list[int], recv_counts: list[int]) -> torch.Tensor:
    """Send rows ``x[sum(send_counts[:r]) : ...]`` to rank ``r``; receive ``recv_counts[r]`` rows from it.

    x: (sum(send_counts), ...) -> (sum(recv_counts), ...). Differentiable (backward: the reverse exchange).
    """
    if x.shape[0] != sum(send_counts):
        raise ValueError(f"x has {x.shape[0]} rows but send_counts add up to {sum(send_counts)}")
    return _AllToAll.apply(x, list(send_counts), list(recv_counts))


def expert_parallel_moe(x: torch.Tensor, routing: Routing, local_experts: Sequence[nn.Module]) -> torch.Tensor:
    """This rank's tokens through a mixture of experts spread over all ranks.

    x: (tokens, d) this rank's tokens; routing: the model's router on them
    (``TopKRouter(x)``: indices and weights (tokens, k), probs (tokens, E));
    local_experts: this rank's ``E / N`` experts, global ids ``rank·E/N + i``.
    Returns (tokens, d), equal to ``MoEFeedForward`` (no capacity limit) with all experts in one process.
    Collective: every rank must call it, with ``x.requires_grad`` the same everywhere.
    """
    world, rank = dist.get_world_size(), dist.get_rank()
    weights, indices, num_experts = routing.weights, routing.indices, routing.probs.shape[-1]
    if num_experts % world:
        raise ValueError(f"num_experts = {num_experts} is not divisible by the world size {world}")
    per_rank = num_experts // world
    if len(local_experts) != per_rank:
        raise ValueError(f"rank {rank} should hold {per_rank} experts, got {len(local_experts)}")
    if indices.shape != weights.shape or indices.shape[0] != x.shape[0]:
        raise ValueError(
            f"x {tuple(x.shape)}, weights {tuple(weights.shape)}, indices {tuple(indices.shape)} do not match"
        )
    k = indices.shape[1]
    token = torch.arange(x.shape[0], device=x.device).repeat_interleave(k)
    expert = indices.reshape(-1)
    order = expert.argsort(stable=True)  # sorted by expert, hence by destination rank
    token, expert, weight = token[order], expert[order], weights.reshape(-1)[order]
    send_counts_t = torch.bincount(expert // per_rank, minlength=world)
    recv_counts_t = torch.empty_like(send_counts_t)
    dist.all_to_all_single(recv_counts_t, send_counts_t)  # how many rows each rank will send us
    send_counts, recv_counts = send_counts_t.tolist(), recv_counts_t.tolist()
    rows = all_to_all(x[token], send_counts, recv_counts)  # dispatch
    their_expert = torch.empty(sum(recv_counts), dtype=expert.dtype, device=expert.device)
    dist.all_to_all_single(their_expert, expert, output_split_sizes=recv_counts, input_split_sizes=send_counts)
    outputs = torch.zeros_like(rows)
    for i, module in enumerate(local_experts):
        mine = (their_expert == rank * per_rank + i).nonzero(as_tuple=True)[0]
        # Called even on zero rows: the autograd graph, and so the all-to-alls that backward will
        # run, must be the same on every rank, or a rank whose experts got no tokens would skip them.
        outputs = outputs.index_copy(0, mine, module(rows[mine]))
    back = all_to_all(outputs, recv_counts, send_counts)  # combine: the reverse exchange
    return torch.zeros_like(x).index_add(0, token, weight[:, None] * back)


def _check() -> float:
    from course_lib.model import ModelConfig, MoEFeedForward

    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    config = ModelConfig(
        vocab_size=2, context_length=2, d_model=8, num_layers=1, num_heads=1, d_ff=16, num_experts=4, top_k=2
    )
    moe = MoEFeedForward(config)
    x = torch.randn(10, 8, generator=torch.Generator().manual_seed(rank))
    per_rank = len(moe.experts) // world
    y = expert_parallel_moe(x, moe.router(x), moe.experts[rank * per_rank : (rank + 1) * per_rank])
    return (y - moe(x)).abs().max().item()


if __name__ == "__main__":  # python -m course_lib.parallel expert_parallel
    from course_lib.parallel.launch import launch

    print("max |expert parallel - MoEFeedForward| per rank:", launch(_check, world_size=2))
