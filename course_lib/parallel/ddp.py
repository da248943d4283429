"""Data parallelism: every rank holds the whole model, sees its own slice of the batch, and the ranks
average their gradients before each optimizer step, so they all take the same step.

Two ways to average:

* :func:`all_reduce_gradients`, after ``backward()``: one blocking all-reduce per parameter. Simple,
  but the network idles during the backward pass and the CPU/GPU idles during communication, and
  many small all-reduces pay the per-call latency many times.
* :class:`DistributedDataParallel`, PyTorch's ``torch.nn.parallel.DistributedDataParallel`` written
  out: gradient hooks fire as soon as a parameter's gradient is final; parameters are grouped into *buckets* of about
  ``bucket_size_mb``, and a bucket's asynchronous all-reduce starts as soon as its last gradient is
  ready, overlapping with the rest of the backward pass. ``finish_gradient_synchronization()``
  waits for them before the optimizer step.

Parameters are bucketed in reverse registration order, roughly the order backward produces them,
by PyTorch's rule (:func:`assign_buckets`): a bucket is closed as soon as it holds at least
``bucket_size_mb``, so every bucket but the last reaches the cap and may pass it by its last
parameter. Assignment 2's ``DDPBucketed`` follows the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from course_lib.parallel.collectives import CommCounter, all_reduce_mean

__all__ = ["broadcast_module", "all_reduce_gradients", "assign_buckets", "DistributedDataParallel"]


def broadcast_module(module: nn.Module, src: int = 0) -> None:
    """Copy rank ``src``'s parameters and buffers to every rank, so all replicas start equal."""
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=src)


def all_reduce_gradients(module: nn.Module) -> None:
    """Average every parameter's gradient over the ranks, one blocking all-reduce each (naive DDP).

    Call after ``loss.backward()`` and before ``optimizer.step()``. Every parameter that requires a
    gradient must have one, on every rank (otherwise the ranks would issue different collectives).
    """
    for name, param in module.named_parameters():
        if not param.requires_grad:
            continue
        if param.grad is None:
            raise RuntimeError(f"parameter {name!r} has no gradient; every trainable parameter must get one")
        all_reduce_mean(param.grad)


def assign_buckets(sizes: Sequence[int], cap: float) -> list[list[int]]:
    """Group tensors of ``sizes`` bytes, in the given order, into buckets: a bucket is closed as
    soon as it holds at least ``cap`` bytes (``torch.nn.parallel.DistributedDataParallel``'s rule).
    Returns each bucket's indices into ``sizes``; ``cap`` 0 gives one bucket per tensor.
    """
    buckets: list[list[int]] = []
    current: list[int] = []
    held = 0
    for index, size in enumerate(sizes):
        current.append(index)
        held += size
        if held >= cap:
            buckets.append(current)
            current, held = [], 0
    if current:
        buckets.append(current)
    return buckets


@dataclass
class _Bucket:
    params: list[nn.Parameter]
    ready: int = 0
    flat: torch.Tensor | None = None
    work: Any = None
    names: list[str] = field(default_factory=list)


