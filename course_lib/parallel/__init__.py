"""Distributed training with real ``torch.distributed`` processes, one module per strategy.

=====================  ==============================================================
module                 what it holds
=====================  ==============================================================
``launch``             start N ranks (gloo) from a notebook, script or test; torchrun-compatible
``collectives``        costs of collectives, bus bandwidth, all-reduce = reduce-scatter + all-gather
``ring``               a ring all-reduce from send/recv
``ddp``                data parallelism: naive per-parameter all-reduce, bucketed with overlap
``zero``               ZeRO-1: a sharded optimizer around any ``torch.optim`` optimizer
``fsdp``               ZeRO-3 / FSDP: parameters sharded, gathered per unit for forward and backward
``tensor_parallel``    Megatron column/row parallel linear layers and MLP
``pipeline``           GPipe and 1F1B schedule simulator
``expert_parallel``    mixture-of-experts dispatch and combine with all-to-all
``planner``            memory per GPU and communication per step for a DP/TP/PP/ZeRO plan
=====================  ==============================================================

Every module runs alone as a demonstration, e.g. ``python -m course_lib.parallel.ring``. The names
below (all but the launcher's) are imported lazily from their modules on first use, so that running
one module as a script does not import it twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Eager: the function ``launch`` shares its name with its module, and must win over it.
from course_lib.parallel.launch import LaunchTimeout, RankError, free_port, launch, under_torchrun

_EXPORTS = {
    "collectives": ["BUS_FACTORS", "CommCounter", "all_reduce_by_reduce_scatter_all_gather", "all_reduce_mean", "bus_bandwidth", "bytes_sent_per_rank", "time_all_reduce"],
    "ddp": ["DistributedDataParallel", "all_reduce_gradients", "broadcast_module"],
    "fsdp": ["FullyShardedDataParallel"],
    "expert_parallel": ["all_to_all", "expert_parallel_moe", "moe_reference", "top_k_routing"],
    "pipeline": ["Schedule", "bubble_formula", "draw_schedule", "gpipe_order", "one_f_one_b_order", "simulate"],
    "planner": ["ModelShape", "ParallelConfig", "Plan", "plan", "zero_memory_per_rank"],
    "ring": ["ring_all_reduce"],
    "tensor_parallel": ["ColumnParallelLinear", "RowParallelLinear", "TensorParallelMLP"],
    "zero": ["ShardedOptimizer", "optimizer_state_bytes"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted([*_MODULE_OF, "LaunchTimeout", "RankError", "free_port", "launch", "under_torchrun"])


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from course_lib.parallel.collectives import BUS_FACTORS, CommCounter, all_reduce_by_reduce_scatter_all_gather, all_reduce_mean, bus_bandwidth, bytes_sent_per_rank, time_all_reduce
    from course_lib.parallel.ddp import DistributedDataParallel, all_reduce_gradients, broadcast_module
    from course_lib.parallel.fsdp import FullyShardedDataParallel
    from course_lib.parallel.expert_parallel import all_to_all, expert_parallel_moe, moe_reference, top_k_routing
    from course_lib.parallel.pipeline import Schedule, bubble_formula, draw_schedule, gpipe_order, one_f_one_b_order, simulate
    from course_lib.parallel.planner import ModelShape, ParallelConfig, Plan, plan, zero_memory_per_rank
    from course_lib.parallel.ring import ring_all_reduce
    from course_lib.parallel.tensor_parallel import ColumnParallelLinear, RowParallelLinear, TensorParallelMLP
    from course_lib.parallel.zero import ShardedOptimizer, optimizer_state_bytes
