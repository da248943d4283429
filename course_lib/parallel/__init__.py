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

Every module runs alone as a demonstration that checks itself against its reference:
``python -m course_lib.parallel ring`` (or ``ddp``, ``zero``, ...; ``python -m course_lib.parallel``
lists them).
"""

from course_lib.parallel.collectives import (
    BUS_FACTORS,
    CommCounter,
    all_reduce_by_reduce_scatter_all_gather,
    all_reduce_mean,
    bus_bandwidth,
    bytes_sent_per_rank,
    time_all_reduce,
)
from course_lib.parallel.ddp import DistributedDataParallel, all_reduce_gradients, broadcast_module
from course_lib.parallel.expert_parallel import all_to_all, expert_parallel_moe
from course_lib.parallel.fsdp import FullyShardedDataParallel
from course_lib.parallel.pipeline import (
    Schedule,
    bubble_formula,
    draw_schedule,
    gpipe_order,
    one_f_one_b_order,
    simulate,
)
from course_lib.parallel.planner import ParallelConfig, Plan, plan, zero_memory_per_rank
from course_lib.parallel.ring import ring_all_reduce
from course_lib.parallel.tensor_parallel import ColumnParallelLinear, RowParallelLinear, TensorParallelMLP
from course_lib.parallel.zero import ShardedOptimizer, optimizer_state_bytes

# Last: the function ``launch`` shares its name with its module, and must be what the name means here.
from course_lib.parallel.launch import LaunchTimeout, RankError, free_port, launch, under_torchrun  # isort: skip

__all__ = [
    "launch",
    "LaunchTimeout",
    "RankError",
    "free_port",
    "under_torchrun",
    "BUS_FACTORS",
    "CommCounter",
    "all_reduce_by_reduce_scatter_all_gather",
    "all_reduce_mean",
    "bus_bandwidth",
    "bytes_sent_per_rank",
    "time_all_reduce",
    "DistributedDataParallel",
    "all_reduce_gradients",
    "broadcast_module",
    "ShardedOptimizer",
    "optimizer_state_bytes",
    "FullyShardedDataParallel",
    "ColumnParallelLinear",
    "RowParallelLinear",
    "TensorParallelMLP",
    "Schedule",
    "bubble_formula",
    "draw_schedule",
    "gpipe_order",
    "one_f_one_b_order",
    "simulate",
    "all_to_all",
    "expert_parallel_moe",
    "ParallelConfig",
    "Plan",
    "plan",
    "zero_memory_per_rank",
    "ring_all_reduce",
]
