"""The autograder on a synthetic assignment whose functions pass, fail, crash, hang and blow up."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course_lib.tools.grading import GradeReport, GradingError, grade
from course_lib.tools.paths import repo_root

REPO = repo_root()

STUDENT_CODE = """
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
"""

DEMO_FIXTURE = """
import pytest

@pytest.fixture(scope="module")
def demo(load_impl):
    return load_impl("a9_demo.demo")
"""

TESTS = (
    DEMO_FIXTURE
    + """
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
"""
)


def make_course(root: Path, student_code: str = STUDENT_CODE, tests: str = TESTS) -> Path:
    """A minimal copy of the course layout with one synthetic assignment, a9_demo."""
    root.mkdir(parents=True, exist_ok=True)
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
    tests = (
        DEMO_FIXTURE
        + """
@pytest.mark.grade(part="hangs", points=1)
def test_stuck(demo):
    demo.stuck_in_c()

@pytest.mark.grade(part="basics", points=1)
def test_good(demo):
    assert demo.good() == 42
"""
    )
    root = make_course(tmp_path, tests=tests)
    report = grade("a9", "assignments", timeout=1, repo=root, watchdog_grace=2)
    assert by_name(report) == {"test_stuck": "timed out", "test_good": "passed"}


def test_unknown_assignment_is_a_clear_error(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    with pytest.raises(GradingError, match="no assignment 'a7'.*available are a9"):
        grade("a7", repo=root)


GOOD_TESTS = """
import pytest

@pytest.mark.grade(part="basics", points=2)
def test_good(load_impl):
    assert load_impl("a9_demo.demo").good() == 42
"""


def _course_cli(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "course_lib.tools.cli", *args], cwd=root, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_the_cli_prints_the_table_and_writes_reports_where_it_says(tmp_path: Path) -> None:
    root = make_course(tmp_path / "course", student_code="def good():\n    return 42\n", tests=GOOD_TESTS)
    (root / "solutions" / "a9_demo" / "demo.py").write_text("def good():\n    return 42\n")
    (root / "assignments" / "a9_demo" / "demo.py").write_text("def good():\n    return 41\n")
    out = _course_cli(root, "grade", "a9", "--json", str(tmp_path / "made" / "for" / "it.json"))
    assert out.returncode == 0, out.stderr
    assert "total" in out.stdout and "0/1" in out.stdout and "0/2" in out.stdout
    assert json.loads((tmp_path / "made" / "for" / "it.json").read_text())["points"] == 0  # folder made

    out = _course_cli(root, "grade", "a9")  # default: one known place in the repository, not the cwd
    assert out.returncode == 0, out.stderr
    assert f"report written to {root / 'grades' / 'a9.json'}" in out.stdout
    mine = (root / "grades" / "a9.json").read_text()
    out = _course_cli(root, "grade", "a9", "--impl", "solutions")
    assert out.returncode == 0, out.stderr
    assert json.loads((root / "grades" / "a9.solutions.json").read_text())["points"] == 2
    assert (root / "grades" / "a9.json").read_text() == mine  # the answer key never overwrites yours


@pytest.mark.slow
def test_instructor_grades_a_submission_against_their_own_tests(tmp_path: Path) -> None:
    root = make_course(tmp_path / "course", student_code="def good():\n    return 41\n", tests=GOOD_TESTS)
    student = tmp_path / "alice" / "assignments" / "a9_demo"
    student.mkdir(parents=True)
    (student / "demo.py").write_text("def good():\n    return 42\n")
    (tmp_path / "alice" / "tests").mkdir()  # the student's own (edited) tests are never used
    (tmp_path / "alice" / "tests" / "conftest.py").write_text("raise SystemExit('student tests used')\n")
    report = grade("a9", submission=tmp_path / "alice", repo=root, timeout=30)
    assert report.points == 2 and report.impl == f"submission {tmp_path / 'alice'}"
    report = grade("a9", submission=student, repo=root, timeout=30)  # the assignment folder itself
    assert report.points == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(GradingError, match="found no a9_demo"):
        grade("a9", submission=tmp_path / "empty", repo=root)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e-9", "0", "-1", "ten", "1e9"])
def test_a_bad_timeout_is_rejected_before_anything_runs(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from course_lib.tools.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["grade", "a0", f"--timeout={value}"])
    assert stop.value.code == 2
    assert "--timeout" in capsys.readouterr().err
    with pytest.raises(GradingError, match="per-test timeout"):
        grade("a0", timeout=float(value) if value != "ten" else value)  # type: ignore[arg-type]


def test_json_to_a_folder_is_a_clear_error_before_grading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from course_lib.tools.cli import main

    root = make_course(tmp_path / "course", tests=GOOD_TESTS)
    monkeypatch.chdir(root)
    assert main(["grade", "a9", "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


HONEST_CODE = """
import os, signal, subprocess, sys, threading, time

