"""Assignment 2, part 2: FSDP (ZeRO-3), on 2 gloo ranks against single-process AdamW."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import torch
import torch.distributed as dist

from tests.parallel_helpers import (
    STEPS,
    WORLD,
    assert_same,
    batch,
    loss_of,
    make_model,
    make_optimizer,
    reference_run,
    run,
)

FSDP_MODULE = "a2_systems.fsdp"


@pytest.fixture(scope="module")
def fsdp(load_impl):
    """The name of the module under test, which the ranks import."""
    return load_impl(FSDP_MODULE).__name__


def _fsdp_worker(module_name: str) -> dict:
    """Wrap the MLP (ranks start different), train STEPS steps on this rank's half of each batch with
    AdamW over the shards, recording every collective by name."""
    rank = dist.get_rank()
    model = make_model("mlp")
    with torch.no_grad():
        for p in model.parameters():
            p.add_(rank)
    names = [name for name, _ in model.named_parameters()]
    calls: dict[str, int] = {}
    real = {name: getattr(dist, name) for name in ("all_gather", "reduce_scatter", "all_reduce", "broadcast")}

    def recorder(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return real[name](*args, **kwargs)
        return record

    wrapped = importlib.import_module(module_name).FullyShardedDataParallel(model)
    shard_numels = [p.numel() for p in wrapped.parameters()]
    opt = make_optimizer(wrapped.parameters())
    for name in real:
        setattr(dist, name, recorder(name))
    try:
        for step in range(STEPS):
            x, y = batch("mlp", step)
            loss_of(wrapped, x.chunk(WORLD)[rank], y.chunk(WORLD)[rank]).backward()
            opt.step()
            opt.zero_grad()
    finally:
        for name, fn in real.items():
            setattr(dist, name, fn)
    state = wrapped.full_state_dict()
    state_bytes = sum(v.numel() * v.element_size() for s in opt.state.values() for v in s.values() if isinstance(v, torch.Tensor) and v.ndim > 0)
    return {"params": [state[n] for n in names], "names": sorted(state), "calls": calls, "shard_numels": shard_numels,
            "state_bytes": state_bytes}


@pytest.mark.grade(part="fsdp", points=3)
@pytest.mark.timeout(120)
def test_fsdp_matches_single_process(fsdp):
    results = run(_fsdp_worker, fsdp)
    _, params = reference_run("mlp")
    for rank, r in enumerate(results):
        assert r["names"] == sorted(name for name, _ in make_model("mlp").named_parameters()), "full_state_dict's names"
        assert_same(r["params"], params, f"rank {rank}: parameters after training")


@pytest.mark.grade(part="fsdp", points=2)
@pytest.mark.timeout(120)
def test_fsdp_shards_parameters_and_optimizer_state(fsdp):
    results = run(_fsdp_worker, fsdp)
    linears = [m for m in make_model("mlp") if isinstance(m, torch.nn.Linear)]
    expected = [-(-(m.weight.numel() + m.bias.numel()) // WORLD) for m in linears]  # ceil(numel / N) per unit
    for rank, r in enumerate(results):
        assert r["shard_numels"] == expected, f"rank {rank}: shard sizes {r['shard_numels']}, expected {expected}"
        assert r["state_bytes"] == 2 * 8 * sum(expected), f"rank {rank}: AdamW state should cover the shards only"


@pytest.mark.grade(part="fsdp", points=2)
@pytest.mark.timeout(120)
def test_fsdp_communicates_by_all_gather_and_reduce_scatter(fsdp):
    results = run(_fsdp_worker, fsdp)
    units = sum(isinstance(m, torch.nn.Linear) for m in make_model("mlp"))
    for rank, r in enumerate(results):
        calls = {k: v for k, v in r["calls"].items() if v}
        assert calls == {"all_gather": 2 * units * STEPS, "reduce_scatter": units * STEPS}, (
            f"rank {rank}: per step and unit expected 2 all-gathers (forward, backward) and 1 reduce-scatter, "
            f"and nothing else; got {calls} over {STEPS} steps and {units} units"
        )


def _tied_worker(module_name: str) -> str:
    try:
        importlib.import_module(module_name).FullyShardedDataParallel(make_model("tied"))
    except ValueError as err:
        return str(err)
    return ""


@pytest.mark.grade(part="fsdp", points=1)
@pytest.mark.timeout(60)
def test_fsdp_rejects_tied_weights(fsdp):
    messages = run(_tied_worker, fsdp)
    assert all(messages), "FSDP of a model with tied weights should raise ValueError"
