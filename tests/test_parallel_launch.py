"""The launcher: results come back by rank, failures end every rank quickly with the failing rank's error."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from course_lib.parallel import LaunchTimeout, RankError, free_port, launch


def _who_am_i(scale: float) -> dict:
    t = torch.full((2,), float(dist.get_rank() + 1))
    dist.all_reduce(t)
    return {
        "rank": dist.get_rank(),
        "world": dist.get_world_size(),
        "env": (os.environ["RANK"], os.environ["WORLD_SIZE"], os.environ["LOCAL_RANK"], os.environ["MASTER_PORT"]),
        "sum": t * scale,
        "threads": torch.get_num_threads(),
    }


def _rank1_raises_others_wait() -> None:
    if dist.get_rank() == 1:
        raise NotImplementedError("rank one has not implemented this")
    dist.all_reduce(torch.ones(3))  # blocks: rank 1 never joins


def _rank0_dies_silently() -> None:
    if dist.get_rank() == 0:
        os._exit(7)
    dist.barrier()


def _rank0_sleeps() -> None:
    if dist.get_rank() == 0:
        time.sleep(60)


def _rank1_skips_a_collective() -> None:
    if dist.get_rank() == 0:
        dist.all_reduce(torch.ones(1))


def _unpicklable_result():
    return lambda: None


def _rank1_exits_cleanly_too_early() -> None:
    if dist.get_rank() == 1:
        os._exit(0)
    dist.all_reduce(torch.ones(3))  # rank 0 fails here because rank 1 is gone


def _rank_forks_a_grandchild(pid_file: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(f"{pid_file}.{dist.get_rank()}").write_text(str(child.pid))


@pytest.mark.timeout(60)
def test_results_by_rank_with_torchrun_environment():
    results = launch(_who_am_i, world_size=3, args=(0.5,))
    assert [r["rank"] for r in results] == [0, 1, 2]
    assert all(r["world"] == 3 for r in results)
    assert [r["env"][:3] for r in results] == [(str(i), "3", str(i)) for i in range(3)]
    assert len({r["env"][3] for r in results}) == 1
    for r in results:
        torch.testing.assert_close(r["sum"], torch.full((2,), 3.0))  # (1 + 2 + 3) * 0.5
        assert r["threads"] == 1


@pytest.mark.timeout(60)
def test_failing_rank_ends_the_group_with_its_error_quickly():
    start = time.monotonic()
    with pytest.raises(RankError) as info:
        launch(_rank1_raises_others_wait, world_size=2, timeout=30)
    assert time.monotonic() - start < 10  # far less than the 30 s timeout: no hang on the waiting rank
    err = info.value
    assert err.rank == 1 and err.exc_type == "NotImplementedError"
    assert "NotImplementedError: rank one has not implemented this" in str(err)
    assert "_rank1_raises_others_wait" in str(err)  # the traceback text of the rank


@pytest.mark.timeout(60)
def test_silently_dying_rank_is_reported():
    start = time.monotonic()
    with pytest.raises(RankError) as info:
        launch(_rank0_dies_silently, world_size=2, timeout=30)
    assert time.monotonic() - start < 10
    assert info.value.rank == 0 and "exited with code 7" in str(info.value)


@pytest.mark.timeout(60)
def test_mismatched_collectives_are_named_as_the_likely_cause():
    with pytest.raises(RankError, match=r"rank 0 of 2 raised \w+ after rank\(s\) \[1\] had returned normally"):
        launch(_rank1_skips_a_collective, world_size=2, timeout=30)


@pytest.mark.timeout(60)
def test_launch_timeout_terminates_ranks():
    start = time.monotonic()
    with pytest.raises(LaunchTimeout, match=r"rank\(s\) \[0\]"):
        launch(_rank0_sleeps, world_size=2, timeout=2)
    assert time.monotonic() - start < 8


@pytest.mark.timeout(60)
def test_unpicklable_result_is_an_error_not_a_hang():
    with pytest.raises(RankError, match="pickle"):
        launch(_unpicklable_result, world_size=2, timeout=30)


@pytest.mark.timeout(60)
def test_the_rank_that_exited_early_is_blamed_not_its_peer():
    with pytest.raises(RankError) as info:
        launch(_rank1_exits_cleanly_too_early, world_size=2, timeout=30)
    assert info.value.rank == 1 and "exited with code 0 without reporting" in str(info.value)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="checks processes through /proc (Linux)")
def test_processes_forked_by_ranks_do_not_outlive_the_launch(tmp_path: Path):
    launch(_rank_forks_a_grandchild, world_size=2, args=(str(tmp_path / "pid"),), timeout=30)
    pids = [int((tmp_path / f"pid.{rank}").read_text()) for rank in range(2)]
    time.sleep(0.2)
    alive = [
        pid
        for pid in pids
        if Path(f"/proc/{pid}").exists()
        and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    ]
    assert not alive


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), 0.0, -1.0])
def test_a_timeout_that_is_not_a_positive_finite_number_is_rejected(timeout: float):
    with pytest.raises(ValueError, match="timeout must be a positive, finite number"):
        launch(_who_am_i, world_size=1, timeout=timeout)


def test_bad_arguments():
    with pytest.raises(ValueError, match="world_size"):
        launch(_who_am_i, world_size=0)
    with pytest.raises(ValueError, match="start method"):
        launch(_who_am_i, world_size=1, start_method="teleport")
    assert 0 < free_port() < 65536


_TORCHRUN_SCRIPT = """
import torch, torch.distributed as dist
from course_lib.parallel import launch, under_torchrun

def work():
    t = torch.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(t)
    return (dist.get_rank(), t.item())

assert under_torchrun()
results = launch(work, world_size=2)
if dist.get_rank() == 0:
    print("RESULTS", results)
dist.destroy_process_group()
"""


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_same_script_runs_under_torchrun(tmp_path: Path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(_TORCHRUN_SCRIPT))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-port",
        str(free_port()),
        str(script),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=110)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RESULTS [(0, 3.0), (1, 3.0)]" in done.stdout


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_spawn_start_method_with_an_importable_function():
    from course_lib.parallel.ring import _check  # spawned ranks import it by name: it must live in a module

    results = launch(_check, world_size=2, args=(100,), start_method="spawn", timeout=100)
    assert [sent for _, sent in results] == [400, 400] and max(err for err, _ in results) < 1e-6
