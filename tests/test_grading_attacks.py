"""Attacks on the grader: each is a student's untouched skeleton plus a few lines meant to forge a
score. Every one must score 0 (issue 15 lists them), and honest mistakes must be reported honestly.

The attack code is what a student could paste at the top of their module; it runs inside the graded
process, so each attack also tries the old grader's weak points (its log path in ``sys.argv``, its
in-process ``classify``) to show the runner no longer depends on them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from course_lib.tools.grading import GradingError, grade
from tests.test_grading import make_course

TESTS = """
import pytest

@pytest.fixture(scope="module")
def demo(load_impl):
    return load_impl("a9_demo.demo")

@pytest.mark.grade(part="one", points=1)
def test_one(demo):
    assert demo.answer() == 42

@pytest.mark.grade(part="two", points=2)
def test_two(demo):
    assert demo.answer() + 0 == 42 if isinstance(demo.answer(), int) else demo.answer() == 42

@pytest.mark.grade(part="three", points=3)
def test_three(demo):
    assert [demo.answer()] == [42]
"""

SKELETON = """
def answer():
    raise NotImplementedError("a9_demo: `answer` is not implemented yet")
"""

ATTACKS = {
    "patch_the_plugin": """
import sys
plugin = sys.modules.get("course_lib.tools.grading.plugin")
if plugin is not None:
    passed = lambda *args, **kwargs: ("passed", "")
    plugin.classify = passed                      # the old in-process verdict
    if hasattr(plugin, "describe"):                # the facts sent to the runner: "no exception"
        plugin.describe = lambda exc: {"type": "X", "message": "", "not_implemented": False,
                                       "assertion": False, "pytest_fail": False}
    for name in dir(plugin):
        if name.startswith("pytest_runtest_makereport"):
            setattr(plugin, name, lambda *a, **k: None)
""",
    "fake_result_lines": """
import atexit, json, os, sys

def forge():
    fake = []
    for arg in sys.argv:                           # the old grader passed its log path on the command line
        if arg.startswith("--grade-log="):
            path = arg.split("=", 1)[1]
            with open(path) as log:
                ids = [json.loads(line)["nodeid"] for line in log if '"collected"' in line]
            with open(path, "a") as log:
                for nodeid in ids:
                    log.write(json.dumps({"event": "result", "nodeid": nodeid, "status": "passed", "message": ""}) + "\\n")
    for name in ("one", "two", "three"):
        nodeid = f"tests/assignments/a9/test_demo.py::test_{name}"
        fake += [{"event": "start", "nodeid": nodeid}, {"event": "result", "nodeid": nodeid, "status": "passed"},
                 {"event": "phase", "nodeid": nodeid, "when": "call", "outcome": "passed", "chain": []},
                 {"event": "finish", "nodeid": nodeid}]
    lines = "".join(json.dumps(e) + "\\n" for e in fake)
    print(lines, flush=True)                       # on stdout, in case anyone parses it
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        if int(fd) > 2:                            # and on every other descriptor the process holds
            try:
                os.write(int(fd), lines.encode())
            except OSError:
                pass

forge()                                            # before the real results...
atexit.register(forge)                             # ...and after them
""",
    "keyboard_interrupt_then_sigkill_at_exit": """
import atexit, os, signal
atexit.register(lambda: os.kill(os.getpid(), signal.SIGKILL))

def answer():
    raise KeyboardInterrupt
""",
    "pytest_exit_then_sigkill_at_exit": """
import atexit, os, signal
import pytest
atexit.register(lambda: os.kill(os.getpid(), signal.SIGKILL))

def answer():
    pytest.exit("done", returncode=0)
""",
    "edit_the_tests_then_os_exit": """
import os, sys
from pathlib import Path
targets = {Path(m.__file__) for m in list(sys.modules.values())
           if getattr(m, "__file__", None) and Path(m.__file__).name.startswith("test_")}
targets |= set(Path.cwd().glob("tests/assignments/**/test_*.py"))
for path in targets:
    text = path.read_text()
    if "assert True or" not in text and "assert " in text:
        path.write_text(text.replace("assert ", "assert True or "))
        os._exit(0)                                # the next process imports the edited tests
""",
    "skip_every_unfinished_function": """
import pytest

def answer():
    pytest.skip("not done yet")
""",
    "eq_always_true": """
class Anything(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__

def answer():
    return Anything(0)
""",
}


def attack_course(root: Path, attack: str) -> Path:
    code = ATTACKS[attack]
    student = code + SKELETON if "def answer" not in code else code
    return make_course(root, student_code=textwrap.dedent(student), tests=TESTS)


@pytest.mark.slow
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_scores_zero(attack: str, tmp_path: Path) -> None:
    report = grade("a9", "assignments", timeout=20, repo=attack_course(tmp_path, attack), watchdog_grace=5)
    statuses = {t.name: (t.status, t.message) for t in report.tests}
    assert report.points == 0, f"{attack} forged {report.points} points: {statuses}"
    assert report.points_possible == 6, f"{attack} changed what counts: {statuses}"
    assert set(statuses) == {"test_one", "test_two", "test_three"}
    assert not any(status in ("passed", "skipped") for status, _ in statuses.values()), statuses


def test_attack_on_the_course_files_voids_the_grade(tmp_path: Path) -> None:
    """Student code that edits the instructor's own test files (not the graded copy) voids the grade."""
    root = make_course(tmp_path, tests=TESTS, student_code="")
    real_tests = root / "tests" / "assignments" / "a9" / "test_demo.py"
    student = f"from pathlib import Path\nPath({str(real_tests)!r}).write_text('# gone\\n')\n" + SKELETON
    for impl in ("assignments", "solutions"):
        (root / impl / "a9_demo" / "demo.py").write_text(student)
    with pytest.raises(GradingError, match="changed while the graded code ran.*test_demo.py.*void"):
        grade("a9", "assignments", timeout=20, repo=root, watchdog_grace=5)


def test_the_comparison_guard_passes_library_values_and_refuses_home_made_equality() -> None:
    import numpy as np
    import torch

    from course_lib.tools.grading.guard import UntrustedValue, checked

    trusted = [
        None,
        {}.keys(),
        torch.zeros(2),
        torch.Size([2]),
        np.float64(1.0),
        np.zeros(2),
        [1, (2, b"x")],
        {"a": [1.5]},
        torch.nn.Parameter(torch.zeros(1)),
        range(3),
        "s",
        torch.float32,
        pytest.approx(1.0),
    ]
    for value in trusted:
        assert checked(value) is value

    class Yes(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    Yes.__module__ = "assignments.a9_demo.demo"  # as if the student's module had defined it
    for value in (Yes(0), [1, Yes(0)], {"k": (Yes(0),)}):
        with pytest.raises(UntrustedValue, match="Yes, which defines its own comparison"):
            checked(value)
