"""Assignment 2, part 2: a ZeRO-1 optimizer, which shards the optimizer state over the ranks.

Each parameter gets one *owner* rank. Only the owner keeps the parameter's optimizer state (Adam's
moments) and updates it; after its step, every parameter is broadcast from its owner, so all ranks
end the step with the same parameters as unsharded training. Gradients arrive already averaged
(use it with a DDP wrapper).

Useful: ``torch.optim.Optimizer.__init__`` calls ``self.add_param_group`` for each group, so
overriding ``add_param_group`` sees every parameter, including groups added later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.distributed as dist


class ShardedOptimizer(torch.optim.Optimizer):
    """Wrap ``optimizer_cls`` (e.g. ``torch.optim.AdamW``) so each rank holds state for its shard only.

    Args:
        params: parameters or parameter groups, the same on every rank.
        optimizer_cls: the optimizer to shard.
        **defaults: its hyperparameters (``lr``, ``weight_decay``...).

    ``self.param_groups`` holds every parameter (so ``zero_grad`` and learning-rate schedulers work);
    ``self.optimizer`` is the ``optimizer_cls`` instance over this rank's parameters only (the tests
    read its ``state`` and ``param_groups``). Shard so that the ranks' shares of parameter *elements*
    are balanced (greedy: give each parameter to the rank with the fewest elements so far).
    """

    def __init__(self, params: Iterable[Any], optimizer_cls: type[torch.optim.Optimizer], **defaults: Any) -> None:
        # BEGIN SOLUTION: remember the class, its kwargs, the rank and world size, per-rank element counts and each parameter's owner, before calling super().__init__(params, defaults) (which calls add_param_group)
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        self._optimizer_cls, self._defaults = optimizer_cls, defaults
        self._load = [0] * self.world_size
        self.owner: dict[int, int] = {}
        self.optimizer: torch.optim.Optimizer | None = None
        super().__init__(params, defaults)
        # END SOLUTION

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add ``param_group`` to the full view, and this rank's share of it to ``self.optimizer``."""
        # BEGIN SOLUTION: call super().add_param_group, assign an owner to each parameter of the new group, and give this rank's parameters (with the group's hyperparameters) to self.optimizer, creating it on the first call
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        mine = []
        for param in group["params"]:
            owner = min(range(self.world_size), key=lambda r: self._load[r])
            self._load[owner] += param.numel()
            self.owner[id(param)] = owner
            if owner == self.rank:
                mine.append(param)
        local = {**{k: v for k, v in group.items() if k != "params"}, "params": mine}
        if self.optimizer is None:
            self.optimizer = self._optimizer_cls([local], **self._defaults)
        else:
            self.optimizer.add_param_group(local)
        # END SOLUTION

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None, **kwargs: Any) -> float | None:  # type: ignore[override]
        """Step this rank's shard, then broadcast every parameter from its owner to all ranks."""
        # BEGIN SOLUTION: copy the hyperparameters (everything but "params") of each group to self.optimizer's groups (a scheduler may have changed lr), step self.optimizer, then broadcast each parameter from its owner
        for full, local in zip(self.param_groups, self.optimizer.param_groups):
            local.update({k: v for k, v in full.items() if k != "params"})
        loss = self.optimizer.step(closure, **kwargs)
        for group in self.param_groups:
            for param in group["params"]:
                dist.broadcast(param.data, src=self.owner[id(param)])
        return loss
        # END SOLUTION
