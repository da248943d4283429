"""Each released skeleton grades to exactly zero, every test "not attempted" (or skipped).

This is what a student sees on day one; it also proves every assignment test carries a grade marker
and fails cleanly through NotImplementedError rather than with a crash or a hang.
"""

from __future__ import annotations

import pytest

from course_lib.tools.grading import grade
from course_lib.tools.paths import repo_root

REPO = repo_root()
ASSIGNMENTS = sorted(
    p.name for p in (REPO / "tests" / "assignments").iterdir() if p.is_dir() and p.name.startswith("a")
)


@pytest.mark.slow
@pytest.mark.maintainer
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_skeleton_scores_zero_cleanly(assignment: str) -> None:
    report = grade(assignment, "assignments", timeout=120)
    assert report.tests, f"{assignment}: no tests collected"
    ungraded = [t.name for t in report.tests if t.part == "ungraded"]
    assert not ungraded, f"{assignment}: tests without @pytest.mark.grade: {ungraded}"
    unclean = {t.name: f"{t.status}: {t.message}" for t in report.tests if t.status not in ("not attempted", "skipped")}
    assert not unclean, f"{assignment}: the skeleton should only be 'not attempted', got {unclean}"
    assert report.points == 0 and report.points_possible > 0
