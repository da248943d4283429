"""Assignment 2, part 2: data-parallel training wrappers.

Both classes wrap a model so that, after ``loss.backward()`` and ``finish_gradient_synchronization()``,
every parameter's ``.grad`` on every rank is the *average* of the ranks' gradients, and training
with them on ``N`` ranks, each on ``1/N`` of the batch, gives the same parameters as one process
training on the whole batch. They must *overlap* communication with the backward pass: start each
all-reduce asynchronously (``async_op=True``) from a gradient hook, as soon as the gradients it
needs are ready, and only wait for them in ``finish_gradient_synchronization``.

Useful: ``dist.broadcast``, ``dist.all_reduce(t, async_op=True)`` (returns a handle with ``.wait()``),
``Tensor.register_post_accumulate_grad_hook(hook)`` (``hook(param)`` runs once per backward, when
``param.grad`` is final, also for a parameter used twice, like tied embeddings).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import nn


class DDPIndividualParameters(nn.Module):
    """Data parallelism with one asynchronous all-reduce per parameter, started from a gradient hook.

    At construction, copy rank 0's parameters and buffers to every rank (the replicas must start
    equal) and register the hooks. Parameters with ``requires_grad=False`` are left alone.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module
        # BEGIN SOLUTION: broadcast every parameter and buffer from rank 0; register a post-accumulate-grad hook per trainable parameter that starts an async all-reduce of its .grad and keeps the handle
        self._handles: list[tuple[Any, torch.Tensor]] = []
        with torch.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                dist.broadcast(tensor.data, src=0)
        for param in module.parameters():
            if param.requires_grad:
                param.register_post_accumulate_grad_hook(self._start_all_reduce)

    def _start_all_reduce(self, param: torch.Tensor) -> None:
        self._handles.append((dist.all_reduce(param.grad, async_op=True), param.grad))
        # END SOLUTION

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def finish_gradient_synchronization(self) -> None:
        """Wait for every all-reduce started during backward and turn the sums into averages."""
        # BEGIN SOLUTION: wait on every handle, divide each gradient by the world size, forget the handles
        world = dist.get_world_size()
        for handle, grad in self._handles:
            handle.wait()
            grad /= world
        self._handles.clear()
        # END SOLUTION


class DDPBucketed(nn.Module):
    """Data parallelism with gradients grouped into buckets of about ``bucket_size_mb`` MB each.

    Fill buckets with the trainable parameters in *reverse* order of ``module.parameters()`` (about
    the order backward produces their gradients), by PyTorch DDP's rule: add parameters to the open
    bucket and close it as soon as it holds at least ``bucket_size_mb`` megabytes (10^6 bytes) of
    gradients, so every bucket but the last reaches the cap (its last parameter may take it over);
    ``bucket_size_mb=0`` gives every parameter a bucket of its own. When the last gradient of a bucket is ready, flatten the bucket's gradients
    into one tensor and start one asynchronous all-reduce for it. ``self.buckets`` must be a list with
    one list of parameters per bucket (the tests count the buckets and their parameters).
    """

    def __init__(self, module: nn.Module, bucket_size_mb: float) -> None:
        super().__init__()
        self.module = module
        # BEGIN SOLUTION: broadcast from rank 0; build self.buckets (lists of parameters) in reverse order; map each parameter to its bucket; register hooks that count ready gradients per bucket and start one async all-reduce of the flattened bucket when it is complete
        with torch.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                dist.broadcast(tensor.data, src=0)
        cap = bucket_size_mb * 1e6
        self.buckets: list[list[nn.Parameter]] = []
        current: list[nn.Parameter] = []
        size = 0
        for param in reversed([p for p in module.parameters() if p.requires_grad]):
            current.append(param)
            size += param.numel() * param.element_size()
            if size >= cap:
                self.buckets.append(current)
                current, size = [], 0
        if current:
            self.buckets.append(current)
        self._bucket_of = {id(p): i for i, bucket in enumerate(self.buckets) for p in bucket}
        self._ready = [0] * len(self.buckets)
        self._pending: list[tuple[Any, torch.Tensor, int]] = []
        for bucket in self.buckets:
            for param in bucket:
                param.register_post_accumulate_grad_hook(self._grad_ready)

    def _grad_ready(self, param: torch.Tensor) -> None:
        index = self._bucket_of[id(param)]
        self._ready[index] += 1
        if self._ready[index] == len(self.buckets[index]):
            flat = torch.cat([p.grad.reshape(-1) for p in self.buckets[index]])
            self._pending.append((dist.all_reduce(flat, async_op=True), flat, index))
        # END SOLUTION

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def finish_gradient_synchronization(self) -> None:
        """Wait for every bucket's all-reduce, average, and copy the results back into each ``.grad``."""
        # BEGIN SOLUTION: wait on each bucket's handle, divide by the world size, copy the slices of the flat tensor back into the parameters' .grad, reset the ready counts
        world = dist.get_world_size()
        for handle, flat, index in self._pending:
            handle.wait()
            flat /= world
            bucket = self.buckets[index]
            for param, piece in zip(bucket, flat.split([p.numel() for p in bucket])):
                param.grad.copy_(piece.view_as(param.grad))
        self._pending.clear()
        self._ready = [0] * len(self.buckets)
        # END SOLUTION
