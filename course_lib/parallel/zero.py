"""ZeRO stage 1: shard the optimizer state over the data-parallel ranks.

With Adam, the optimizer keeps two fp32 moments per parameter (plus an fp32 master copy under mixed
precision): most of the memory of training. Under plain data parallelism every rank keeps all of it
and performs the same update. :class:`ShardedOptimizer` gives each parameter an *owner* rank; only
the owner keeps its state and updates it, then broadcasts the new values to the others. Optimizer
memory per rank drops by about ``N``, the communication adds one broadcast (an all-gather, in
effect) of the parameters per step, and the result is exactly plain data parallelism's.

The gradients must already be averaged over ranks (``DistributedDataParallel`` or ``all_reduce_gradients``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.distributed as dist

from course_lib.parallel.collectives import CommCounter

__all__ = ["ShardedOptimizer", "optimizer_state_bytes"]


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes of tensors in ``optimizer.state`` (moments, step counters...)."""
    return sum(
        value.numel() * value.element_size()
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, torch.Tensor)
    )


class ShardedOptimizer(torch.optim.Optimizer):
    """Any ``torch.optim`` optimizer, with its state sharded over the ranks (ZeRO-1).

    Args:
        params: parameters or parameter groups, as for any optimizer (the same on every rank).
        optimizer_cls: e.g. ``torch.optim.AdamW``; built on this rank's shard only.
        counter: if given, the broadcasts this rank sends (those of the parameters it owns) are tallied
            there (label ``"broadcast parameters (as root)"``): the bytes ZeRO-1 adds to data parallelism.
        **defaults: its hyperparameters (``lr=...``, ``weight_decay=...``).

    Parameters are assigned to ranks greedily, each to the rank holding the fewest elements so far,
    in order, which balances the state. ``self.param_groups`` holds every parameter, so learning-rate
    schedulers and ``zero_grad`` work as usual; hyperparameter changes reach the shard's optimizer,
    ``self.optimizer`` (``optimizer_cls`` over this rank's parameters, as in assignment 2), at each
    ``step``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        optimizer_cls: type[torch.optim.Optimizer],
        *,
        counter: CommCounter | None = None,
        **defaults: Any,
    ) -> None:
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        self.counter = counter
        self.owner: dict[int, int] = {}
        self._load = [0] * self.world_size
        self._optimizer_cls, self._defaults = optimizer_cls, defaults
        self.optimizer: torch.optim.Optimizer | None = None
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group to the full view and this rank's share of it to the local optimizer."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        mine = []
        for param in group["params"]:
            owner = min(range(self.world_size), key=lambda r: self._load[r])
            self._load[owner] += param.numel()
            self.owner[id(param)] = owner
            if owner == self.rank:
                mine.append(param)
        local_group = {**{k: v for k, v in group.items() if k != "params"}, "params": mine}
        if self.optimizer is None:
            self.optimizer = self._optimizer_cls([local_group], **self._defaults)
        else:
            self.optimizer.add_param_group(local_group)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Update this rank's shard, then broadcast every parameter from its owner."""
        assert self.optimizer is not None
        for full, local in zip(self.param_groups, self.optimizer.param_groups):
            local.update({k: v for k, v in full.items() if k != "params"})
        loss = self.optimizer.step(closure)
        works = [
            dist.broadcast(param.data, src=self.owner[id(param)], async_op=True)
            for group in self.param_groups
            for param in group["params"]
        ]
        for work in works:
            work.wait()
        if self.counter is not None:
            for group in self.param_groups:
                for param in group["params"]:
                    if self.owner[id(param)] == self.rank:
                        self.counter.add("broadcast parameters (as root)", param.data)
        return loss

    def state_dict(self) -> dict[str, Any]:
        """This rank's checkpoint: its shard's optimizer state, tagged with the rank and world size.

        Each rank saves its own (as ZeRO does); ``load_state_dict`` refuses another rank's.
        """
        assert self.optimizer is not None
        return {"rank": self.rank, "world_size": self.world_size, "shard": self.optimizer.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a checkpoint written by :meth:`state_dict` on the same rank of the same world size."""
        assert self.optimizer is not None
        if "shard" not in state_dict:
            raise ValueError("not a ShardedOptimizer checkpoint (no 'shard' key): it was saved by another optimizer")
        if (state_dict["rank"], state_dict["world_size"]) != (self.rank, self.world_size):
            raise ValueError(
                f"checkpoint of rank {state_dict['rank']} of {state_dict['world_size']} cannot be loaded on rank "
                f"{self.rank} of {self.world_size}: each rank holds a different shard"
            )
        self.optimizer.load_state_dict(state_dict["shard"])

    def state_bytes(self) -> int:
        """Bytes of optimizer state held by this rank (its shard only)."""
        assert self.optimizer is not None
        return optimizer_state_bytes(self.optimizer)


def _state_bytes_per_rank() -> tuple[int, int]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.Linear(64, 64) for _ in range(4)])
    sharded = ShardedOptimizer(model.parameters(), torch.optim.AdamW, lr=1e-3)
    full = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(4, 64)).sum().backward()
    sharded.step()
    full.step()
    return sharded.state_bytes(), optimizer_state_bytes(full)


if __name__ == "__main__":  # python -m course_lib.parallel zero
    from course_lib.parallel.launch import launch

    for rank, (mine, full) in enumerate(launch(_state_bytes_per_rank, world_size=2)):
        print(f"rank {rank}: AdamW state {mine} bytes of {full} unsharded")
