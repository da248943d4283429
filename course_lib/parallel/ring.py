"""A ring all-reduce from point-to-point sends and receives, counting the bytes it sends.

The ranks form a ring (rank ``r`` sends to ``r+1`` and receives from ``r-1``) and the tensor is cut
into ``N`` chunks. In ``N-1`` *reduce-scatter* steps each rank passes one chunk on and adds the
chunk it receives into its own; afterwards rank ``r`` holds the complete sum of chunk ``r+1``. In
``N-1`` *all-gather* steps the finished chunks travel round the ring once more. Each rank sends
``2 (N-1)`` chunks of ``S/N`` bytes: ``2 (N-1)/N · S``, almost independent of ``N``, which is why
rings scale. This is the algorithm (not the code) of NCCL's and gloo's ring all-reduce.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

__all__ = ["ring_all_reduce"]


def ring_all_reduce(tensor: torch.Tensor) -> int:
    """Sum ``tensor`` over all ranks in place with a ring of send/recv; return the bytes this rank sent.

    tensor: any shape and floating dtype, the same shape on every rank, contiguous.
    Chunks are as equal as ``torch.tensor_split`` makes them, so any size works (even fewer
    elements than ranks).
    """
    if not tensor.is_contiguous():
        raise ValueError("ring_all_reduce needs a contiguous tensor (it works on views of its storage)")
    world, rank = dist.get_world_size(), dist.get_rank()
    if world == 1:
        return 0
    chunks = list(tensor.view(-1).tensor_split(world))
    right, left = (rank + 1) % world, (rank - 1) % world
    sent = 0

    def exchange(send_index: int, recv_index: int) -> torch.Tensor:
        nonlocal sent
        incoming = torch.empty_like(chunks[recv_index])
        requests = [dist.isend(chunks[send_index], dst=right), dist.irecv(incoming, src=left)]
        for request in requests:
            request.wait()
        sent += chunks[send_index].numel() * chunks[send_index].element_size()
        return incoming

    for step in range(world - 1):  # reduce-scatter: after it, chunk (rank+1) % world is complete here
        send_index, recv_index = (rank - step) % world, (rank - step - 1) % world
        chunks[recv_index] += exchange(send_index, recv_index)
    for step in range(world - 1):  # all-gather: pass the complete chunks round the ring
        send_index, recv_index = (rank + 1 - step) % world, (rank - step) % world
        chunks[recv_index].copy_(exchange(send_index, recv_index))
    return sent


def _check(numel: int) -> tuple[float, int]:
    x = torch.randn(numel, generator=torch.Generator().manual_seed(dist.get_rank()))
    reference = x.clone()
    dist.all_reduce(reference)
    sent = ring_all_reduce(x)
    return (x - reference).abs().max().item(), sent


if __name__ == "__main__":  # python -m course_lib.parallel ring
    from course_lib.parallel.launch import launch

    for world in (2, 3, 4):
        results = launch(_check, world_size=world, args=(1200,))
        print(
            f"N={world}: max |ring - all_reduce| = {max(e for e, _ in results):.1e}, bytes sent per rank "
            f"{[s for _, s in results]} (2(N-1)/N·S = {2 * (world - 1) / world * 1200 * 4:.0f})"
        )
