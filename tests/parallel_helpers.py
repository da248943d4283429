"""Models, data, references and rank workers shared by the parallelism tests: the library's
(test_parallel*.py) and assignment 2 part 2's (tests/assignments/a2/test_{ddp,zero,fsdp}.py).

Every test trains on 2 gloo ranks, each on half of each batch, and compares with one process
training on the whole batch (and, for the assignment, with ``torch.nn.parallel.DistributedDataParallel``).
Everything is float64, so a parallel run and its single-process reference differ only in the order
of floating-point additions.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import torch
import torch.distributed as dist
from torch import nn

from course_lib.parallel import LaunchTimeout, launch

BATCH = 8
"""Examples per global batch (each of 2 ranks gets half)."""
WORLD, STEPS = 2, 3
LAUNCH_TIMEOUT = 40.0  # the launcher's own limit: under the grader's 60 s per test, and pytest's markers


class TiedLM(nn.Module):
    """A tiny language model whose embedding and output head share one weight."""

    def __init__(self, vocab: int = 11, d: int = 8) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.mid = nn.Linear(d, d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.mid(self.embed(ids))))


def make_model(kind: str) -> nn.Module:
    """``"mlp"`` (6 -> 4 classes) or ``"tied"`` (:class:`TiedLM`), seeded, in float64."""
    torch.manual_seed(0)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4)).double()
    return TiedLM().double()


def batch(kind: str, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The global batch of ``step`` for a model of ``kind``: inputs and targets."""
    g = torch.Generator().manual_seed(1000 + step)
    if kind == "mlp":
        return torch.randn(BATCH, 6, generator=g, dtype=torch.float64), torch.randint(0, 4, (BATCH,), generator=g)
    ids = torch.randint(0, 11, (BATCH, 5), generator=g)
    return ids, torch.roll(ids, -1, dims=1)


def loss_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``model(x)`` against ``y`` (any leading shape)."""
    logits = model(x)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def local_batch(kind: str, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """This rank's slice of :func:`batch` (call inside a launched rank)."""
    x, y = batch(kind, step)
    rank, world = dist.get_rank(), dist.get_world_size()
    return x.chunk(world)[rank], y.chunk(world)[rank]


def make_optimizer(
    params: Any, name: str = "adamw", sharded: Any = None, **sharded_kwargs: Any
) -> torch.optim.Optimizer:
    """AdamW (lr 0.05, weight decay 0.1) or ``"sgd"`` (lr 0.3, momentum 0.9); ``sharded``: a
    ``ShardedOptimizer`` class (the library's or a student's) wrapping it, given ``sharded_kwargs``."""
    cls, kwargs = (
        (torch.optim.AdamW, {"lr": 0.05, "weight_decay": 0.1})
        if name == "adamw"
        else (torch.optim.SGD, {"lr": 0.3, "momentum": 0.9})
    )
    return sharded(params, cls, **sharded_kwargs, **kwargs) if sharded is not None else cls(params, **kwargs)


def reference_run(kind: str, optimizer: str = "adamw") -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One process on the whole batch: (gradients of the first step, parameters after STEPS steps)."""
    model = make_model(kind)
    opt = make_optimizer(model.parameters(), optimizer)
    grads0: list[torch.Tensor] = []
    for step in range(STEPS):
        loss_of(model, *batch(kind, step)).backward()
        if step == 0:
            grads0 = [p.grad.clone() for p in model.parameters()]
        opt.step()
        opt.zero_grad()
    return grads0, [p.detach().clone() for p in model.parameters()]


def param_groups(model: nn.Module) -> list[dict]:
    """The MLP's two parameter groups: the first layer at lr 0.01, the rest at the optimizer's lr."""
    return [
        {"params": list(model[0].parameters()), "lr": 0.01},
        {"params": [p for m in model[1:] for p in m.parameters()]},
    ]


def reference_groups_run() -> list[torch.Tensor]:
    """One process, the MLP with :func:`param_groups`, SGD (lr 0.1, momentum 0.9) and a StepLR
    schedule halving the lr each step: the parameters after STEPS steps."""
    model = make_model("mlp")
    opt = torch.optim.SGD(param_groups(model), lr=0.1, momentum=0.9)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for step in range(STEPS):
        loss_of(model, *batch("mlp", step)).backward()
        opt.step()
        opt.zero_grad()
        schedule.step()
    return [p.detach().clone() for p in model.parameters()]


# ---------------------------------------------------------------- assignment 2's workers and checks
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


def train_worker(
    module_name: str | None, class_name: str, kind: str, wrapper_args: tuple = (), sharded: str | None = None
) -> dict:
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
    optimizer_cls = importlib.import_module(sharded).ShardedOptimizer if sharded else None
    opt = make_optimizer(model.parameters(), sharded=optimizer_cls)
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
        out["bucket_params"] = [
            len(getattr(bucket, "params", bucket)) for bucket in wrapped.buckets
        ]  # course_lib's or a list
    if sharded:
        inner = opt.optimizer
        out["state_bytes"] = sum(
            v.numel() * v.element_size()
            for s in inner.state.values()
            for v in s.values()
            if isinstance(v, torch.Tensor)
        )
        ids = {id(p): i for i, p in enumerate(model.parameters())}
        out["owned"] = sorted(ids[id(p)] for g in inner.param_groups for p in g["params"])
    return out


def run(worker: Any, *args: Any) -> list[dict]:
    """Run ``worker(*args)`` on WORLD ranks; a rank's exception (NotImplementedError included)
    becomes a RankError here whose message names it."""
    try:
        return launch(worker, world_size=WORLD, args=args, timeout=LAUNCH_TIMEOUT)
    except LaunchTimeout as exc:  # reported by the grader as "timed out", like pytest-timeout's own
        pytest.fail(
            f"Timeout: {exc} (a deadlock? e.g. ranks waiting for all-reduces the others never start)", pytrace=False
        )


def assert_same(got: list[torch.Tensor], want: list[torch.Tensor], what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} tensors, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        torch.testing.assert_close(g, w, rtol=1e-9, atol=1e-11, msg=lambda m: f"{what}, parameter {i}: {m}")
