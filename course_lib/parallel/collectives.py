"""Collective operations: what they compute, what they cost, and how to time them.

Every rank holds a tensor; a *collective* combines them. With ``N`` ranks and a tensor of ``S``
bytes, the bandwidth-optimal algorithms (rings, trees) move these many bytes out of every rank:

===============  ==============================  =====================
collective       result on every rank            bytes sent per rank
===============  ==============================  =====================
broadcast        rank ``src``'s tensor            ``S`` (pipelined)
reduce           the sum, on ``dst`` only         ``S`` (pipelined)
all-reduce       the sum                          ``2 (N-1)/N · S``
reduce-scatter   its ``1/N`` slice of the sum     ``(N-1)/N · S``
all-gather       every rank's slice, concatenated ``(N-1)/N · S``
all-to-all       slice ``i`` of every rank        ``(N-1)/N · S``
===============  ==============================  =====================

(``S`` is the size of the full result for reduce-scatter and all-gather.) Dividing those bytes by
the time gives the *bus bandwidth* NCCL's tests report, comparable with the link's speed whatever
``N`` is: :func:`bus_bandwidth`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

__all__ = [
    "BUS_FACTORS",
    "bytes_sent_per_rank",
    "bus_bandwidth",
    "all_reduce_mean",
    "all_reduce_by_reduce_scatter_all_gather",
    "time_all_reduce",
    "CommCounter",
]

BUS_FACTORS = {
    "all_reduce": lambda n: 2 * (n - 1) / n,
    "reduce_scatter": lambda n: (n - 1) / n,
    "all_gather": lambda n: (n - 1) / n,
    "all_to_all": lambda n: (n - 1) / n,
    "broadcast": lambda n: 1.0,
    "reduce": lambda n: 1.0,
}
"""Bytes each rank sends, as a multiple of the tensor's size, for a collective over ``n`` ranks."""


def bytes_sent_per_rank(op: str, nbytes: int, world_size: int) -> float:
    """Bytes each rank sends for collective ``op`` on a tensor of ``nbytes`` bytes (see the table above)."""
    if op not in BUS_FACTORS:
        raise ValueError(f"unknown collective {op!r}; expected one of {sorted(BUS_FACTORS)}")
    if world_size < 1:
        raise ValueError(f"world_size must be at least 1, got {world_size}")
    return BUS_FACTORS[op](world_size) * nbytes


def bus_bandwidth(op: str, nbytes: int, seconds: float, world_size: int) -> float:
    """Bus bandwidth in bytes/s: the bytes each rank must send for ``op`` over the time it took."""
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    return bytes_sent_per_rank(op, nbytes, world_size) / seconds


def all_reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """Average ``tensor`` over the ranks, in place, and return it (data parallelism's gradient sync)."""
    dist.all_reduce(tensor)
    tensor /= dist.get_world_size()
    return tensor


def all_reduce_by_reduce_scatter_all_gather(tensor: torch.Tensor) -> torch.Tensor:
    """The sum of ``tensor`` over ranks, computed as a reduce-scatter followed by an all-gather.

    tensor: any shape, same on every rank -> a new tensor of that shape, equal to ``all_reduce``'s.
    Each rank first receives the sum of its ``1/N`` slice (reduce-scatter), then every rank collects
    all the summed slices (all-gather): the two halves of a ring all-reduce. The flattened tensor is
    zero-padded to a multiple of ``N`` so the slices are equal.
    """
    world = dist.get_world_size()
    flat = tensor.detach().reshape(-1)
    padded = torch.cat([flat, flat.new_zeros((-flat.numel()) % world)])
    slices = list(padded.chunk(world))
    mine = torch.empty_like(slices[0])
    dist.reduce_scatter(mine, slices)
    gathered = [torch.empty_like(mine) for _ in range(world)]
    dist.all_gather(gathered, mine)
    return torch.cat(gathered)[: flat.numel()].view_as(tensor)


def time_all_reduce(
    numels: list[int], *, repeats: int = 5, warmup: int = 1, dtype: torch.dtype = torch.float32
) -> list[float]:
    """Median seconds of ``dist.all_reduce`` on float tensors of each size in ``numels``.

    Call it on every rank (it is itself collective). Each timed call starts after a barrier, so the
    ranks start together; a rank's median is returned (rank 0's is what the notebooks plot).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    medians: list[float] = []
    for numel in numels:
        tensor = torch.ones(numel, dtype=dtype)
        times = []
        for i in range(warmup + repeats):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(tensor)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        medians.append(sorted(times)[len(times) // 2])
    return medians


@dataclass
class CommCounter:
    """Tallies the payload bytes of the collectives a parallel layer issues, by label.

    ``payload`` is the size of the tensor handed to the collective (what the algebra needs); multiply
    by :data:`BUS_FACTORS` for the bytes a ring actually sends per rank.
    """

    payload: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, label: str, tensor: torch.Tensor) -> None:
        """Record one collective on ``tensor`` under ``label`` (e.g. ``"all_reduce forward"``)."""
        self.payload[label] += tensor.numel() * tensor.element_size()
        self.calls[label] += 1


def _sweep() -> list[float]:
    return time_all_reduce([2**k for k in range(4, 23, 3)])


if __name__ == "__main__":  # python -m course_lib.parallel collectives
    from course_lib.parallel.launch import launch

    for k, seconds in zip(range(4, 23, 3), launch(_sweep, world_size=2)[0]):
        nbytes = 4 * 2**k
        print(
            f"all-reduce of {nbytes:>9d} B: {seconds * 1e6:9.1f} µs, bus bandwidth {bus_bandwidth('all_reduce', nbytes, seconds, 2) / 1e9:.3f} GB/s"
        )
