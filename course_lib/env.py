"""The environment: device choice, seeding, Triton's mode, and the report behind `course doctor`.

Triton kernels compile for CUDA GPUs; everywhere else the course runs them through Triton's
interpreter (``TRITON_INTERPRET=1``), which executes the same kernel code with NumPy on the CPU.
Triton reads that variable when it is first imported, so :func:`configure_triton_mode` runs when
``course_lib`` is imported, before any module of ours imports triton.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import random
import sys
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
            f"verdict      {self.verdict}",
        ]


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
    if sys.version_info < (3, 10):
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
        problems=problems,
    )
