"""course_lib.env: device choice, seeding, Triton's mode, and `course doctor`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from course_lib import env


def test_pick_device_prefers_an_accelerator() -> None:
    expected = "cuda" if torch.cuda.is_available() else ("mps" if env._mps_available() else "cpu")
    assert env.pick_device().type == expected
    assert env.pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_a_missing_device_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="'cuda' was requested"):
        env.pick_device("cuda")


def test_seed_everything_makes_every_generator_repeat() -> None:
    import random

    import numpy as np

    def draw() -> tuple:
        generator = env.seed_everything(123)
        return (
            random.random(),
            float(np.random.rand()),
            torch.rand(3).tolist(),
            torch.rand(2, generator=generator).tolist(),
        )

    assert draw() == draw()


def test_triton_mode_follows_the_device() -> None:
    mode = env.triton_mode()
    if not env.triton_available():
        assert mode == "unavailable"
    elif torch.cuda.is_available():
        assert mode == "compiled"
    else:
        assert mode == "interpreter" and os.environ["TRITON_INTERPRET"] == "1"


def _python(code: str, **extra_env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"} | extra_env
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, env=environment
    )


@pytest.mark.skipif(not env.triton_available(), reason="triton is not installed")
def test_importing_course_lib_sets_the_mode_before_triton_loads() -> None:
    result = _python(
        """
        import sys, os, course_lib
        assert "triton" not in sys.modules, "course_lib must not import triton eagerly"
        import torch
        expected = "0" if torch.cuda.is_available() else "1"
        assert os.environ["TRITON_INTERPRET"] == expected, os.environ.get("TRITON_INTERPRET")
        """
    )
    assert result.returncode == 0, result.stderr


def test_course_lib_imports_where_triton_is_missing() -> None:
    """On macOS there are no triton wheels: course_lib and `course doctor` must still work."""
    result = _python(
        """
        import sys
        sys.modules["triton"] = None  # makes `import triton` raise ImportError, as when not installed
        import importlib.util
        real_find_spec = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == "triton" else real_find_spec(name, *a)
        import course_lib
        from course_lib.env import describe
        report = describe()
        assert report.triton is None and report.triton_mode == "unavailable", report
        print(report.verdict)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "READY" in result.stdout


def test_doctor_tells_the_truth_about_this_machine() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "course_lib.tools.cli", "doctor"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    fields = dict(line.split(None, 1) if " " in line else (line, "") for line in result.stdout.splitlines())
    text = result.stdout
    assert f"torch        {torch.__version__}" in text
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert f"CPU cores    {cores}" in text
    assert f"device       {env.pick_device().type}" in text
    assert f"Triton mode  {env.triton_mode()}" in text
    assert fields["verdict"].startswith("READY")


def test_a_machine_with_too_little_memory_is_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env, "_memory_gib", lambda: 2.0)
    report = env.describe()
    assert not report.ok and "only 2.0 GiB of memory" in report.verdict
