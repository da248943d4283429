"""benchmarks/kernels.py: exits cleanly without a GPU, and every benchmark runs (tiny, interpreted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from course_lib.env import triton_mode

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "kernels.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmarks_kernels", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_without_cuda_it_says_so_and_exits_0(bench, capsys):
    assert bench.main([]) == 0
    assert "no CUDA GPU here" in capsys.readouterr().out


@pytest.mark.slow  # every benchmark once through the interpreter: ~5 s on 2 cores
@pytest.mark.skipif(triton_mode() != "interpreter", reason="the smoke run needs Triton's CPU interpreter")
def test_smoke_run_prints_a_row_per_measurement(bench, capsys):
    assert bench.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "kernel" not in line]
    assert len(rows) == 12, out
    kernels = {row.split("|")[1].strip().split()[0] for row in rows}
    assert kernels == {"vector", "softmax", "rms_norm", "matmul", "flash_attention"}
