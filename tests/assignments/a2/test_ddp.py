"""Assignment 2, part 2: data-parallel wrappers, on 2 gloo ranks against one process and torch's DDP."""

from __future__ import annotations

import pytest

from tests.parallel_helpers import assert_same, expected_buckets, reference_run, run, train_worker

MODULE = "a2_systems.ddp"


@pytest.fixture(scope="module")
def ddp(load_impl):
    return load_impl(MODULE)


def _check_against_reference(results: list[dict], kind: str) -> None:
    grads0, params = reference_run(kind)
    for rank, r in enumerate(results):
        assert_same(r["grads0"], grads0, f"rank {rank}: averaged gradients of the first step")
        assert_same(r["params"], params, f"rank {rank}: parameters after training")


@pytest.mark.grade(part="ddp_individual", points=3)
@pytest.mark.timeout(120)
def test_individual_parameters_match_single_process(ddp):
    _check_against_reference(run(train_worker, ddp.__name__, "DDPIndividualParameters", "mlp"), "mlp")


@pytest.mark.grade(part="ddp_individual", points=2)
@pytest.mark.timeout(120)
def test_individual_parameters_with_tied_weights(ddp):
    _check_against_reference(run(train_worker, ddp.__name__, "DDPIndividualParameters", "tied"), "tied")


@pytest.mark.grade(part="ddp_individual", points=1)
@pytest.mark.timeout(120)
def test_individual_parameters_overlap_backward(ddp):
    results = run(train_worker, ddp.__name__, "DDPIndividualParameters", "mlp")
    n_params = len(results[0]["params"])
    during = [is_async for in_backward, is_async in results[0]["calls"] if in_backward]
    assert len(during) == n_params, f"expected one all-reduce per parameter during backward, saw {len(during)}"
    assert all(during), "all-reduces started during backward must be asynchronous (async_op=True)"


@pytest.mark.grade(part="ddp_individual", points=1)
@pytest.mark.timeout(120)
def test_individual_parameters_match_torch_ddp(ddp):
    mine = run(train_worker, ddp.__name__, "DDPIndividualParameters", "tied")
    torch_ddp = run(train_worker, None, "DistributedDataParallel", "tied")
    for a, b in zip(mine, torch_ddp):
        assert_same(a["params"], b["params"], "against torch DistributedDataParallel")


@pytest.mark.grade(part="ddp_bucketed", points=3)
@pytest.mark.timeout(120)
def test_bucketed_matches_single_process(ddp):
    for bucket_size_mb in (0.0, 0.002, 100.0):  # a bucket per parameter, several, one for all
        results = run(train_worker, ddp.__name__, "DDPBucketed", "mlp", (bucket_size_mb,))
        _check_against_reference(results, "mlp")


@pytest.mark.grade(part="ddp_bucketed", points=2)
@pytest.mark.timeout(120)
def test_bucketed_with_tied_weights(ddp):
    _check_against_reference(run(train_worker, ddp.__name__, "DDPBucketed", "tied", (0.0005,)), "tied")


@pytest.mark.grade(part="ddp_bucketed", points=2)
@pytest.mark.timeout(120)
def test_bucketed_bucket_count_and_overlap(ddp):
    size = 0.002  # MB: several buckets, fewer than parameters
    results = run(train_worker, ddp.__name__, "DDPBucketed", "mlp", (size,))
    # Reversed, the parameters hold 32, 1024, 256, 8192, 256 and 1536 bytes: the first bucket closes
    # at 9504 bytes (its last parameter passes the 2000-byte cap), the last one stays under it.
    partition = expected_buckets("mlp", size)
    assert partition == [4, 2]
    expected = len(partition)
    assert 1 < expected < len(results[0]["params"])
    assert results[0]["buckets"] == expected, f"{results[0]['buckets']} buckets, expected {expected} for {size} MB"
    assert results[0]["bucket_params"] == partition, (
        f"parameters per bucket {results[0]['bucket_params']}, expected {partition}: close a bucket as soon as it "
        "holds at least bucket_size_mb (PyTorch DDP's rule)"
    )
    during = [is_async for in_backward, is_async in results[0]["calls"] if in_backward]
    assert len(during) == expected, f"expected one all-reduce per bucket during backward, saw {len(during)}"
    assert all(during), "all-reduces started during backward must be asynchronous (async_op=True)"


@pytest.mark.grade(part="ddp_bucketed", points=1)
@pytest.mark.timeout(120)
def test_bucketed_matches_torch_ddp(ddp):
    mine = run(train_worker, ddp.__name__, "DDPBucketed", "mlp", (0.002,))
    torch_ddp = run(train_worker, None, "DistributedDataParallel", "mlp")
    for a, b in zip(mine, torch_ddp):
        assert_same(a["params"], b["params"], "against torch DistributedDataParallel")
