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
        # TODO(a2_systems): broadcast every parameter and buffer from rank 0; register a post-accumulate-grad hook per trainable parameter that starts an async all-reduce of its .grad and keeps the handle
        raise NotImplementedError("a2_systems: `DDPIndividualParameters.__init__` is not implemented yet (a2_systems/ddp.py)")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def finish_gradient_synchronization(self) -> None:
        """Wait for every all-reduce started during backward and turn the sums into averages."""
        # TODO(a2_systems): wait on every handle, divide each gradient by the world size, forget the handles
        raise NotImplementedError("a2_systems: `DDPIndividualParameters.finish_gradient_synchronization` is not implemented yet (a2_systems/ddp.py)")


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
        # TODO(a2_systems): broadcast from rank 0; build self.buckets (lists of parameters) in reverse order; map each parameter to its bucket; register hooks that count ready gradients per bucket and start one async all-reduce of the flattened bucket when it is complete
        raise NotImplementedError("a2_systems: `DDPBucketed.__init__` is not implemented yet (a2_systems/ddp.py)")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def finish_gradient_synchronization(self) -> None:
        """Wait for every bucket's all-reduce, average, and copy the results back into each ``.grad``."""
        # TODO(a2_systems): wait on each bucket's handle, divide by the world size, copy the slices of the flat tensor back into the parameters' .grad, reset the ready counts
        raise NotImplementedError("a2_systems: `DDPBucketed.finish_gradient_synchronization` is not implemented yet (a2_systems/ddp.py)")
