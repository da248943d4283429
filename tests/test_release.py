"""The release tool: skeleton generation, and the check that assignments/ is in sync with solutions/."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.tools.paths import repo_root
from course_lib.tools.release import ReleaseConflict, ReleaseError, check, release, render_skeleton, student_changes

REPO = repo_root()

SOLUTION = '''\
import torch


def double(x: torch.Tensor) -> torch.Tensor:
    """Twice x."""
    # BEGIN SOLUTION: multiply by two.
    y = x * 2
    return y
    # END SOLUTION


class Counter:
    def step(self) -> int:
        # BEGIN SOLUTION
        self.n = getattr(self, "n", 0) + 1
        return self.n
        # END SOLUTION
'''


@pytest.mark.maintainer
def test_committed_skeletons_are_in_sync_with_solutions() -> None:
    """The maintainers' check: run `course release` after editing solutions/ and commit the result."""
    problems = check(REPO)
    assert not problems, (
        "assignments/ is out of sync with solutions/:\n"
        + "\n".join(map(str, problems))
        + "\nMaintainers: run `course release` and commit the result."
        "\nStudents: this check is expected to fail once you fill in your skeleton; it is for the"
        " course's maintainers. Grade your work with `course grade aN` instead."
    )


def test_regions_become_todo_and_not_implemented() -> None:
    skeleton = render_skeleton(SOLUTION, "a9_demo/demo.py")
    assert "x * 2" not in skeleton and "self.n" not in skeleton
    assert "    # TODO(a9_demo): multiply by two.\n" in skeleton
    assert 'raise NotImplementedError("a9_demo: `double` is not implemented yet (a9_demo/demo.py)")' in skeleton
    assert "        # TODO(a9_demo): implement `Counter.step`.\n" in skeleton
    assert '"""Twice x."""' in skeleton  # everything outside the regions is kept
    namespace: dict = {}
    exec(compile(skeleton, "skeleton", "exec"), namespace)  # the skeleton is valid Python...
    with pytest.raises(NotImplementedError, match="double"):  # ...that says what is missing
        namespace["double"](1)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
        ("def f():\n    return 1\n    # END SOLUTION\n", "without a matching BEGIN"),
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n", "nested"),
        ("def f():\n    # BEGIN SOLUTION\n\n    # END SOLUTION\n", "empty solution region"),
    ],
)
def test_malformed_markers_are_reported_with_their_line(source: str, problem: str) -> None:
    with pytest.raises(ReleaseError, match=f"a9_demo/demo.py:\\d+: .*{problem}"):
        render_skeleton(source, "a9_demo/demo.py")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    package = tmp_path / "solutions" / "a9_demo"
    package.mkdir(parents=True)
    (package / "demo.py").write_text(SOLUTION)
    (package / "README.md").write_text("# handout\n")
    (tmp_path / "tests").mkdir()
    release(tmp_path)
    return tmp_path


def test_release_then_check_is_clean_and_copies_handouts(course: Path) -> None:
    assert check(course) == []
    assert (course / "assignments" / "a9_demo" / "README.md").read_text() == "# handout\n"


def test_editing_a_solution_region_puts_it_out_of_sync(course: Path) -> None:
    path = course / "solutions" / "a9_demo" / "demo.py"
    path.write_text(path.read_text().replace("y = x * 2", "y = x + x"))
    problems = check(course)
    assert [(p.path.name, p.reason) for p in problems] == [("demo.py", "changed since the last `course release`")]
    release(course)
    assert check(course) == []


def test_a_stale_manifest_is_out_of_sync(course: Path) -> None:
    """Skeleton hashes that disagree with the skeletons (two branches' releases merged) are reported,
    since they would make a maintainer's checkout look like a student's and skip the checks."""
    manifest = course / "assignments" / "a9_demo" / ".release-manifest.json"
    data = json.loads(manifest.read_text())
    data["skeleton_sha256"]["demo.py"] = "0" * 64
    manifest.write_text(json.dumps(data))
    assert student_changes(course) != []
    assert [(p.path.name, p.reason) for p in check(course)] == [
        (".release-manifest.json", "records other skeleton hashes than a release writes (run `course release`)")
    ]
    release(course)
    assert check(course) == [] and student_changes(course) == []


