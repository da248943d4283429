"""FSDP (ZeRO-3) against single-process training, on 2 real gloo ranks."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from course_lib.parallel import CommCounter, FullyShardedDataParallel, bytes_sent_per_rank, launch
from tests.parallel_helpers import STEPS, batch, loss_of, make_model


def _fsdp_worker() -> dict:
    rank, world = dist.get_rank(), dist.get_world_size()
    model = make_model("mlp")
    with torch.no_grad():  # ranks start different: the wrapper must take rank 0's parameters
        for p in model.parameters():
            p.add_(rank)
    counter = CommCounter()
    fsdp = FullyShardedDataParallel(model, counter)
    shard_numels = [p.numel() for p in fsdp.parameters()]
    unit_numels = [unit.numel for unit in fsdp.units.values()]
    optimizer = torch.optim.AdamW(fsdp.parameters(), lr=0.05, weight_decay=0.1)
    for step in range(STEPS):
        x, y = batch("mlp", step)
        loss_of(fsdp, x.chunk(world)[rank], y.chunk(world)[rank]).backward()
        optimizer.step()
        optimizer.zero_grad()
    state_bytes = sum(t.nbytes for s in optimizer.state.values() for t in s.values() if t.ndim > 0)
    payload, calls = dict(counter.payload), dict(counter.calls)  # before gathering the results below
    return {
        "params": list(fsdp.full_state_dict().values()),
        "payload": payload,
        "calls": calls,
        "unit_numels": unit_numels,
        "shard_numels": shard_numels,
        "state_bytes": state_bytes,
    }


def _tied_worker() -> str:
    try:
        FullyShardedDataParallel(make_model("tied"))
    except ValueError as err:
        return str(err)
    return ""


@pytest.mark.timeout(120)
def test_fsdp_equals_single_process_training_and_sends_one_and_a_half_all_reduces():
    results = launch(_fsdp_worker, world_size=2, timeout=60)
    model = make_model("mlp")
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1)
    for step in range(STEPS):
        loss_of(model, *batch("mlp", step)).backward()
        optimizer.step()
        optimizer.zero_grad()
    for r in results:
        assert len(r["params"]) == len(list(model.parameters()))
        for got, want in zip(r["params"], model.parameters()):
            torch.testing.assert_close(got, want.detach(), rtol=1e-9, atol=1e-11)
    # Each rank stores half of each unit's (padded) flat parameters, and AdamW state for that half only.
    r = results[0]
    assert r["unit_numels"] == [m.weight.numel() + m.bias.numel() for m in model if isinstance(m, torch.nn.Linear)]
    padded = [n + n % 2 for n in r["unit_numels"]]
    assert r["shard_numels"] == [n // 2 for n in padded]
    assert r["state_bytes"] == 2 * 8 * sum(r["shard_numels"])  # two float64 moments of the shard
    # Per step and unit: two all-gathers (forward, recomputed backward) and one reduce-scatter.
    full_bytes = 8 * sum(padded)
    assert r["calls"] == {"all_gather parameters": 2 * 3 * STEPS, "reduce_scatter gradients": 3 * STEPS}
    assert r["payload"] == {
        "all_gather parameters": 2 * STEPS * full_bytes,
        "reduce_scatter gradients": STEPS * full_bytes,
    }
    sent = sum(bytes_sent_per_rank(label.split()[0], nbytes, 2) for label, nbytes in r["payload"].items()) / STEPS
    assert sent == 1.5 * bytes_sent_per_rank("all_reduce", full_bytes, 2)


@pytest.mark.timeout(60)
def test_fsdp_rejects_tied_weights():
    messages = launch(_tied_worker, world_size=2, timeout=30)
    assert all("tied weights" in m for m in messages)
