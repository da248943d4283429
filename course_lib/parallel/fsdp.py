"""ZeRO stage 3 / FSDP: parameters sharded, gathered unit by unit for forward and backward.

:class:`FullyShardedDataParallel` wraps a model in place. Each *unit* (by default every leaf module
that owns parameters: a ``Linear``, an ``Embedding``, a norm) has its parameters flattened into one
vector, zero-padded to a multiple of the world size, and cut into ``N`` equal slices; rank ``r``
keeps slice ``r`` only, as an ``nn.Parameter`` (the only parameters the wrapped model exposes, so an
ordinary optimizer over ``model.parameters()`` updates this rank's shard and keeps its state: ZeRO-1
and 2 come for free). Per unit and step:

* forward: **all-gather** the slices into the full vector, run the unit with views of it, free it;
* backward: **all-gather again** (the unit's forward is recomputed under
  ``torch.utils.checkpoint``, so nothing gathered outlives its use), then **reduce-scatter** the
  gradient of the full vector, so each rank receives the summed gradient of its own slice
  (divided by ``N``: the mean over ranks, as in data parallelism).

Each rank sends ``2 (N-1)/N · S`` for the two all-gathers and ``(N-1)/N · S`` for the reduce-scatter:
1.5x data parallelism's all-reduce, for parameters, gradients and optimizer state that take ``1/N``
of the memory. (The recomputation also recomputes the unit's activations: this teaching version
trades that compute for simplicity. PyTorch's FSDP re-gathers without recomputing.)
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.func import functional_call
from torch.utils.checkpoint import checkpoint

from course_lib.parallel.collectives import CommCounter

__all__ = ["FullyShardedDataParallel"]


class GatherShards(torch.autograd.Function):
    """Forward: all-gather every rank's slice into the full flat vector. Backward: reduce-scatter the
    gradient of the full vector and divide by the world size."""

    @staticmethod
    def forward(ctx: Any, shard: torch.Tensor, counter: CommCounter | None) -> torch.Tensor:  # type: ignore[override]
        ctx.counter = counter
        slices = [torch.empty_like(shard) for _ in range(dist.get_world_size())]
        dist.all_gather(slices, shard.detach().contiguous())
        full = torch.cat(slices)
        if counter is not None:
            counter.add("all_gather parameters", full)
        return full

    @staticmethod
    def backward(ctx: Any, grad_full: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        world = dist.get_world_size()
        grad_shard = torch.empty(grad_full.numel() // world, dtype=grad_full.dtype, device=grad_full.device)
        dist.reduce_scatter(grad_shard, list(grad_full.contiguous().chunk(world)))
        if ctx.counter is not None:
            ctx.counter.add("reduce_scatter gradients", grad_full)
        return grad_shard / world, None


class ShardedUnit(nn.Module):
    """One unit: its flat parameter shard (this rank's slice) and the module it runs."""

    def __init__(self, module: nn.Module, counter: CommCounter | None) -> None:
        super().__init__()
        rank, world = dist.get_rank(), dist.get_world_size()
        self._module = [module]  # a list, so that the module's own (freed) parameters stay unregistered
        self.names = [name for name, _ in module.named_parameters()]
        params = [p for _, p in module.named_parameters()]
        self.shapes = [p.shape for p in params]
        self.numel = sum(p.numel() for p in params)
        flat = torch.cat([p.detach().reshape(-1) for p in params])
        flat = torch.cat([flat, flat.new_zeros((-self.numel) % world)])
        dist.broadcast(flat, src=0)  # every rank starts from rank 0's parameters
        self.shard = nn.Parameter(flat.chunk(world)[rank].clone())
        self.counter = counter
        for p in params:  # free the full copies: from now on only the shard is stored
            p.requires_grad_(False)
            p.data = p.data.new_empty(0)

    @property
    def module(self) -> nn.Module:
        return self._module[0]

    def gathered(self) -> dict[str, torch.Tensor]:
        """All-gather the full parameters: name -> tensor of the original shape (differentiable)."""
        full = GatherShards.apply(self.shard, self.counter)[: self.numel]
        return dict(
            zip(self.names, (t.view(s) for t, s in zip(full.split([s.numel() for s in self.shapes]), self.shapes)))
        )

    def _run(self, *args: Any) -> Any:
        return functional_call(self.module, self.gathered(), args)

    def forward(self, *args: Any) -> Any:
        if torch.is_grad_enabled():
            return checkpoint(self._run, *args, use_reentrant=False)
        return self._run(*args)


class FullyShardedDataParallel(nn.Module):
    """Wrap ``module`` in place for ZeRO-3 over the default process group.

    Args:
        module: the model, identical in structure on every rank (rank 0's values are broadcast).
        counter: optional :class:`CommCounter` that records every all-gather and reduce-scatter.

    ``forward`` runs the model; ``parameters()`` are the per-unit shards (1-D, ``ceil(numel / N)``
    each). Build the optimizer after wrapping. :meth:`full_state_dict` gathers the full parameters
    (a collective: call it on every rank). Parameters shared between two units (tied weights) are
    not supported and raise ``ValueError``.
    """

    def __init__(self, module: nn.Module, counter: CommCounter | None = None) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError(
                "FullyShardedDataParallel needs an initialised process group (use course_lib.parallel.launch)"
            )
        leaves = [
            (name, m) for name, m in module.named_modules() if next(m.parameters(recurse=False), None) is not None
        ]
        owners: dict[int, str] = {}
        for name, leaf in leaves:
            if any(True for _ in leaf.children() if next(_.parameters(), None) is not None):
                raise ValueError(f"module {name!r} has parameters of its own and in its children; wrap leaves only")
            for p in leaf.parameters():
                if id(p) in owners:
                    raise ValueError(
                        f"parameter shared by {owners[id(p)]!r} and {name!r}: tied weights are not supported"
                    )
                owners[id(p)] = name
        if not leaves:
            raise ValueError("module has no parameters to shard")
        self.module = module
        self.units: dict[str, ShardedUnit] = {}
        for name, leaf in leaves:
            unit = ShardedUnit(leaf, counter)
            self.units[name] = unit
            if name == "":
                raise ValueError("the top-level module owns parameters directly; put them in a submodule")
            parent_name, _, child = name.rpartition(".")
            setattr(module.get_submodule(parent_name), child, unit)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def full_state_dict(self) -> dict[str, torch.Tensor]:
        """Every parameter, gathered: ``"<unit>.<name>" -> tensor`` (the original model's names)."""
        out: dict[str, torch.Tensor] = {}
        for unit_name, unit in self.units.items():
            for name, tensor in unit.gathered().items():
                out[f"{unit_name}.{name}"] = tensor.clone()
        return out
