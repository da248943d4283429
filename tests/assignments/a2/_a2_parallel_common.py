"""Models, data and rank workers shared by the part-2 tests (test_ddp.py, test_zero.py).

Every test trains on 2 gloo ranks, each on half of each batch, and compares with one process
training on the whole batch (and with ``torch.nn.parallel.DistributedDataParallel``). Models are
float64, so the only differences left are the order of floating-point additions.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import torch
import torch.distributed as dist
from torch import nn

from course_lib.parallel import LaunchTimeout, launch
from tests.parallel_helpers import batch, loss_of, make_model

WORLD, STEPS = 2, 3
LAUNCH_TIMEOUT = 40.0  # the launcher's own limit: under the grader's 60 s per test, and pytest's markers


def make_optimizer(params: Any, optimizer_cls: Any = None) -> torch.optim.Optimizer:
    kwargs = {"lr": 0.05, "weight_decay": 0.1}
    if optimizer_cls is None:
        return torch.optim.AdamW(params, **kwargs)
    return optimizer_cls(params, torch.optim.AdamW, **kwargs)


def reference_run(kind: str) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One process on the whole batch: (gradients of the first step, parameters after STEPS steps)."""
    model = make_model(kind)
    opt = make_optimizer(model.parameters())
    grads0: list[torch.Tensor] = []
    for step in range(STEPS):
        loss_of(model, *batch(kind, step)).backward()
        if step == 0:
            grads0 = [p.grad.clone() for p in model.parameters()]
        opt.step()
        opt.zero_grad()
    return grads0, [p.detach().clone() for p in model.parameters()]


def expected_buckets(kind: str, bucket_size_mb: float) -> list[int]:
    """Parameters per bucket by the handout's rule (PyTorch DDP's, and course_lib's
    ``assign_buckets``): reverse order, a bucket closed as soon as it holds at least the cap."""
    counts, size, cap = [0], 0, bucket_size_mb * 1e6
    for p in reversed(list(make_model(kind).parameters())):
        counts[-1] += 1
        size += p.numel() * p.element_size()
        if size >= cap:
            counts.append(0)
            size = 0
    return [n for n in counts if n]


def train_worker(module_name: str | None, class_name: str, kind: str, wrapper_args: tuple = (), sharded: str | None = None) -> dict:
    """On each rank: wrap the model (the student's class, or torch's DDP when ``module_name`` is None),
    train STEPS steps on this rank's half of each batch, and report what the tests compare.

    ``sharded``: the module holding ``ShardedOptimizer``, to use instead of plain AdamW.
    Every ``dist.all_reduce`` call is recorded (during backward or not, asynchronous or not).
    """
    rank = dist.get_rank()
    model = make_model(kind)
    with torch.no_grad():  # replicas start different: the wrapper must broadcast rank 0's
        for p in model.parameters():
            p.add_(rank)
    if module_name is None:
        wrapped = nn.parallel.DistributedDataParallel(model)
        finish = lambda: None  # noqa: E731
    else:
        cls = getattr(importlib.import_module(module_name), class_name)
        wrapped = cls(model, *wrapper_args)
        finish = wrapped.finish_gradient_synchronization
    optimizer_cls = getattr(importlib.import_module(sharded), "ShardedOptimizer") if sharded else None
    opt = make_optimizer(model.parameters(), optimizer_cls)
    calls: list[tuple[bool, bool]] = []
    in_backward = [False]
    real_all_reduce = dist.all_reduce

    def recording_all_reduce(*args: Any, **kwargs: Any) -> Any:
        calls.append((in_backward[0], bool(kwargs.get("async_op", False))))
        return real_all_reduce(*args, **kwargs)

    dist.all_reduce = recording_all_reduce
    out: dict = {}
    try:
        for step in range(STEPS):
            x, y = batch(kind, step)
            loss = loss_of(wrapped, x.chunk(WORLD)[rank], y.chunk(WORLD)[rank])
            in_backward[0] = True
            loss.backward()
            in_backward[0] = False
            finish()
            if step == 0:
                out["grads0"] = [p.grad.clone() for p in model.parameters()]
                out["calls"] = list(calls)
            opt.step()
            opt.zero_grad()
    finally:
        dist.all_reduce = real_all_reduce
    out["params"] = [p.detach().clone() for p in model.parameters()]
    if hasattr(wrapped, "buckets"):
        out["buckets"] = len(wrapped.buckets)
        out["bucket_params"] = [len(getattr(bucket, "params", bucket)) for bucket in wrapped.buckets]  # course_lib's or a list
    if sharded:
        inner = opt.optimizer
        out["state_bytes"] = sum(v.numel() * v.element_size() for s in inner.state.values() for v in s.values() if isinstance(v, torch.Tensor))
        ids = {id(p): i for i, p in enumerate(model.parameters())}
        out["owned"] = sorted(ids[id(p)] for g in inner.param_groups for p in g["params"])
    return out


def run(worker: Any, *args: Any) -> list[dict]:
    """Run ``worker(*args)`` on WORLD ranks; a rank's exception (NotImplementedError included)
    becomes a RankError here whose message names it."""
    try:
        return launch(worker, world_size=WORLD, args=args, timeout=LAUNCH_TIMEOUT)
    except LaunchTimeout as exc:  # reported by the grader as "timed out", like pytest-timeout's own
        pytest.fail(f"Timeout: {exc} (a deadlock? e.g. ranks waiting for all-reduces the others never start)", pytrace=False)


def assert_same(got: list[torch.Tensor], want: list[torch.Tensor], what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} tensors, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        torch.testing.assert_close(g, w, rtol=1e-9, atol=1e-11, msg=lambda m: f"{what}, parameter {i}: {m}")
