"""Assignment 2, part 2: the ZeRO-1 sharded optimizer, on 2 gloo ranks against unsharded AdamW."""

from __future__ import annotations

import importlib

import pytest
import torch
import torch.distributed as dist

from course_lib.parallel import DistributedDataParallel
from tests.parallel_helpers import (
    STEPS,
    WORLD,
    assert_same,
    batch,
    loss_of,
    make_model,
    make_optimizer,
    param_groups,
    reference_groups_run,
    reference_run,
    run,
    train_worker,
)

SHARDED = "a2_systems.sharded_optimizer"
# Gradients are averaged by course_lib's DistributedDataParallel (same interface as your DDPBucketed), so a bug
# in your DDP costs no points here.
REFERENCE_DDP = "course_lib.parallel.ddp"


@pytest.fixture(scope="module")
def sharded(load_impl):
    """The name of the module under test, which the ranks import."""
    return load_impl(SHARDED).__name__


@pytest.mark.grade(part="sharded_optimizer", points=3)
@pytest.mark.timeout(120)
def test_sharded_adamw_matches_single_process(sharded):
    results = run(train_worker, REFERENCE_DDP, "DistributedDataParallel", "mlp", (1.0,), sharded)
    _, params = reference_run("mlp")
    for rank, r in enumerate(results):
        assert_same(r["params"], params, f"rank {rank}: parameters after training")


@pytest.mark.grade(part="sharded_optimizer", points=2)
@pytest.mark.timeout(120)
def test_sharded_adamw_with_tied_weights(sharded):
    results = run(train_worker, REFERENCE_DDP, "DistributedDataParallel", "tied", (1.0,), sharded)
    _, params = reference_run("tied")
    for rank, r in enumerate(results):
        assert_same(r["params"], params, f"rank {rank}: parameters after training")


@pytest.mark.grade(part="sharded_optimizer", points=2)
@pytest.mark.timeout(120)
def test_optimizer_state_is_sharded(sharded):
    results = run(train_worker, REFERENCE_DDP, "DistributedDataParallel", "mlp", (1.0,), sharded)
    model = make_model("mlp")
    full = make_optimizer(model.parameters())
    loss_of(model, *batch("mlp", 0)).backward()
    full.step()
    full_bytes = sum(v.numel() * v.element_size() for s in full.state.values() for v in s.values() if isinstance(v, torch.Tensor))
    owned = [r["owned"] for r in results]
    everything = sorted(i for o in owned for i in o)
    assert everything == list(range(len(list(model.parameters())))), f"each parameter needs exactly one owner, got {owned}"
    shards = [r["state_bytes"] for r in results]
    assert sum(shards) == full_bytes, f"the ranks' optimizer states ({shards} bytes) should add up to {full_bytes}"
    assert max(shards) < 0.75 * full_bytes, f"state is not balanced over the ranks: {shards} bytes of {full_bytes}"


def _groups_worker(sharded: str) -> list[torch.Tensor]:
    rank = dist.get_rank()
    model = make_model("mlp")
    dp = DistributedDataParallel(model, bucket_size_mb=1.0)
    opt = importlib.import_module(sharded).ShardedOptimizer(param_groups(model), torch.optim.SGD, lr=0.1, momentum=0.9)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for step in range(STEPS):
        x, y = batch("mlp", step)
        loss_of(dp, x.chunk(WORLD)[rank], y.chunk(WORLD)[rank]).backward()
        dp.finish_gradient_synchronization()
        opt.step()
        opt.zero_grad()
        schedule.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.grade(part="sharded_optimizer", points=1)
@pytest.mark.timeout(120)
def test_param_groups_and_lr_schedule(sharded):
    results = run(_groups_worker, sharded)
    reference = reference_groups_run()
    for rank, got in enumerate(results):
        assert_same(got, reference, f"rank {rank}, with two groups and StepLR")
