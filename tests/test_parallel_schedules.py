"""The pipeline simulator against the bubble formula, and the planner against real models and optimizers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.accounting import BYTES_PER_PARAMETER
from course_lib.model import ModelConfig, TransformerLM
from course_lib.parallel import (
    ParallelConfig,
    bubble_formula,
    gpipe_order,
    one_f_one_b_order,
    optimizer_state_bytes,
    plan,
    simulate,
    zero_memory_per_rank,
)
from course_lib.parallel.pipeline import Op


@pytest.mark.parametrize("order", [gpipe_order, one_f_one_b_order])
@pytest.mark.parametrize(("p", "m"), [(1, 1), (2, 1), (2, 4), (4, 4), (4, 8), (3, 7)])
def test_simulated_bubble_matches_the_formula(order, p, m):
    schedule = simulate(order(p, m), t_forward=1.0, t_backward=2.0)
    assert schedule.bubble_fraction == pytest.approx(bubble_formula(p, m))
    assert len(schedule.events) == 2 * p * m
    for s in range(p):  # a stage never runs two ops at once
        spans = sorted((e.start, e.end) for e in schedule.events if e.stage == s)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


@pytest.mark.parametrize(("p", "m"), [(4, 8), (3, 3), (4, 2)])
def test_one_f_one_b_holds_fewer_microbatches_than_gpipe(p, m):
    gpipe, ofob = simulate(gpipe_order(p, m)), simulate(one_f_one_b_order(p, m))
    assert [gpipe.peak_in_flight(s) for s in range(p)] == [m] * p
    assert [ofob.peak_in_flight(s) for s in range(p)] == [min(p - s, m) for s in range(p)]


def test_simulator_rejects_deadlocks_and_incomplete_orders():
    deadlock = [[Op("B", 0), Op("F", 0)], [Op("F", 0), Op("B", 0)]]  # stage 0 waits for B before its own F
    with pytest.raises(ValueError, match="deadlock"):
        simulate(deadlock)
    with pytest.raises(ValueError, match="exactly once"):
        simulate([[Op("F", 0), Op("B", 0)], [Op("F", 0)]])


def test_planned_weights_are_the_bytes_of_the_real_course_model():
    config = ModelConfig(vocab_size=100, context_length=16, d_model=64, num_layers=2, num_heads=4, d_ff=172)
    real = sum(p.numel() for p in TransformerLM.from_config(config).parameters())
    memory = plan(config, ParallelConfig()).memory
    for kind in ("weights", "gradients", "optimizer"):
        assert memory[kind] == BYTES_PER_PARAMETER["mixed"][kind] * real
    assert (
        plan(config, ParallelConfig(dp=4, zero_stage=3)).memory["weights"]
        == BYTES_PER_PARAMETER["mixed"]["weights"] * real / 4
    )


def test_zero_memory_of_the_optimizer_matches_measured_adam_state():
    # fp32 Adam keeps 8 bytes per parameter of moments (the 12 of the formula add an fp32 master copy).
    model = nn.Linear(100, 10)
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 100)).sum().backward()
    opt.step()
    n = sum(p.numel() for p in model.parameters())
    moments = optimizer_state_bytes(opt) - 4 * len(opt.state)  # minus one fp32 step counter per tensor
    assert moments == 8 * n
    stages = [zero_memory_per_rank(n, dp=4, stage=k) for k in range(4)]
    assert [sum(s.values()) for s in stages] == pytest.approx([16 * n, 4 * n + 3 * n, 2 * n + 14 * n / 4, 16 * n / 4])


def test_plan_splits_memory_and_counts_communication():
    model = ModelConfig(vocab_size=50_304, context_length=2048, d_model=2048, num_layers=24, num_heads=16, d_ff=5632)
    base = plan(model, ParallelConfig())
    assert base.communication_total == 0  # one GPU talks to nobody
    tp = plan(model, ParallelConfig(tp=2))
    assert tp.memory["weights"] == pytest.approx(base.memory["weights"] / 2)
    assert tp.memory["activations"] < base.memory["activations"]
    assert tp.communication["tensor parallel"] > 0
    zero3 = plan(model, ParallelConfig(dp=8, zero_stage=3))
    ddp = plan(model, ParallelConfig(dp=8))
    assert zero3.memory_total < ddp.memory_total
    assert zero3.communication["data parallel"] == pytest.approx(1.5 * ddp.communication["data parallel"])
    recompute = plan(model, ParallelConfig(recompute=True))
    assert recompute.memory["activations"] < base.memory["activations"]
    # Korthikanti et al.: 34·s·b·h bytes per layer with FlashAttention; + 5·a·s²·b without.
    s, h, a = 2048, 2048, 16
    assert base.memory["activations"] == pytest.approx(24 * 34 * s * h)
    naive = plan(model, ParallelConfig(flash_attention=False))
    assert naive.memory["activations"] - base.memory["activations"] == pytest.approx(24 * 5 * a * s * s)
    with pytest.raises(ValueError, match="pipeline stages"):
        plan(model, ParallelConfig(pp=5))
    with pytest.raises(ValueError, match="zero_stage"):
        ParallelConfig(zero_stage=4)
