"""Assignment 2, part 2: fully sharded data parallelism (ZeRO stage 3, FSDP).

Every *unit* (a leaf module that owns parameters: here each ``nn.Linear``) has its parameters
flattened into one vector, zero-padded to a multiple of the world size ``N``, and cut into ``N``
equal slices. Rank ``r`` keeps slice ``r`` only, as an ``nn.Parameter``: those shards are the only
parameters the wrapped model exposes, so an ordinary optimizer over ``fsdp.parameters()`` keeps state
for this rank's slices only. In every step, for each unit:

* forward: all-gather the slices (``dist.all_gather``), run the unit with views of the full vector
  (``torch.func.functional_call``), and keep nothing gathered afterwards;
* backward: all-gather again and recompute the unit (run it under
  ``torch.utils.checkpoint.checkpoint(..., use_reentrant=False)``), then reduce-scatter the gradient
  of the full vector (``dist.reduce_scatter``) and divide by ``N``, so each rank gets the mean
  gradient of its slice.

Useful: a ``torch.autograd.Function`` whose forward all-gathers and whose backward reduce-scatters
does both collectives at the right moments; checkpointing the unit makes autograd call the forward
(and so the all-gather) a second time during backward.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.func import functional_call
from torch.utils.checkpoint import checkpoint


class GatherShards(torch.autograd.Function):
    """Forward: ``shard`` (this rank's slice, 1-D) -> the full flat vector (all slices, in rank order).
    Backward: the full vector's gradient -> this rank's slice of its sum over ranks, divided by N."""

    @staticmethod
    def forward(ctx: Any, shard: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # TODO(a2_systems): all-gather every rank's slice (dist.all_gather into N empty tensors) and concatenate them
        raise NotImplementedError("a2_systems: `GatherShards.forward` is not implemented yet (a2_systems/fsdp.py)")

    @staticmethod
    def backward(ctx: Any, grad_full: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # TODO(a2_systems): reduce-scatter the N chunks of grad_full into a tensor of one slice's size, and divide by N
        raise NotImplementedError("a2_systems: `GatherShards.backward` is not implemented yet (a2_systems/fsdp.py)")


class ShardedUnit(nn.Module):
    """One leaf module, its parameters replaced by this rank's slice of their flat vector (``self.shard``)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        # TODO(a2_systems): record the module (in a list, so that its own parameters are not registered here), its parameter names and shapes; flatten and pad them to a multiple of N, broadcast the vector from rank 0, keep slice `rank` as self.shard (an nn.Parameter), and free the module's own parameters (e.g. p.data = p.data.new_empty(0), requires_grad False)
        raise NotImplementedError("a2_systems: `ShardedUnit.__init__` is not implemented yet (a2_systems/fsdp.py)")

    def gathered(self) -> dict[str, torch.Tensor]:
        """All-gather the unit's full parameters (differentiably): name -> tensor of its original shape."""
        # TODO(a2_systems): GatherShards.apply(self.shard), drop the padding, split by the parameters' sizes, view each in its shape
        raise NotImplementedError("a2_systems: `ShardedUnit.gathered` is not implemented yet (a2_systems/fsdp.py)")

    def forward(self, *args: Any) -> Any:
        # TODO(a2_systems): run the module with the gathered parameters (functional_call), under non-reentrant checkpoint when gradients are enabled
        raise NotImplementedError("a2_systems: `ShardedUnit.forward` is not implemented yet (a2_systems/fsdp.py)")


class FullyShardedDataParallel(nn.Module):
    """Wrap ``module`` in place: every leaf module that owns parameters becomes a :class:`ShardedUnit`.

    ``forward`` runs the wrapped model; ``parameters()`` yields only the shards; ``full_state_dict()``
    (call it on every rank: it all-gathers) returns ``{"<leaf name>.<parameter name>": full tensor}``
    with the original model's names. Raise ``ValueError`` if a parameter is shared by two leaves
    (tied weights), or if a module owns parameters and also has children that own some.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        # TODO(a2_systems): find the leaves that own parameters (checking the two errors above), replace each in its parent by a ShardedUnit (setattr on module.get_submodule(parent name)), keep them in self.units (name -> unit)
        raise NotImplementedError("a2_systems: `FullyShardedDataParallel.__init__` is not implemented yet (a2_systems/fsdp.py)")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def full_state_dict(self) -> dict[str, torch.Tensor]:
        # TODO(a2_systems): gather every unit and name its tensors "<leaf name>.<parameter name>"
        raise NotImplementedError("a2_systems: `FullyShardedDataParallel.full_state_dict` is not implemented yet (a2_systems/fsdp.py)")
