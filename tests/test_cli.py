"""The `course` command line: discovery of subcommands and `course execute`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.tools.cli import build_parser
from course_lib.tools.notebooks import execute_notebook


def test_every_documented_subcommand_exists() -> None:
    parser = build_parser()
    names = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001
    assert {"doctor", "grade", "release", "execute"} <= names


def test_help_lists_the_subcommands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "course_lib.tools.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    for name in ("doctor", "grade", "release", "execute"):
        assert name in out.stdout


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_execute_runs_in_place_top_to_bottom(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "demo.ipynb", "x = 6 * 7", "print(x)", "import os; print(os.getcwd())")
    result = execute_notebook(path)
    assert result.error is None and result.seconds > 0 and not result.over_budget
    nb = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert not [c.metadata["execution"] for c in nb.cells if "execution" in c.metadata]  # no timestamps to diff
    assert nb.cells[1].outputs[0]["text"] == "42\n"
    assert nb.cells[2].outputs[0]["text"].strip() == str(tmp_path)  # runs from the notebook's folder


@pytest.mark.slow
def test_execute_keeps_figures_when_mplbackend_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # CI and scripts set MPLBACKEND=Agg; inherited by the kernel it would drop every plot.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = _notebook(tmp_path / "plot.ipynb", "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()")
    assert execute_notebook(path).error is None
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert any("image/png" in out.get("data", {}) for out in outputs)


@pytest.mark.slow
def test_execute_reports_a_failing_cell_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "bad.ipynb", "1 / 0")
    before = path.read_bytes()
    out = subprocess.run(
        [sys.executable, "-m", "course_lib.tools.cli", "execute", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "FAILED" in out.stdout and "ZeroDivisionError: division by zero" in out.stdout
    assert "\x1b[" not in out.stdout  # no terminal colour codes in the summary
    assert path.read_bytes() == before


def test_execute_names_a_missing_notebook(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        execute_notebook(tmp_path / "missing.ipynb")
