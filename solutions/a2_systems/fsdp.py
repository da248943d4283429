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
        # BEGIN SOLUTION: all-gather every rank's slice (dist.all_gather into N empty tensors) and concatenate them
        slices = [torch.empty_like(shard) for _ in range(dist.get_world_size())]
        dist.all_gather(slices, shard.detach().contiguous())
        return torch.cat(slices)
        # END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_full: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # BEGIN SOLUTION: reduce-scatter the N chunks of grad_full into a tensor of one slice's size, and divide by N
        world = dist.get_world_size()
        grad_shard = torch.empty(grad_full.numel() // world, dtype=grad_full.dtype, device=grad_full.device)
        dist.reduce_scatter(grad_shard, list(grad_full.contiguous().chunk(world)))
        return grad_shard / world
        # END SOLUTION


class ShardedUnit(nn.Module):
    """One leaf module, its parameters replaced by this rank's slice of their flat vector (``self.shard``)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        # BEGIN SOLUTION: record the module (in a list, so that its own parameters are not registered here), its parameter names and shapes; flatten and pad them to a multiple of N, broadcast the vector from rank 0, keep slice `rank` as self.shard (an nn.Parameter), and free the module's own parameters (e.g. p.data = p.data.new_empty(0), requires_grad False)
        rank, world = dist.get_rank(), dist.get_world_size()
        self._module = [module]
        self.names = [name for name, _ in module.named_parameters()]
        params = [p for _, p in module.named_parameters()]
        self.shapes = [p.shape for p in params]
        self.numel = sum(p.numel() for p in params)
        flat = torch.cat([p.detach().reshape(-1) for p in params])
        flat = torch.cat([flat, flat.new_zeros((-self.numel) % world)])
        dist.broadcast(flat, src=0)
        self.shard = nn.Parameter(flat.chunk(world)[rank].clone())
        for p in params:
            p.requires_grad_(False)
            p.data = p.data.new_empty(0)
        # END SOLUTION

    def gathered(self) -> dict[str, torch.Tensor]:
        """All-gather the unit's full parameters (differentiably): name -> tensor of its original shape."""
        # BEGIN SOLUTION: GatherShards.apply(self.shard), drop the padding, split by the parameters' sizes, view each in its shape
        full = GatherShards.apply(self.shard)[: self.numel]
        pieces = full.split([s.numel() for s in self.shapes])
        return {name: piece.view(shape) for name, piece, shape in zip(self.names, pieces, self.shapes)}
        # END SOLUTION

    def forward(self, *args: Any) -> Any:
        # BEGIN SOLUTION: run the module with the gathered parameters (functional_call), under non-reentrant checkpoint when gradients are enabled
        run = lambda *inputs: functional_call(self._module[0], self.gathered(), inputs)  # noqa: E731
        if torch.is_grad_enabled():
            return checkpoint(run, *args, use_reentrant=False)
        return run(*args)
        # END SOLUTION


class FullyShardedDataParallel(nn.Module):
    """Wrap ``module`` in place: every leaf module that owns parameters becomes a :class:`ShardedUnit`.

    ``forward`` runs the wrapped model; ``parameters()`` yields only the shards; ``full_state_dict()``
    (call it on every rank: it all-gathers) returns ``{"<leaf name>.<parameter name>": full tensor}``
    with the original model's names. Raise ``ValueError`` if a parameter is shared by two leaves
    (tied weights), or if a module owns parameters and also has children that own some.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        # BEGIN SOLUTION: find the leaves that own parameters (checking the two errors above), replace each in its parent by a ShardedUnit (setattr on module.get_submodule(parent name)), keep them in self.units (name -> unit)
        leaves = [
            (name, m) for name, m in module.named_modules() if next(m.parameters(recurse=False), None) is not None
        ]
        owner: dict[int, str] = {}
        for name, leaf in leaves:
            if name == "" or any(next(child.parameters(), None) is not None for child in leaf.children()):
                raise ValueError(f"module {name!r} owns parameters and has children that own some; shard leaves only")
            for p in leaf.parameters():
                if id(p) in owner:
                    raise ValueError(
                        f"parameter shared by {owner[id(p)]!r} and {name!r}: tied weights are not supported"
                    )
                owner[id(p)] = name
        self.module = module
        self.units: dict[str, ShardedUnit] = {}
        for name, leaf in leaves:
            unit = ShardedUnit(leaf)
            parent, _, child = name.rpartition(".")
            setattr(module.get_submodule(parent), child, unit)
            self.units[name] = unit
        # END SOLUTION

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def full_state_dict(self) -> dict[str, torch.Tensor]:
        # BEGIN SOLUTION: gather every unit and name its tensors "<leaf name>.<parameter name>"
        return {
            f"{unit_name}.{name}": tensor.clone()
            for unit_name, unit in self.units.items()
            for name, tensor in unit.gathered().items()
        }
        # END SOLUTION
