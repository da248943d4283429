"""Notebooks are committed executed, in order, error-free, and follow the lecture template.

nbval (collected from notebooks/ by the same `pytest`) re-runs them; these checks are about the
committed files a reader opens on GitHub or in JupyterLab before running anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_lib.tools.paths import repo_root

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_with_outputs_in_order(path: Path) -> None:
    cells = _code_cells(_load(path))
    counts = [c["execution_count"] for c in cells]
    assert None not in counts, f"{path.name}: some cells were never executed; run `course execute {path.name}`"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: not executed top to bottom on a fresh kernel"
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name}: committed with an error output: {errors[0].get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_follows_the_lecture_template(path: Path) -> None:
    nb = _load(path)
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert markdown, f"{path.name} has no prose"
    opening = markdown[0].lower() + (markdown[1].lower() if len(markdown) > 1 else "")
    assert "objectives" in opening or "you will" in opening, f"{path.name}: open with learning objectives"
    assert "runs on" in opening, f"{path.name}: open with a 'Runs on' line"
    assert "summary" in markdown[-1].lower() or "summary" in markdown[-2].lower(), f"{path.name}: end with a summary"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_small_enough_to_review(path: Path) -> None:
    size = path.stat().st_size
    assert size < 2_000_000, f"{path.name} is {size / 1e6:.1f} MB: lower figure dpi or print less"
