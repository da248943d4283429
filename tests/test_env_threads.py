"""Threads under load: course_lib.env's thread policy, OpenMP's wait policy, and what `course train`
and `course generate` do with them. (The throughput itself is measured by benchmarks/training.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import torch

from course_lib import env

CORES = env._cpu_cores()


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_default_threads_are_the_free_cores():
    assert env.default_threads(busy=0.0) == CORES
    assert env.default_threads(busy=float(CORES)) == 1
    assert env.default_threads(busy=10.0 * CORES) == 1
    if CORES >= 2:
        assert env.default_threads(busy=1.0) == CORES - 1
    with pytest.raises(ValueError, match="busy"):
        env.default_threads(busy=-1.0)


@pytest.mark.skipif(
    not os.path.exists("/proc/stat"),
    reason="elsewhere busy_cores reads the one-minute load average, too slow to see them",
)
def test_busy_cores_sees_competing_processes():
    competitors = 4
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(competitors)
    ]
    try:
        time.sleep(0.5)  # let them start
        busy = env.busy_cores()
        threads = env.default_threads(busy)
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait()
    # Four CPU-bound processes fill min(4, cores) cores (other work on the machine only adds to it).
    assert busy >= 0.75 * min(competitors, os.cpu_count() or CORES)
    assert threads <= max(1, CORES - competitors + 1)


def test_configure_threads(restore_threads):
    assert env.configure_threads(1) == 1 and torch.get_num_threads() == 1
    assert env.configure_threads(small_model=True) == 1
    assert 1 <= env.configure_threads() <= CORES
    assert env.configure_threads(CORES) == CORES and torch.get_num_threads() == CORES
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            env.configure_threads(bad)


def _wait_policy(code: str, **extra: str) -> str:
    child_env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | extra
    out = subprocess.run(
        [sys.executable, "-c", code + "; import os; print(os.environ.get('OMP_WAIT_POLICY'))"],
        env=child_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip().splitlines()[-1]


def test_importing_course_lib_first_makes_openmp_threads_wait_passively():
    assert _wait_policy("import course_lib") == "PASSIVE"
    # Too late once torch has loaded OpenMP, and a user's own setting wins.
    assert _wait_policy("import torch, course_lib") == "None"
    assert _wait_policy("import course_lib", OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"


def test_course_train_warns_when_busy_and_uses_one_thread(monkeypatch, capsys, restore_threads):
    from course_lib.tools.commands import train

    monkeypatch.setattr(env, "busy_cores", lambda interval=0.25: float(CORES))
    line = train._configure_threads(None, torch.device("cpu"))
    assert torch.get_num_threads() == 1 and line.split()[1] == "1"
    assert "machine is busy" in capsys.readouterr().err
    monkeypatch.setattr(env, "busy_cores", lambda interval=0.25: 0.0)
    train._configure_threads(None, torch.device("cpu"))
    assert torch.get_num_threads() == CORES and "busy" not in capsys.readouterr().err
    train._configure_threads(1, torch.device("cpu"))
    assert torch.get_num_threads() == 1


def test_course_train_eta_comes_from_timed_steps():
    from course_lib.model import ModelConfig, TransformerLM
    from course_lib.tools.commands import train
    from course_lib.training import TrainConfig

    model = TransformerLM.from_config(
        ModelConfig(vocab_size=64, context_length=16, d_model=32, num_layers=1, num_heads=2, d_ff=64)
    )
    before = [p.detach().clone() for p in model.parameters()]
    tokens = torch.randint(0, 64, (2_000,)).numpy()
    line = train._eta_line(model, TrainConfig(max_steps=600, batch_size=4, eval_interval=100, eval_batches=2), tokens)
    seconds_per_step = float(line.split("(")[1].split(" s/step")[0])
    minutes = float(line.split("about ")[1].split(" min")[0])
    # 600 steps and 7 evaluations of 2 batches (a forward is about a third of a step).
    assert minutes == pytest.approx(seconds_per_step * (600 + 7 * 2 / 3) / 60, rel=0.06, abs=0.06)
    # The probe trains a copy: the model itself is untouched.
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
