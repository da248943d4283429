"""The autograder on a synthetic assignment whose functions pass, fail, crash, hang and blow up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_lib.grading import GradeReport, GradingError, grade
from course_lib.paths import repo_root

REPO = repo_root()

STUDENT_CODE = '''
import ctypes, os, time

def good():
    return 42

def wrong():
    return 41

def todo():
    raise NotImplementedError("a9_demo: `todo` is not implemented yet")

def raises():
    return {}["missing"]

def loops():
    while True:
        pass

def stuck_in_c():
    ctypes.CDLL(None).sleep(600)  # signals cannot interrupt it: only the runner's watchdog can

def aborts():
    os.abort()

def huge():
    return bytearray(2**50)
'''

DEMO_FIXTURE = '''
import pytest

@pytest.fixture(scope="module")
def demo(load_impl):
    return load_impl("a9_demo.demo")
'''

TESTS = DEMO_FIXTURE + '''
@pytest.mark.grade(part="basics", points=2)
def test_good(demo):
    assert demo.good() == 42

@pytest.mark.grade(part="basics", points=3)
def test_wrong(demo):
    assert demo.wrong() == 42, "wrong() should return 42"

@pytest.mark.grade(part="todo", points=1)
def test_todo(demo):
    assert demo.todo() == 1

@pytest.mark.grade(part="errors", points=1)
def test_raises(demo):
    assert demo.raises() == 1

@pytest.mark.grade(part="hangs", points=1)
def test_loops(demo):
    demo.loops()

@pytest.mark.grade(part="crashes", points=1)
def test_aborts(demo):
    demo.aborts()

@pytest.mark.grade(part="crashes", points=1)
def test_huge(demo):
    demo.huge()

@pytest.mark.grade(part="gpu", points=4)
@pytest.mark.cuda
def test_needs_cuda(demo):
    assert demo.good() == 42

@pytest.mark.grade(part="basics", points=1)
def test_after_the_crashes(demo):
    assert demo.good() == 42
'''


def make_course(root: Path, student_code: str = STUDENT_CODE, tests: str = TESTS) -> Path:
    """A minimal copy of the course layout with one synthetic assignment, a9_demo."""
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(REPO / "conftest.py", root / "conftest.py")
    (root / "tests" / "assignments" / "a9").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "assignments" / "conftest.py", root / "tests" / "assignments" / "conftest.py")
    (root / "tests" / "assignments" / "a9" / "test_demo.py").write_text(textwrap.dedent(tests))
    for impl in ("solutions", "assignments"):
        package = root / impl / "a9_demo"
        package.mkdir(parents=True)
        (root / impl / "__init__.py").write_text("")
        (package / "__init__.py").write_text("")
        (package / "demo.py").write_text(textwrap.dedent(student_code))
    return root


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> GradeReport:
    root = make_course(tmp_path_factory.mktemp("course"))
    return grade("a9", "assignments", timeout=3, repo=root, watchdog_grace=3)


def by_name(report: GradeReport) -> dict[str, str]:
    return {t.name: t.status for t in report.tests}


def test_every_status_is_reported(demo_report: GradeReport) -> None:
    assert by_name(demo_report) == {
        "test_good": "passed",
        "test_wrong": "failed",
        "test_todo": "not attempted",
        "test_raises": "crashed",
        "test_loops": "timed out",
        "test_aborts": "crashed",
        "test_huge": "crashed",
        "test_needs_cuda": "passed" if _has_cuda() else "skipped",
        "test_after_the_crashes": "passed",
    }


def test_points_add_up_and_skipped_tests_count_for_nothing(demo_report: GradeReport) -> None:
    gpu = 4 if _has_cuda() else 0
    assert demo_report.points == 2 + 1 + gpu
    assert demo_report.points_possible == 2 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + gpu


def test_messages_say_what_happened(demo_report: GradeReport) -> None:
    messages = {t.name: t.message for t in demo_report.tests}
    assert "wrong() should return 42" in messages["test_wrong"]
    assert messages["test_raises"].startswith("KeyError")
    assert "SIGABRT" in messages["test_aborts"]
    assert "MemoryError" in messages["test_huge"]
    assert "Timeout" in messages["test_loops"]


def test_json_report_has_the_documented_shape(demo_report: GradeReport, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    demo_report.write_json(path)
    data = json.loads(path.read_text())
    assert set(data) == {"assignment", "impl", "interrupted", "points", "points_possible", "tests"}
    assert data["assignment"] == "a9_demo" and data["impl"] == "assignments" and data["interrupted"] is False
    for test in data["tests"]:
        assert set(test) == {"name", "part", "points", "points_possible", "status", "message"}
        assert test["status"] in {"passed", "failed", "not attempted", "timed out", "crashed", "skipped"}
    messages = {t["name"]: t["message"] for t in data["tests"]}
    assert "wrong() should return 42" in messages["test_wrong"] and messages["test_good"] == ""
    assert data["points"] == sum(t["points"] for t in data["tests"])
    assert data["points_possible"] == sum(t["points_possible"] for t in data["tests"])


def test_table_shows_each_part(demo_report: GradeReport) -> None:
    table = demo_report.table()
    rows = {line.split()[0]: line for line in table.splitlines()[2:] if line and not line.startswith("-")}
    assert "not attempted" in rows["todo"]
    assert "timed out" in rows["hangs"]
    assert "crashed" in rows["crashes"]
    assert rows["basics"].split()[1:3] == ["2/3", "3/6"]


def test_a_hang_in_c_code_is_cut_by_the_watchdog(tmp_path: Path) -> None:
    tests = DEMO_FIXTURE + '''
@pytest.mark.grade(part="hangs", points=1)
def test_stuck(demo):
    demo.stuck_in_c()

@pytest.mark.grade(part="basics", points=1)
def test_good(demo):
    assert demo.good() == 42
'''
    root = make_course(tmp_path, tests=tests)
    report = grade("a9", "assignments", timeout=1, repo=root, watchdog_grace=2)
    assert by_name(report) == {"test_stuck": "timed out", "test_good": "passed"}


def test_unknown_assignment_is_a_clear_error(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    with pytest.raises(GradingError, match="no assignment 'a7'.*available are a9"):
        grade("a7", repo=root)


def test_the_cli_prints_the_table_and_exits_0(tmp_path: Path) -> None:
    root = make_course(tmp_path, student_code="def good():\n    return 42\n", tests='''
    import pytest

    @pytest.mark.grade(part="basics", points=2)
    def test_good(load_impl):
        assert load_impl("a9_demo.demo").good() == 42
    ''')
    out = subprocess.run(
        [sys.executable, "-m", "course_lib.cli", "grade", "a9", "--json", str(tmp_path / "r.json")],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "total" in out.stdout and "1/1" in out.stdout and "2/2" in out.stdout
    assert json.loads((tmp_path / "r.json").read_text())["points"] == 2


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
