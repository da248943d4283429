"""Executing notebooks in place on a fresh kernel (``course execute``)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BUDGET_SECONDS", "ExecutionResult", "execute_notebook"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

BUDGET_SECONDS = 90.0
"""Every notebook must execute top to bottom within this many seconds on a 2-core CPU."""


@dataclass(frozen=True)
class ExecutionResult:
    path: Path
    seconds: float
    error: str | None = None

    @property
    def over_budget(self) -> bool:
        return self.seconds > BUDGET_SECONDS


def execute_notebook(path: Path, *, cell_timeout: int = 600, write: bool = True) -> ExecutionResult:
    """Run ``path`` top to bottom on a fresh kernel of this Python, from the notebook's folder.

    On success the notebook is saved in place with its new outputs (execution counts 1..N, figures
    inline even where ``MPLBACKEND`` is set in this process) and no timing metadata (re-running
    leaves no diff of timestamps). A cell that raises, a cell that runs
    past ``cell_timeout`` seconds or a kernel that dies leaves the file untouched and returns the
    error's summary. Raises FileNotFoundError for a missing file and ValueError for one that is not
    a notebook.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises JSON, validation and encoding errors of many types
        raise ValueError(f"{path} is not a Jupyter notebook: {type(exc).__name__}: {str(exc).strip()[:200]}") from None
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    try:
        # The kernel's own log (e.g. "running over TCP without encryption", or its complaints while
        # being shut down after a timeout) is not the notebook's output: cells' output travels over
        # Jupyter's messages, not the kernel's stderr.
        # MPLBACKEND (often Agg, set for scripts and CI) would override the kernel's inline backend
        # and leave every figure out of the committed notebook: the kernel starts without it.
        env = {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}
        client.execute(stderr=subprocess.DEVNULL, env=env)
    except CellExecutionError as exc:
        summary = [line for line in _ANSI.sub("", str(exc)).strip().splitlines() if line.strip()]
        return ExecutionResult(path, time.perf_counter() - start, error=summary[-1] if summary else repr(exc))
    except CellTimeoutError:
        return ExecutionResult(
            path, time.perf_counter() - start, error=f"a cell ran past the {cell_timeout} s cell timeout"
        )
    except DeadKernelError as exc:
        return ExecutionResult(path, time.perf_counter() - start, error=f"the kernel died: {str(exc).strip()[:200]}")
    seconds = time.perf_counter() - start
    if write:
        for cell in notebook.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(notebook, path)
    return ExecutionResult(path, seconds)
