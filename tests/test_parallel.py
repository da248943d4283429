"""Every parallel scheme against its single-process reference, on real gloo ranks.

Each test starts its ranks once and checks several things, since starting ranks costs more than
the work. Models are float64 so that the only differences left are the order of additions.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
from torch import nn

from course_lib.parallel import (
    CommCounter,
    DistributedDataParallel,
    ShardedOptimizer,
    TensorParallelMLP,
    all_reduce_by_reduce_scatter_all_gather,
    all_reduce_gradients,
    broadcast_module,
    bytes_sent_per_rank,
    expert_parallel_moe,
    launch,
    optimizer_state_bytes,
    ring_all_reduce,
    time_all_reduce,
)
from course_lib.parallel.ddp import assign_buckets
from tests.parallel_helpers import (
    STEPS,
    batch,
    local_batch,
    loss_of,
    make_model,
    make_optimizer,
    param_groups,
    reference_groups_run,
    reference_run,
)


# ---------------------------------------------------------------- collectives and the ring
def _collectives_worker() -> list:
    rank = dist.get_rank()
    g = torch.Generator().manual_seed(100 + rank)
    out = []
    for shape in [(1,), (2,), (7,), (12,), (4, 25)]:
        x = torch.randn(shape, generator=g)
        reference = x.clone()
        dist.all_reduce(reference)
        ring = x.clone()
        sent = ring_all_reduce(ring)
        out.append(
            {
                "shape": shape,
                "ring": ring,
                "reference": reference,
                "sent": sent,
                "rs_ag": all_reduce_by_reduce_scatter_all_gather(x),
            }
        )
    times = time_all_reduce([10, 1000], repeats=2)
    return {"cases": out, "times": times}


@pytest.mark.timeout(60)
def test_ring_all_reduce_and_reduce_scatter_all_gather_equal_all_reduce():
    world = 3
    results = launch(_collectives_worker, world_size=world, timeout=40)
    for rank_result in results:
        assert len(rank_result["times"]) == 2 and all(t > 0 for t in rank_result["times"])
        for case in rank_result["cases"]:
            torch.testing.assert_close(case["ring"], case["reference"], rtol=1e-6, atol=1e-6)
            torch.testing.assert_close(case["rs_ag"], case["reference"], rtol=1e-6, atol=1e-6)
    for case in results[0]["cases"]:
        numel = torch.Size(case["shape"]).numel()
        if numel % world == 0:  # equal chunks: exactly the textbook 2 (N-1)/N · S
            assert case["sent"] == bytes_sent_per_rank("all_reduce", numel * 4, world)
    # Across the ring every element is sent 2 (N-1) times in all, whatever the chunking.
    for index, case in enumerate(results[0]["cases"]):
        numel = torch.Size(case["shape"]).numel()
        assert sum(r["cases"][index]["sent"] for r in results) == 2 * (world - 1) * numel * 4


# ---------------------------------------------------------------- models and data for DDP/ZeRO
def _data_parallel_worker(kinds: list[str]) -> dict:
    rank = dist.get_rank()
    out: dict = {}
    for kind in kinds:
        for variant in ["naive", "bucket0", "bucket_small", "bucket_all", "zero1"]:
            model = make_model(kind)
            counter = CommCounter()
            with torch.no_grad():  # replicas start different: the wrappers must broadcast rank 0's
                for p in model.parameters():
                    p.add_(rank)
            if variant == "naive":
                broadcast_module(model)
                wrapped, sync = model, lambda: all_reduce_gradients(model)
            else:
                mb = {"bucket0": 0.0, "bucket_small": 200e-6, "bucket_all": float("inf"), "zero1": 1.0}[variant]
                wrapped = DistributedDataParallel(model, bucket_size_mb=mb, counter=counter)
                sync = wrapped.finish_gradient_synchronization
                out[(kind, variant, "buckets")] = len(wrapped.buckets)
            opt = make_optimizer(
                model.parameters(), "adamw", sharded=ShardedOptimizer if variant == "zero1" else None, counter=counter
            )
            for step in range(STEPS):
                loss_of(wrapped, *local_batch(kind, step)).backward()
                sync()
                if step == 0:
                    out[(kind, variant, "grads0")] = [p.grad.clone() for p in model.parameters()]
                opt.step()
                opt.zero_grad()
            out[(kind, variant, "params")] = [p.detach().clone() for p in model.parameters()]
            out[(kind, variant, "payload")] = dict(counter.payload)
            if variant == "zero1":
                out[(kind, "zero1", "state_bytes")] = opt.state_bytes()
    return out


@pytest.mark.timeout(90)
def test_data_parallel_variants_and_zero1_equal_single_process_training():
    kinds = ["mlp", "tied"]
    results = launch(_data_parallel_worker, world_size=2, args=(kinds,), timeout=60)
    for kind in kinds:
        grads0, params = reference_run(kind, "adamw")
        n_params = len(params)
        assert results[0][(kind, "bucket0", "buckets")] == n_params  # one bucket per parameter
        assert results[0][(kind, "bucket_all", "buckets")] == 1
        assert 1 < results[0][(kind, "bucket_small", "buckets")] < n_params
        for variant in ["naive", "bucket0", "bucket_small", "bucket_all", "zero1"]:
            for rank_result in results:
                for got, want in zip(rank_result[(kind, variant, "grads0")], grads0):
                    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12, msg=f"{kind}/{variant} gradient")
                for got, want in zip(rank_result[(kind, variant, "params")], params):
                    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-11, msg=f"{kind}/{variant} parameters")
        # ZeRO-1: the ranks' shards of AdamW state add up to the unsharded optimizer's state.
        full = make_model(kind)
        opt = make_optimizer(full.parameters(), "adamw")
        loss_of(full, *batch(kind, 0)).backward()
        opt.step()
        shards = [r[(kind, "zero1", "state_bytes")] for r in results]
        assert sum(shards) == optimizer_state_bytes(opt)
        assert all(0 < s < optimizer_state_bytes(opt) for s in shards)
        # Bytes, counted: every bucketed variant all-reduces each gradient once per step; ZeRO-1 adds
        # one broadcast of every parameter per step, sent by its owner (the ranks split the sending).
        param_bytes = sum(p.numel() * p.element_size() for p in params)
        for variant in ["bucket0", "bucket_small", "bucket_all", "zero1"]:
            for rank_result in results:
                assert rank_result[(kind, variant, "payload")]["all_reduce gradients"] == STEPS * param_bytes
        roots = [r[(kind, "zero1", "payload")]["broadcast parameters (as root)"] for r in results]
        assert sum(roots) == STEPS * param_bytes and all(b > 0 for b in roots)


@pytest.mark.parametrize(
    ("sizes", "cap"),
    [
        (
            [32, 1024, 256, 8192, 256, 1536],
            2000,
        ),  # the a2 test's MLP, reversed: the big one closes a bucket over the cap
        ([32, 1024, 256, 8192, 256, 1536], 1312),  # a bucket that reaches the cap exactly is closed
        ([100, 100, 100], 200),  # exactly full, then a remainder
        ([500, 10, 10], 100),  # a tensor over the cap gets a bucket of its own
        ([4, 4, 4], 0),  # cap 0: one bucket per tensor
        ([4, 4, 4], 10**9),  # one bucket for all
    ],
)
def test_bucket_boundaries_follow_pytorch_ddp(sizes, cap):
    """A bucket closes as soon as it holds at least the cap: PyTorch's own assignment (the function
    DistributedDataParallel calls, on float32 tensors of these byte sizes) is the reference."""
    tensors = [torch.empty(n // 4, dtype=torch.float32) for n in sizes]
    expected, _ = dist._compute_bucket_assignment_by_size(tensors, [cap])
    assert assign_buckets(sizes, cap) == [list(b) for b in expected]


def _ddp_misuse_worker() -> dict:
    model = nn.ModuleDict({"used": nn.Linear(3, 3), "unused": nn.Linear(3, 3)})
    ddp = DistributedDataParallel(model, bucket_size_mb=0.0)
    model["used"](torch.ones(2, 3)).sum().backward()
    out = {}
    try:
        ddp.finish_gradient_synchronization()
    except RuntimeError as exc:
        out["unused"] = str(exc)
    plain = ddp.unwrap()
    plain.zero_grad()
    model["used"](torch.ones(2, 3)).sum().backward()  # no hooks any more: no all-reduce is started
    out["ready_after_unwrap"] = sum(b.ready for b in ddp.buckets)
    return out


@pytest.mark.timeout(60)
def test_data_parallel_names_unused_parameters_and_unwraps():
    for r in launch(_ddp_misuse_worker, world_size=2, timeout=30):
        assert "unused.weight" in r["unused"] and "unused.bias" in r["unused"]
        assert r["ready_after_unwrap"] == 0


# ---------------------------------------------------------------- ZeRO-1 with groups and a schedule
def _zero_groups_worker() -> dict:
    rank = dist.get_rank()
    model = make_model("mlp")
    dp = DistributedDataParallel(model, bucket_size_mb=1.0)
    groups = param_groups(model)
    opt = ShardedOptimizer(groups, torch.optim.SGD, lr=0.1, momentum=0.9)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for step in range(STEPS):
        loss_of(dp, *local_batch("mlp", step)).backward()
        dp.finish_gradient_synchronization()
        opt.step()
        opt.zero_grad()
        schedule.step()
    saved = opt.state_dict()  # a checkpoint round trip restores this rank's shard exactly
    restored = ShardedOptimizer(groups, torch.optim.SGD, lr=0.1, momentum=0.9)
    restored.load_state_dict(saved)
    same = (
        all(
            torch.equal(restored.optimizer.state[p]["momentum_buffer"], opt.optimizer.state[p]["momentum_buffer"])
            for p in opt.optimizer.state
        )
        and len(restored.optimizer.state) == len(opt.optimizer.state) > 0
    )
    errors = []
    for bad in ({"state": {}}, {**saved, "rank": 1 - rank}):
        try:
            opt.load_state_dict(bad)
        except ValueError as exc:
            errors.append(str(exc))
    dist.barrier()
    return {"params": [p.detach().clone() for p in model.parameters()], "errors": errors, "restored": same}


@pytest.mark.timeout(60)
def test_sharded_optimizer_keeps_param_groups_lr_schedules_and_checkpoints():
    results = launch(_zero_groups_worker, world_size=2, timeout=40)
    reference = reference_groups_run()
    for r in results:
        for got, want in zip(r["params"], reference, strict=True):
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
        assert r["restored"]
        assert (
            "not a ShardedOptimizer checkpoint" in r["errors"][0]
            and "each rank holds a different shard" in r["errors"][1]
        )


# ---------------------------------------------------------------- tensor and expert parallelism
def _dense_mlp() -> tuple[nn.Linear, nn.Linear, torch.Tensor, torch.Tensor]:
    torch.manual_seed(3)
    up, down = nn.Linear(8, 16).double(), nn.Linear(16, 8).double()
    x = torch.randn(3, 5, 8, dtype=torch.float64)
    coef = torch.randn(3, 5, 8, dtype=torch.float64)
    return up, down, x, coef


def _moe(d: int, skew: bool):
    """The course's MoE layer (4 experts, top 2). ``skew``: its router sends every token of
    :func:`_tokens` to experts 0 and 1, both on rank 0."""
    from course_lib.model import ModelConfig, MoEFeedForward

    torch.manual_seed(4)
    config = ModelConfig(
        vocab_size=2, context_length=2, d_model=d, num_layers=1, num_heads=1, d_ff=12, num_experts=4, top_k=2
    )
    moe = MoEFeedForward(config).double()
    if skew:  # the tokens' mean is (3, ..., 3): large logits for experts 0 and 1, negative for 2 and 3
        with torch.no_grad():
            moe.router.weight[:2] += 1.0
            moe.router.weight[2:] -= 1.0
    return moe


def _tokens(rank: int, d: int, skew: bool) -> torch.Tensor:
    g = torch.Generator().manual_seed(50 + rank)
    return torch.randn(7 + rank, d, generator=g, dtype=torch.float64) + (3.0 if skew else 0.0)


def _tp_ep_worker() -> dict:
    rank, world = dist.get_rank(), dist.get_world_size()
    up, down, x, coef = _dense_mlp()
    counter = CommCounter()
    tp = TensorParallelMLP.from_dense(up, down, nn.functional.gelu, counter)
    x = x.requires_grad_()
    out = tp(x)
    (out * coef).sum().backward()
    result = {
        "tp_out": out.detach(),
        "tp_x_grad": x.grad,
        "tp_grads": [p.grad for p in (tp.up.weight, tp.up.bias, tp.down.weight, tp.down.bias)],
        "tp_payload": dict(counter.payload),
        "tp_calls": dict(counter.calls),
    }
    num, d = 4, 6
    for skew in (False, True):  # skew: every token prefers experts 0 and 1, all on rank 0
        moe = _moe(d, skew)
        local = moe.experts[rank * num // world : (rank + 1) * num // world]
        tokens = _tokens(rank, d, skew).requires_grad_()
        routing = moe.router(tokens)
        y = expert_parallel_moe(tokens, routing, local)
        (y * y).sum().backward()
        result[("ep", skew)] = {
            "out": y.detach(),
            "x_grad": tokens.grad,
            "router_grad": moe.router.weight.grad,
            "experts_used": routing.indices.unique().tolist(),
            "expert_grads": [p.grad for e in local for p in e.parameters()],
        }
    return result


@pytest.mark.timeout(60)
def test_tensor_and_expert_parallel_equal_the_dense_layers():
    world = 2
    results = launch(_tp_ep_worker, world_size=world, timeout=40)
    # Tensor parallel MLP against the dense one: outputs, input gradient, sharded weight gradients.
    up, down, x, coef = _dense_mlp()
    x = x.requires_grad_()
    out = down(nn.functional.gelu(up(x)))
    (out * coef).sum().backward()
    for r in results:
        torch.testing.assert_close(r["tp_out"], out.detach())
        torch.testing.assert_close(r["tp_x_grad"], x.grad)
        torch.testing.assert_close(r["tp_grads"][3], down.bias.grad)
    torch.testing.assert_close(torch.cat([r["tp_grads"][0] for r in results], 0), up.weight.grad)
    torch.testing.assert_close(torch.cat([r["tp_grads"][1] for r in results], 0), up.bias.grad)
    torch.testing.assert_close(torch.cat([r["tp_grads"][2] for r in results], 1), down.weight.grad)
    activation_bytes = x.numel() * x.element_size()
    assert results[0]["tp_calls"] == {"all_reduce forward": 1, "all_reduce backward": 1}
    assert results[0]["tp_payload"] == {"all_reduce forward": activation_bytes, "all_reduce backward": activation_bytes}
    # Expert parallel MoE against the single-process MoE over every rank's tokens.
    d = 6
    for skew in (False, True):
        moe = _moe(d, skew)
        total_router_grad = torch.zeros_like(moe.router.weight)
        for rank in range(world):
            moe.router.zero_grad()
            tokens = _tokens(rank, d, skew).requires_grad_()
            y = moe(tokens)
            (y * y).sum().backward()
            total_router_grad += moe.router.weight.grad
            got = results[rank][("ep", skew)]
            assert got["experts_used"] == ([0, 1] if skew else [0, 1, 2, 3])
            torch.testing.assert_close(got["out"], y.detach())
            torch.testing.assert_close(got["x_grad"], tokens.grad)
        # An expert no token chose has no gradient in the reference; the parallel one has zeros.
        torch.testing.assert_close(sum(r[("ep", skew)]["router_grad"] for r in results), total_router_grad)
        want = [torch.zeros_like(p) if p.grad is None else p.grad for e in moe.experts for p in e.parameters()]
        got = [g for r in results for g in r[("ep", skew)]["expert_grads"]]
        for g, w in zip(got, want, strict=True):
            torch.testing.assert_close(g, w)


# ---------------------------------------------------------------- expert parallelism around course_lib.model's MoE
def _course_moe():
    from course_lib.model import ModelConfig, MoEFeedForward

    torch.manual_seed(5)
    config = ModelConfig(
        vocab_size=2, context_length=2, d_model=8, num_layers=1, num_heads=1, d_ff=16, num_experts=4, top_k=2
    )
    return MoEFeedForward(config).double()


def _moe_worker() -> dict:
    rank, world = dist.get_rank(), dist.get_world_size()
    moe = _course_moe()
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(60 + rank), dtype=torch.float64)
    flat = x.reshape(-1, 8)
    routing = moe.router(flat)
    per_rank = 4 // world
    y = expert_parallel_moe(flat, routing, moe.experts[rank * per_rank : (rank + 1) * per_rank])
    y.sum().backward()
    return {"y": y.view_as(x).detach(), "router_grad": moe.router.weight.grad}


@pytest.mark.timeout(60)
def test_expert_parallel_equals_course_lib_moe_feed_forward():
    results = launch(_moe_worker, world_size=2, timeout=40)
    moe = _course_moe()
    for rank, got in enumerate(results):
        x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(60 + rank), dtype=torch.float64)
        y = moe(x)
        y.sum().backward()
        torch.testing.assert_close(got["y"], y.detach())
    torch.testing.assert_close(sum(r["router_grad"] for r in results), moe.router.weight.grad)
