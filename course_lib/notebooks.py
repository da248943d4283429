"""Executing notebooks in place on a fresh kernel (``course execute``)."""

from __future__ import annotations

import re
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

    On success the notebook is saved in place with its new outputs (execution counts 1..N). On a cell
    error the file is left untouched and the error's summary is returned.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        summary = [line for line in _ANSI.sub("", str(exc)).strip().splitlines() if line.strip()]
        return ExecutionResult(path, time.perf_counter() - start, error=summary[-1] if summary else repr(exc))
    seconds = time.perf_counter() - start
    if write:
        nbformat.write(notebook, path)
    return ExecutionResult(path, seconds)