def test_a_checkout_in_sync_is_never_taken_for_a_students_copy() -> None:
    """Not a maintainer-only check, so it cannot skip itself: when every skeleton file is exactly what
    a release writes (a maintainer's checkout, not a student's), the manifests must be fresh too, or
    the maintainer checks would skip themselves."""
    problems = check(REPO)
    if all(p.path.name == ".release-manifest.json" for p in problems):
        assert problems == [], "stale release manifests: run `course release` and commit them"
        assert student_changes(REPO) == []


def test_hand_edits_and_stray_files_in_assignments_are_reported(course: Path) -> None:
    target = course / "assignments" / "a9_demo"
    (target / "demo.py").write_text("def double(x):\n    return x * 2\n")
    (target / "notes.py").write_text("")
    reasons = {p.path.name: p.reason for p in check(course)}
    assert reasons == {
        "demo.py": "differs from the skeleton generated from solutions/",
        "notes.py": "not generated from solutions/ (stale or hand-written)",
    }
    with pytest.raises(ReleaseConflict) as refused:  # a student's work is never overwritten silently
        release(course)
    assert sorted(p.name for p in refused.value.paths) == ["demo.py", "notes.py"]
    assert (target / "notes.py").exists() and "x * 2" in (target / "demo.py").read_text()
    release(course, overwrite=True)
    assert check(course) == [] and not (target / "notes.py").exists()


def test_course_release_refuses_to_overwrite_a_filled_in_skeleton(course: Path) -> None:
    def run(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "course_lib.tools.cli", "release", *flags],
            cwd=course,
            capture_output=True,
            text=True,
            timeout=60,
        )

    mine = course / "assignments" / "a9_demo" / "demo.py"
    mine.write_text("def double(x):\n    return x * 2  # my work\n")
    solution = course / "solutions" / "a9_demo" / "demo.py"
    solution.write_text(solution.read_text().replace("y = x * 2", "y = x + x"))
    refused = run()
    assert refused.returncode == 2
    assert "assignments/a9_demo/demo.py" in refused.stderr and "--overwrite" in refused.stderr
    assert "my work" in mine.read_text()
    assert run("--overwrite").returncode == 0
    assert "my work" not in mine.read_text() and check(course) == []


def test_course_release_check_exit_codes(course: Path) -> None:
    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "course_lib.tools.cli", "release", "--check"],
            cwd=course,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert run().returncode == 0
    path = course / "solutions" / "a9_demo" / "demo.py"
    path.write_text(path.read_text().replace("return y", "return y + 0"))
    result = run()
    assert result.returncode == 1
    assert "solutions/a9_demo/demo.py" in result.stderr and "course release" in result.stderr


@pytest.mark.maintainer
def test_every_skeleton_is_importable_and_not_attempted() -> None:
    """A fresh skeleton imports cleanly: students start from code that runs, not a syntax error."""
    for path in sorted((REPO / "assignments").glob("a*_*/**/*.py")):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_only_real_assignments_are_released(tmp_path: Path) -> None:
    shutil.copytree(REPO / "solutions", tmp_path / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.raises(ReleaseError, match="no assignment 'a42'"):
        release(tmp_path, ["a42"])


def test_maintainer_checks_are_skipped_with_a_reason_on_a_students_copy(course: Path) -> None:
    shutil.copy(REPO / "conftest.py", course / "conftest.py")
    shutil.copy(REPO / "pyproject.toml", course / "pyproject.toml")
    (course / "tests" / "test_skeletons.py").write_text(
        "import pytest\n\n@pytest.mark.maintainer\ndef test_skeleton_is_pristine():\n    assert False, 'fails on a student copy'\n"
    )

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-rs", "-o", "addopts=", "-p", "no:cacheprovider"],
            cwd=course,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run().returncode == 1  # a maintainer's checkout: the check runs (and here fails)
    (course / "assignments" / "a9_demo" / "demo.py").write_text("def double(x):\n    return x * 2\n")
    out = run()
    assert out.returncode == 0, out.stdout
    assert "maintainer check: assignments/ holds your work (1 file(s) changed since the release)" in out.stdout
    assert "course grade aN" in out.stdout
