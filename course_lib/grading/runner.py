"""Run an assignment's tests against an implementation and build the grade report.

The tests run in a child ``pytest`` process (its own process group, memory capped), with
pytest-timeout interrupting a test that runs too long. The child logs every test as it starts and
ends (:mod:`course_lib.grading.plugin`). If the child dies (a segfault, the kernel's OOM killer) or
stops making progress (stuck where the timeout cannot interrupt it), the runner kills its process
group, marks the test it was in as crashed or timed out, and starts a new child for the tests not run
yet. So whatever the student code does, grading finishes and reports every test.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_lib.grading.report import GradeReport, TestResult
from course_lib.paths import repo_root

__all__ = ["GradingError", "resolve_assignment", "grade"]

DEFAULT_TIMEOUT = 60.0
"""Seconds one test may run before it is stopped and reported as timed out."""

WATCHDOG_GRACE = 20.0
"""Extra seconds the runner waits past the per-test timeout before killing a child that is stuck."""

STARTUP_LIMIT = 600.0
"""Seconds a child may take to start and collect the tests (importing torch on a slow, busy laptop)."""


class GradingError(RuntimeError):
    """Grading itself could not run (unknown assignment, broken test files): not the student's fault."""


def resolve_assignment(repo: Path, name: str) -> tuple[str, Path]:
    """``("a1_basics", tests/assignments/a1)`` for ``name`` in ``a1`` / ``a1_basics`` / ``1``."""
    key = name.split("_", 1)[0].lower()
    if key.isdigit():
        key = f"a{key}"
    packages = sorted(p.name for p in (repo / "solutions").iterdir() if p.is_dir() and re.match(r"a\d+_", p.name))
    available = ", ".join(p.split("_", 1)[0] for p in packages)
    matches = [p for p in packages if p.split("_", 1)[0] == key]
    tests = repo / "tests" / "assignments" / key
    if not matches or not tests.is_dir():
        raise GradingError(f"no assignment {name!r}: available are {available}")
    return matches[0], tests


def _memory_cap_bytes() -> int | None:
    """A cap on the child's address space: most of the machine's memory, so a runaway allocation
    fails inside the child with an error instead of summoning the OOM killer."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return max(int(total * 0.75), 4 * 2**30)


def _limit_child(memory: int | None) -> None:  # runs in the child, before exec
    if memory is None:
        return
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ValueError, OSError):
        pass


def _read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a killed child
            continue
    return events


def _run_child(
    args: list[str], log: Path, repo: Path, patience: float, verbose: bool, memory: int | None
) -> tuple[int | None, bool]:
    """Run one pytest child; returns (exit status or None if it was killed by us, whether it was stuck).

    The child is killed when a test logs nothing for ``patience`` seconds (or when it has not finished
    collecting within STARTUP_LIMIT).
    """
    output = None if verbose else subprocess.DEVNULL
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    child = subprocess.Popen(
        args,
        cwd=repo,
        env=env,
        stdout=output,
        stderr=output,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=(lambda: _limit_child(memory)) if os.name == "posix" else None,
    )
    # Only a running test is held to `patience`; starting up and collecting get STARTUP_LIMIT.
    last_size, last_change = 0, time.monotonic()
    while True:
        try:
            return child.wait(timeout=0.5), False
        except subprocess.TimeoutExpired:
            pass
        size = log.stat().st_size if log.exists() else 0
        now = time.monotonic()
        if size != last_size:
            last_size, last_change = size, now
        elif now - last_change > (patience if size else STARTUP_LIMIT):
            _kill_group(child)
            return None, True


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        child.kill()
    child.wait()


def grade(
    assignment: str,
    impl: str = "assignments",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    verbose: bool = False,
    repo: Path | None = None,
    watchdog_grace: float = WATCHDOG_GRACE,
) -> GradeReport:
    """Grade ``assignment`` (``"a0"``, ``"a1_basics"``...) against ``impl`` (``assignments``/``solutions``).

    ``timeout`` bounds each test (pytest-timeout interrupts it); a child that logs nothing for
    ``timeout + watchdog_grace`` seconds (stuck in C code, say) is killed by the runner.
    """
    if impl not in ("assignments", "solutions"):
        raise GradingError(f"--impl must be 'assignments' or 'solutions', not {impl!r}")
    if timeout <= 0:
        raise GradingError(f"the per-test timeout must be positive, got {timeout}")
    repo = repo or repo_root()
    package, tests_dir = resolve_assignment(repo, assignment)
    if not (repo / impl / package).is_dir():
        raise GradingError(f"{impl}/{package} does not exist: run `course release` or restore it from git")
    memory = _memory_cap_bytes()
    collected: dict[str, dict] = {}
    results: dict[str, TestResult] = {}
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        targets = [str(tests_dir.relative_to(repo))]
        for attempt in range(1, 1000):
            log = Path(tmp) / f"events-{attempt}.jsonl"
            args = [
                sys.executable, "-m", "pytest", *targets,
                f"--impl={impl}", "-p", "course_lib.grading.plugin", f"--grade-log={log}",
                "-p", "no:cacheprovider", "-o", "addopts=", f"--timeout={timeout:g}",
                "--timeout-method=signal", "-q", "--no-header", "-rN",
            ]  # fmt: skip
            status, stuck = _run_child(args, log, repo, timeout + watchdog_grace, verbose, memory)
            events = _read_events(log)
            started = None
            for event in events:
                if event["event"] == "collected":
                    collected.setdefault(event["nodeid"], event)
                elif event["event"] == "start":
                    started = event["nodeid"]
                elif event["event"] == "result":
                    info = collected[event["nodeid"]]
                    results[event["nodeid"]] = TestResult(info["name"], info["part"], info["points"], event["status"], event["message"])
                    started = None
            if not collected:
                raise GradingError(
                    f"pytest collected no tests from {targets[0]} (exit status {status}); "
                    f"run `pytest {targets[0]} --impl={impl}` to see why"
                )
            if started is not None:
                info = collected[started]
                if stuck:
                    outcome, message = "timed out", f"no progress for {timeout + watchdog_grace:g} s; the test was killed"
                else:
                    outcome, message = "crashed", _death_message(status)
                results[started] = TestResult(info["name"], info["part"], info["points"], outcome, message)
            remaining = [n for n in collected if n not in results]
            if not remaining:
                break
            if started is None and status is not None and status >= 0:
                # The child ended normally yet left tests unreported: do not loop forever.
                for nodeid in remaining:
                    info = collected[nodeid]
                    results[nodeid] = TestResult(info["name"], info["part"], info["points"], "crashed", f"not run (pytest exited with status {status})")
                break
            targets = remaining
    ordered = tuple(results[n] for n in collected)
    return GradeReport(assignment=package, impl=impl, tests=ordered)


def _death_message(status: int | None) -> str:
    if status is not None and status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the test process died with {name}{hint}"
    return f"the test process exited with status {status} in the middle of this test"
