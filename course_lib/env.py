"""The environment: device choice, seeding, Triton's mode, and the report behind `course doctor`.

Triton kernels compile for CUDA GPUs; everywhere else the course runs them through Triton's
interpreter (``TRITON_INTERPRET=1``), which executes the same kernel code with NumPy on the CPU.
Triton reads that variable when it is first imported, so :func:`configure_triton_mode` runs when
``course_lib`` is imported, before any module of ours imports triton.
"""

from __future__ import annotations

import importlib.util
import math
import os
import platform
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

TritonMode = Literal["compiled", "interpreter", "unavailable"]

__all__ = [
    "TritonMode",
    "EnvironmentReport",
    "pick_device",
    "seed_everything",
    "configure_triton_mode",
    "triton_mode",
    "triton_available",
    "describe",
    "busy_cores",
    "default_threads",
    "configure_threads",
]


def pick_device(prefer: str | None = None) -> torch.device:
    """The best device here: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (e.g. ``"cpu"``) forces a device and raises ``RuntimeError`` if it is not available,
    so a notebook that asks for ``"cuda"`` on a laptop says so instead of silently falling back.
    """
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was requested but torch.cuda.is_available() is False")
        if device.type == "mps" and not _mps_available():
            raise RuntimeError("device 'mps' was requested but the MPS backend is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and PyTorch's generators (all devices) and return a seeded CPU generator."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def triton_available() -> bool:
    """Whether the triton package can be imported here (it has no wheels for macOS or Windows)."""
    return importlib.util.find_spec("triton") is not None


def configure_triton_mode() -> TritonMode:
    """Choose Triton's mode before triton is imported: compiled on CUDA, the interpreter elsewhere.

    An explicit ``TRITON_INTERPRET`` in the environment is respected. If triton was already imported
    with the other setting, the mode cannot change any more and the current one is returned.
    """
    if not triton_available():
        return "unavailable"
    if "TRITON_INTERPRET" not in os.environ and "triton" not in sys.modules:
        os.environ["TRITON_INTERPRET"] = "0" if torch.cuda.is_available() else "1"
    return triton_mode()


def triton_mode() -> TritonMode:
    """The mode Triton kernels run in: ``compiled`` (CUDA), ``interpreter`` (CPU, NumPy), or
    ``unavailable`` (no triton package). The one public way to ask; ``course_lib.kernels`` re-exports it."""
    if not triton_available():
        return "unavailable"
    return "interpreter" if os.environ.get("TRITON_INTERPRET", "0") == "1" else "compiled"


@dataclass(frozen=True)
class EnvironmentReport:
    """What `course doctor` prints: versions, hardware, and whether the notebooks can run."""

    python: str
    platform: str
    torch: str
    triton: str | None
    device: str
    device_name: str
    cpu_cores: int
    memory_gib: float | None
    triton_mode: TritonMode
    tokenizer_c: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing stops the notebooks from running."""
        return not self.problems

    @property
    def verdict(self) -> str:
        if self.problems:
            return "NOT READY: " + "; ".join(self.problems)
        where = "on the GPU" if self.device == "cuda" else f"on {self.device.upper()}"
        return f"READY: every notebook can run here ({where}; Triton: {self.triton_mode})"

    def lines(self) -> list[str]:
        mem = f"{self.memory_gib:.1f} GiB" if self.memory_gib is not None else "unknown"
        return [
            f"Python       {self.python}",
            f"platform     {self.platform}",
            f"torch        {self.torch}",
            f"triton       {self.triton or 'not installed'}",
            f"device       {self.device} ({self.device_name})",
            f"CPU cores    {self.cpu_cores}",
            f"memory       {mem}",
            f"Triton mode  {self.triton_mode}",
            f"tokenizer    {self._tokenizer_line()}",
            f"verdict      {self.verdict}",
        ]

    def _tokenizer_line(self) -> str:
        c = [part for part, ok in self.tokenizer_c.items() if ok]
        python = [part for part, ok in self.tokenizer_c.items() if not ok]
        if not python:
            return f"C accelerators built ({', '.join(c)})"
        return f"Python for {', '.join(python)} (C accelerator not built: no C compiler at install?); same ids, slower"


def _memory_gib() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return pages * page_size / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def _cpu_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def describe() -> EnvironmentReport:
    """Inspect this machine and Python environment (used by `course doctor` and 00_welcome)."""
    from course_lib.tokenization.accelerate import built  # noqa: PLC0415  (env is imported by course_lib itself)

    device = pick_device()
    if device.type == "cuda":
        device_name = torch.cuda.get_device_name(0)
    elif device.type == "mps":
        device_name = "Apple GPU (Metal)"
    else:
        device_name = platform.processor() or platform.machine() or "CPU"
    triton_version = None
    if triton_available():
        import triton  # noqa: PLC0415  (imported after configure_triton_mode ran at package import)

        triton_version = triton.__version__
    problems: list[str] = []
    if sys.version_info < (3, 10):  # noqa: UP036 (doctor reports an interpreter pip would refuse)
        problems.append(f"Python {platform.python_version()} is older than 3.10")
    torch_major_minor = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
    if torch_major_minor < (2, 4):
        problems.append(f"torch {torch.__version__} is older than 2.4")
    memory = _memory_gib()
    if memory is not None and memory < 4:
        problems.append(f"only {memory:.1f} GiB of memory (4 GiB needed)")
    for module in ("matplotlib", "ipywidgets", "tqdm", "regex"):
        if importlib.util.find_spec(module) is None:
            problems.append(f"{module} is not installed (run the install command in README.md)")
    return EnvironmentReport(
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        torch=torch.__version__,
        triton=triton_version,
        device=device.type,
        device_name=device_name,
        cpu_cores=_cpu_cores(),
        memory_gib=memory,
        triton_mode=triton_mode(),
        tokenizer_c=built(),
        problems=problems,
    )


# ---------------------------------------------------------------------------- threads under load
# PyTorch runs CPU ops on an OpenMP thread team. While one thread waits for the others, OpenMP
# spins on the CPU by default; on a laptop that is also running a browser or another kernel, the
# threads then wait for each other's time slices at every op and a step can take 10-30x longer.
# Two defaults avoid that cliff: ``OMP_WAIT_POLICY=PASSIVE`` (set by ``import course_lib`` when torch
# is not imported yet, since OpenMP reads it once), and a thread count chosen from the load.


def busy_cores(interval: float = 0.25) -> float:
    """How many cores' worth of CPU the other processes use right now (0 on an idle machine).

    On Linux, measured from ``/proc/stat`` over ``interval`` seconds (this process sleeps
    meanwhile, so all of it is other work); elsewhere the one-minute load average, capped at the
    number of cores.
    """
    cores = _cpu_cores()
    try:
        first = _cpu_times()
        time.sleep(interval)
        second = _cpu_times()
    except (OSError, ValueError, IndexError):
        try:
            return min(float(cores), os.getloadavg()[0])
        except (OSError, AttributeError):
            return 0.0
    total = sum(second) - sum(first)
    idle = (second[3] + second[4]) - (first[3] + first[4])  # idle + iowait
    if total <= 0:
        return 0.0
    return max(0.0, min(1.0, 1.0 - idle / total)) * (os.cpu_count() or cores)


def _cpu_times() -> list[int]:
    with open("/proc/stat") as f:
        fields = f.readline().split()
    if fields[0] != "cpu":
        raise ValueError("unexpected /proc/stat")
    return [int(x) for x in fields[1:9]]


def default_threads(busy: float | None = None) -> int:
    """The CPU threads PyTorch should use here: the cores that are free, at least 1.

    ``busy`` is :func:`busy_cores` (measured when ``None``). An idle 2-core laptop gets 2 threads;
    with one other busy process or more, 1: a single thread never waits for another one, so it
    keeps its fair share of the CPU, where a team of threads that wait for each other loses most
    of theirs.
    """
    cores = _cpu_cores()
    if busy is None:
        busy = busy_cores()
    if not math.isfinite(busy) or busy < 0:
        raise ValueError(f"busy must be a non-negative number of cores, got {busy!r}")
    return max(1, min(cores, int(cores - busy + 0.25)))


def configure_threads(threads: int | None = None, *, small_model: bool = False) -> int:
    """Set PyTorch's CPU threads and return the number set.

    ``threads`` wins when given; otherwise 1 for ``small_model=True`` (what a notebook's small models
    want: their ops are too small to split, and one thread is unaffected by other load), else
    :func:`default_threads`. Raises ``ValueError`` for a count below 1.
    """
    if threads is None:
        threads = 1 if small_model else default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    torch.set_num_threads(threads)
    return threads
