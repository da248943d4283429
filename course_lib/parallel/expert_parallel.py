"""Expert parallelism: the experts of a mixture-of-experts layer live on different ranks, and tokens
travel to their experts and back with two all-to-alls.

With ``E`` experts on ``N`` ranks, rank ``r`` holds experts ``r·E/N ... (r+1)·E/N - 1`` and its own
tokens. A router picks ``k`` experts per token. Then:

1. **dispatch**: every rank sorts its (token, expert) assignments by expert, tells every other rank
   how many rows it will send it (an all-to-all of counts), and sends the token vectors (an
   all-to-all of ``(rows, d_model)``);
2. each rank runs its experts on the rows it received;
3. **combine**: the results go back the same way (the reverse all-to-all) and each token sums its
   ``k`` expert outputs weighted by the router's weights.

The all-to-all is differentiable here (its backward is the reverse all-to-all), so experts and
router train exactly as in the single-process layer, :func:`moe_reference`.

The interface is deliberately minimal: router logits ``(tokens, E)`` → top-k weights and indices,
and a list of expert modules ``(rows, d) -> (rows, d)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["top_k_routing", "moe_reference", "all_to_all", "expert_parallel_moe"]


def top_k_routing(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` best experts per token and their weights (softmax over the chosen ``k`` logits).

    logits: (tokens, experts) -> weights (tokens, k) float, indices (tokens, k) int64.
    """
    if logits.ndim != 2:
        raise ValueError(f"expected router logits of shape (tokens, experts), got {tuple(logits.shape)}")
    if not 1 <= k <= logits.shape[1]:
        raise ValueError(f"k must be between 1 and the number of experts {logits.shape[1]}, got {k}")
    top, indices = logits.topk(k, dim=-1)
    return top.softmax(dim=-1), indices


def moe_reference(x: torch.Tensor, weights: torch.Tensor, indices: torch.Tensor, experts: Sequence[nn.Module]) -> torch.Tensor:
    """The mixture-of-experts output in one process: ``sum_j weights[t, j] · experts[indices[t, j]](x[t])``.

    x: (tokens, d), weights and indices: (tokens, k) -> (tokens, d).
    """
    out = torch.zeros_like(x)
    for e, expert in enumerate(experts):
        token, slot = (indices == e).nonzero(as_tuple=True)
        if token.numel():
            out = out.index_add(0, token, weights[token, slot, None] * expert(x[token]))
    return out


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


def expert_parallel_moe(
    x: torch.Tensor, weights: torch.Tensor, indices: torch.Tensor, local_experts: Sequence[nn.Module], num_experts: int
) -> torch.Tensor:
    """This rank's tokens through a mixture of experts spread over all ranks.

    x: (tokens, d) this rank's tokens; weights, indices: (tokens, k) from the router;
    local_experts: this rank's ``num_experts / N`` experts, global ids ``rank·E/N + i``.
    Returns (tokens, d), equal to :func:`moe_reference` with all experts in one process.
    Collective: every rank must call it, with ``x.requires_grad`` the same everywhere.
    """
    world, rank = dist.get_world_size(), dist.get_rank()
    if num_experts % world:
        raise ValueError(f"num_experts = {num_experts} is not divisible by the world size {world}")
    per_rank = num_experts // world
    if len(local_experts) != per_rank:
        raise ValueError(f"rank {rank} should hold {per_rank} experts, got {len(local_experts)}")
    if indices.shape != weights.shape or indices.shape[0] != x.shape[0]:
        raise ValueError(f"x {tuple(x.shape)}, weights {tuple(weights.shape)}, indices {tuple(indices.shape)} do not match")
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
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    experts = [nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8)) for _ in range(4)]
    router = nn.Linear(8, 4)
    x = torch.randn(10, 8, generator=torch.Generator().manual_seed(rank))
    weights, indices = top_k_routing(router(x), k=2)
    per_rank = len(experts) // world
    y = expert_parallel_moe(x, weights, indices, experts[rank * per_rank : (rank + 1) * per_rank], len(experts))
    return (y - moe_reference(x, weights, indices, experts)).abs().max().item()


if __name__ == "__main__":  # python -m course_lib.parallel expert_parallel
    from course_lib.parallel.launch import launch

    print("max |expert parallel - single process| per rank:", launch(_check, world_size=2))