def good():
    return 42

def interrupts():
    raise KeyboardInterrupt

def leaves_processes(pids):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    daemon = subprocess.Popen([sys.executable, "-c", (
        "import os, subprocess, sys, time\\n"
        "os.setsid()\\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{p.pid}}')\\n"
        "time.sleep(600)\\n")])
    while not os.path.exists(pids) or not open(pids).read().strip():
        time.sleep(0.05)
    with open(pids, "a") as f:
        f.write(f" {child.pid} {daemon.pid}")
    import tempfile
    tempfile.mkdtemp()
    return 42

def chatty_and_stuck():
    def chat():
        while True:
            print("", flush=True)
            sys.stderr.write("\\n")
            time.sleep(0.2)
    threading.Thread(target=chat, daemon=True).start()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # pytest-timeout cannot stop it
    while True:
        pass
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="checks processes through /proc (Linux)")
def test_honest_code_is_graded_honestly_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids.txt"
    tests = (
        DEMO_FIXTURE
        + f"""
@pytest.mark.grade(part="a", points=1)
def test_interrupts(demo):
    demo.interrupts()

@pytest.mark.grade(part="a", points=1)
def test_after_the_interrupt(demo):
    assert demo.good() == 42

@pytest.mark.grade(part="b", points=1)
def test_leaves_processes(demo):
    assert demo.leaves_processes({str(pids)!r}) == 42

@pytest.mark.grade(part="c", points=1)
def test_chatty_and_stuck(demo):
    demo.chatty_and_stuck()
"""
    )
    root = make_course(tmp_path / "course", student_code=HONEST_CODE, tests=tests)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    report = grade("a9", "assignments", timeout=10, repo=root, watchdog_grace=3)
    statuses = {t.name: (t.status, t.message) for t in report.tests}
    assert statuses["test_interrupts"][0] == "crashed" and "KeyboardInterrupt" in statuses["test_interrupts"][1]
    assert statuses["test_after_the_interrupt"] == ("passed", "")
    assert statuses["test_leaves_processes"] == ("passed", "")
    assert statuses["test_chatty_and_stuck"][0] == "timed out", statuses  # output does not feed the watchdog
    left = [int(p) for p in pids.read_text().split()]
    assert len(left) == 4 and not [p for p in left if _alive(p)], "processes outlived the grader"
    assert list(scratch.iterdir()) == [], "temporary folders outlived the grader"


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("import sys\nsys.exit(3)\n", "sys.exit(3)"),
        ("def good():\n    return 42 +\n", "a9_demo/demo.py:2"),
        ("\nimport not_a_module_anywhere\n", "a9_demo/demo.py:2"),
        ("def good():\n    return 42\nraise RuntimeError('boom')\n", "a9_demo/demo.py:3"),
    ],
    ids=["sys_exit", "syntax_error", "import_error", "raises_at_import"],
)
@pytest.mark.slow
def test_a_broken_module_is_crashed_with_file_and_line(module: str, expected: str, tmp_path: Path) -> None:
    root = make_course(tmp_path, student_code=module, tests=GOOD_TESTS)
    (report_test,) = grade("a9", "assignments", timeout=30, repo=root).tests
    assert report_test.status == "crashed", report_test
    assert expected in report_test.message and "could not import assignments.a9_demo.demo" in report_test.message


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_ctrl_c_prints_the_partial_table_and_kills_everything(tmp_path: Path) -> None:
    started = tmp_path / "started.txt"
    code = f"import os, time\ndef good():\n    return 42\ndef slow():\n    open({str(started)!r}, 'w').write(str(os.getpid()))\n    time.sleep(600)\n"
    tests = (
        GOOD_TESTS
        + """
@pytest.mark.grade(part="slow", points=1)
def test_slow(load_impl):
    load_impl("a9_demo.demo").slow()

@pytest.mark.grade(part="later", points=1)
def test_later(load_impl):
    assert load_impl("a9_demo.demo").good() == 42
"""
    )
    root = make_course(tmp_path / "course", student_code=code, tests=tests)
    grader = subprocess.Popen(
        [sys.executable, "-m", "course_lib.tools.cli", "grade", "a9", "--timeout", "300"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not (started.exists() and started.read_text()) and time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.1)
    grader.send_signal(signal.SIGINT)
    out, err = grader.communicate(timeout=60)
    assert grader.returncode == 130, err
    assert "interrupted: 2 test(s) not run" in out
    rows = {line.split()[0]: line for line in out.splitlines() if line[:1].isalpha()}
    assert rows["basics"].split()[1:4] == ["1/1", "2/2", "passed"] and "not run" in rows["later"]
    assert json.loads((root / "grades" / "a9.json").read_text())["interrupted"] is True
    assert not _alive(int(started.read_text()))


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
