"""Repository-wide pytest configuration: the --impl switch, the CUDA marker and maintainer-only checks.

Assignment tests reach the code under test only through the ``load_impl`` fixture
(tests/assignments/conftest.py), which imports from ``solutions`` or ``assignments`` according to
``--impl``; nothing else in the tests names either folder.
"""

from __future__ import annotations

import pytest
import torch


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        choices=("solutions", "assignments"),
        default="solutions",
        help="which implementation the assignment tests grade (default: solutions, the answer key)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _skip_maintainer_checks_on_a_students_copy(items)
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def _skip_maintainer_checks_on_a_students_copy(items: list[pytest.Item]) -> None:
    """Checks marked ``maintainer`` (the skeletons match the answer key, score zero, compile) fail by
    design once a student fills in ``assignments/``: skip them there, saying why, in one line each."""
    marked = [item for item in items if "maintainer" in item.keywords]
    if not marked:
        return
    from course_lib.tools.paths import repo_root
    from course_lib.tools.release import student_changes

    changed = student_changes(repo_root())
    if not changed:
        return
    skip = pytest.mark.skip(
        reason=f"maintainer check: assignments/ holds your work ({len(changed)} file(s) changed since the release); "
        "grade it with `course grade aN`"
    )
    for item in marked:
        item.add_marker(skip)
