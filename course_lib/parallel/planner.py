"""Napkin math for a parallel training run: memory per GPU and bytes communicated per step.

The model is lecture 03's :class:`~course_lib.model.ModelConfig`, its parameters counted by
lecture 02's :func:`~course_lib.accounting.parameter_counts`. Bytes per parameter are the accounting
module's mixed-precision row, ``BYTES_PER_PARAMETER["mixed"]`` (Adam, as in the ZeRO paper): 2 bytes
of bf16 weights, 2 bytes of bf16 gradients and 12 bytes of fp32 optimizer state (master weights,
first and second moments). Tensor (``tp``) and pipeline (``pp``) parallelism split the parameters; ZeRO
shards over the data-parallel (``dp``) ranks: stage 1 the optimizer state, stage 2 also the
gradients, stage 3 (FSDP) also the weights.

Activations per layer and micro-batch follow Korthikanti et al. 2022 ("Reducing activation
recomputation in large transformer models"), in bytes: ``s·b·h·(10 + 24/t + 5·a·s/(h·t))`` stored
for backward; FlashAttention never stores the ``a·s·s`` attention matrices, which removes the last
term; full recomputation keeps only ``2·s·b·h`` (the layer's input). With 1F1B the first stage
holds ``min(pp, m)`` micro-batches in flight. Logits, buffers and fragmentation are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_lib.accounting import BYTES_PER_PARAMETER, parameter_counts
from course_lib.model.config import ModelConfig

__all__ = ["ParallelConfig", "Plan", "plan", "zero_memory_per_rank"]

BYTES = BYTES_PER_PARAMETER["mixed"]


@dataclass(frozen=True)
class ParallelConfig:
    """How one step is spread: ``dp·tp·pp`` GPUs, ``microbatches`` of ``micro_batch`` sequences per DP rank."""

    dp: int = 1
    tp: int = 1
    pp: int = 1
    zero_stage: int = 0
    seq_len: int = 2048
    micro_batch: int = 1
    microbatches: int = 1
    recompute: bool = False
    flash_attention: bool = True

    def __post_init__(self) -> None:
        for name in ("dp", "tp", "pp", "seq_len", "micro_batch", "microbatches"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.zero_stage not in (0, 1, 2, 3):
            raise ValueError(f"zero_stage must be 0, 1, 2 or 3, got {self.zero_stage}")

    @property
    def gpus(self) -> int:
        return self.dp * self.tp * self.pp

    @property
    def global_batch(self) -> int:
        """Sequences per optimizer step."""
        return self.dp * self.microbatches * self.micro_batch


@dataclass(frozen=True)
class Plan:
    """Bytes per GPU: ``memory`` by kind, ``communication`` sent per step by kind."""

    memory: dict[str, float]
    communication: dict[str, float]

    @property
    def memory_total(self) -> float:
        return sum(self.memory.values())

    @property
    def communication_total(self) -> float:
        return sum(self.communication.values())

    def fits(self, gpu_memory_bytes: float) -> bool:
        return self.memory_total <= gpu_memory_bytes


def zero_memory_per_rank(params: float, dp: int, stage: int) -> dict[str, float]:
    """Bytes of weights, gradients and optimizer state per rank for ZeRO ``stage`` (0 = plain DDP)."""
    if stage not in (0, 1, 2, 3) or dp < 1:
        raise ValueError(f"need stage in 0..3 and dp >= 1, got stage={stage}, dp={dp}")
    return {
        "weights": BYTES["weights"] * params / (dp if stage >= 3 else 1),
        "gradients": BYTES["gradients"] * params / (dp if stage >= 2 else 1),
        "optimizer": BYTES["optimizer"] * params / (dp if stage >= 1 else 1),
    }


def plan(model: ModelConfig, config: ParallelConfig) -> Plan:
    """Memory per GPU and bytes each GPU sends per optimizer step (see the module's conventions)."""
    layers = model.num_layers
    if layers % config.pp:
        raise ValueError(f"{layers} layers cannot be split into {config.pp} equal pipeline stages")
    if model.num_heads % config.tp or model.d_model % config.tp:
        raise ValueError(f"tp={config.tp} must divide num_heads={model.num_heads} and d_model={model.d_model}")
    s, b, h, a, t = config.seq_len, config.micro_batch, model.d_model, model.num_heads, config.tp
    shard = parameter_counts(model).total / (config.tp * config.pp)
    memory = zero_memory_per_rank(shard, config.dp, config.zero_stage)
    attention_matrices = 0.0 if config.flash_attention else 5 * a * s / (h * t)
    per_layer = 2 * s * b * h if config.recompute else s * b * h * (10 + 24 / t + attention_matrices)
    in_flight = min(config.pp, config.microbatches)
    memory["activations"] = layers / config.pp * in_flight * per_layer
    d = config.dp
    dp_factor = 3 * (d - 1) / d if config.zero_stage == 3 else 2 * (d - 1) / d
    act_bytes = 2 * s * b * h  # one bf16 activation tensor (seq, micro_batch, d_model)
    communication = {
        "data parallel": dp_factor * BYTES["gradients"] * shard,
        "tensor parallel": 4 * (layers / config.pp) * config.microbatches * 2 * (t - 1) / t * act_bytes,
        "pipeline": (2 * config.microbatches * act_bytes) if config.pp > 1 else 0.0,
    }
    return Plan(memory, communication)


if __name__ == "__main__":  # python -m course_lib.parallel planner
    model = ModelConfig(vocab_size=32000, context_length=4096, d_model=4096, num_layers=32, num_heads=32, d_ff=11008)
    for config in (
        ParallelConfig(dp=8),
        ParallelConfig(dp=8, zero_stage=3),
        ParallelConfig(dp=2, tp=2, pp=2, zero_stage=1),
    ):
        result = plan(model, config)
        memory = ", ".join(f"{k} {v / 1e9:.1f}" for k, v in result.memory.items())
        print(
            f"DP{config.dp} TP{config.tp} PP{config.pp} ZeRO-{config.zero_stage}: {memory} GB; "
            f"sends {result.communication_total / 1e9:.1f} GB per step"
        )