class DistributedDataParallel(nn.Module):
    """Wrap ``module`` for data parallelism with bucketed all-reduces that overlap the backward pass.

    Args:
        module: the model; it is broadcast from rank 0 at construction, so every rank starts equal.
        bucket_size_mb: a bucket is closed once it holds at least this many MB (10^6 bytes) of
            gradients (:func:`assign_buckets`); ``0`` puts every parameter in its own bucket (one
            all-reduce per parameter, still overlapped), ``float("inf")`` puts all of them in one.
        counter: if given, every bucket's all-reduce is tallied there (label ``"all_reduce gradients"``).

    Use::

        model = DistributedDataParallel(net, bucket_size_mb=1)
        loss_fn(model(x_local), y_local).backward()
        model.finish_gradient_synchronization()   # gradients are now the average over ranks
        optimizer.step()

    Tied (shared) parameters are one parameter to autograd and are synchronised once. The hooks
    live on the parameters: wrap a module once, and call :meth:`unwrap` before wrapping it again.
    """

    def __init__(self, module: nn.Module, bucket_size_mb: float = 25.0, counter: CommCounter | None = None) -> None:
        super().__init__()
        self.counter = counter
        if bucket_size_mb < 0:
            raise ValueError(f"bucket_size_mb must be >= 0, got {bucket_size_mb}")
        self.module = module
        self.world_size = dist.get_world_size()
        broadcast_module(module)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]  # shared ones appear once
        backward_order = named[::-1]
        groups = assign_buckets([p.numel() * p.element_size() for _, p in backward_order], bucket_size_mb * 1e6)
        self.buckets: list[_Bucket] = [
            _Bucket(params=[backward_order[i][1] for i in group], names=[backward_order[i][0] for i in group])
            for group in groups
        ]
        self._bucket_of = {id(p): b for b in self.buckets for p in b.params}
        self._hooks = [p.register_post_accumulate_grad_hook(self._grad_ready) for _, p in named]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _grad_ready(self, param: torch.Tensor) -> None:
        bucket = self._bucket_of[id(param)]
        bucket.ready += 1
        if bucket.ready == len(bucket.params):
            bucket.flat = torch.cat([p.grad.reshape(-1) for p in bucket.params])
            bucket.work = dist.all_reduce(bucket.flat, async_op=True)
            if self.counter is not None:
                self.counter.add("all_reduce gradients", bucket.flat)

    def unwrap(self) -> nn.Module:
        """Remove the gradient hooks and return the plain module."""
        for hook in self._hooks:
            hook.remove()
        self._hooks.clear()
        return self.module

    def finish_gradient_synchronization(self) -> None:
        """Wait for every bucket's all-reduce and write the averaged gradients back to ``.grad``."""
        missing = [n for b in self.buckets if b.work is None for n, p in zip(b.names, b.params) if p.grad is None]
        if missing or any(b.work is None for b in self.buckets):
            for bucket in self.buckets:  # leave a clean state for the next step before raising
                if bucket.work is not None:
                    bucket.work.wait()
                bucket.ready, bucket.work, bucket.flat = 0, None, None
            raise RuntimeError(
                "some gradients were never produced in backward (unused parameters are not supported): "
                f"{missing or 'a bucket did not complete'}; did you call backward() before finishing?"
            )
        for bucket in self.buckets:
            bucket.work.wait()
            bucket.flat /= self.world_size
            for param, piece in zip(bucket.params, bucket.flat.split([p.numel() for p in bucket.params])):
                param.grad.copy_(piece.view_as(param.grad))
            bucket.ready, bucket.work, bucket.flat = 0, None, None


def _train(bucket_size_mb: float, steps: int = 3) -> list[torch.Tensor]:
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 2))
    ddp = DistributedDataParallel(model, bucket_size_mb=bucket_size_mb)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(steps):
        g = torch.Generator().manual_seed(step)
        x, y = torch.randn(16, 8, generator=g), torch.randn(16, 2, generator=g)
        nn.functional.mse_loss(ddp(x.chunk(world)[rank]), y.chunk(world)[rank]).backward()
        ddp.finish_gradient_synchronization()
        opt.step()
        opt.zero_grad()
    return [p.detach() for p in model.parameters()]


if __name__ == "__main__":  # python -m course_lib.parallel ddp
    from course_lib.parallel.launch import launch

    reference = launch(_train, world_size=1, args=(0.0,))[0]  # one rank on the whole batch
    for mb in (0.0, 0.001, 100.0):
        ranks = launch(_train, world_size=2, args=(mb,))
        error = max((a - b).abs().max().item() for r in ranks for a, b in zip(r, reference))
        print(f"bucket_size_mb={mb:g}: 2 ranks vs 1 process, max parameter difference {error:.1e}")
