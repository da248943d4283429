"""Run an assignment's tests against an implementation and build the grade report.

What the runner trusts, and why (the trust model; CONTRIBUTING.md and the handouts say the same):

- **Verdicts are made here, not in the process that runs student code.** The tests run in a child
  ``pytest`` process. Its plugin (:mod:`course_lib.tools.grading.plugin`) reports facts over a private,
  signed channel (:mod:`course_lib.tools.grading.channel`); this process judges them
  (:mod:`course_lib.tools.grading.verdict`). A test passes only if pytest reported its setup, call and
  teardown passed and it finished; nothing printed, and nothing written to a file, counts.
- **The tests are a copy the student cannot change.** The test files are read into memory when
  grading starts; every child runs on a fresh copy written from that snapshot into a temporary
  folder, next to a fresh copy of the implementation. An edit that student code makes to a copy
  lasts only until the child ends; an edit to the course's own files (tests, ``course_lib``) voids
  the grade (:class:`GradingError`).
- **Nothing outlives grading.** Each child runs in its own session with a memory cap and its own
  temporary folder; the runner is a child subreaper (:mod:`course_lib.tools.grading.processes`) and kills
  every process left under it after each child. A per-test watchdog, reset only by the channel's
  ``start`` records, kills a child stuck where pytest-timeout cannot interrupt it; a crash or a hang
  costs that one test, and a new child runs the tests not run yet.

What it does not defend against: student code runs with your user's rights, in the same process as
the test's assertions. Code written to defeat the grader on purpose (rewriting the test functions in
memory, reading the channel's key out of the plugin, patching PyTorch) can still fool it, and code
can read or damage your files. Grade untrusted submissions in a container or a throw-away account.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from course_lib.tools.grading import channel, processes
from course_lib.tools.grading.report import GradeReport, TestResult
from course_lib.tools.grading.verdict import verdict
from course_lib.tools.paths import repo_root

__all__ = ["GradingError", "GradingInterrupted", "resolve_assignment", "check_timeout", "grade"]

DEFAULT_TIMEOUT = 60.0
"""Seconds one test may run before it is stopped and reported as timed out."""

MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 24 * 3600.0
"""The range of per-test timeouts ``course grade`` accepts."""

WATCHDOG_GRACE = 20.0
"""Extra seconds the runner waits past the per-test timeout before killing a child that is stuck."""

STARTUP_LIMIT = 600.0
"""Seconds a child may take to start and collect the tests (importing torch on a slow, busy laptop)."""

_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".hypothesis"}


class GradingError(RuntimeError):
    """Grading itself could not run (unknown assignment, broken test files): not the student's fault."""


class GradingInterrupted(Exception):
    """Ctrl-C during grading: everything the grader started is gone; ``report`` has what was graded."""

    def __init__(self, report: GradeReport) -> None:
        super().__init__("grading interrupted")
        self.report = report


def check_timeout(timeout: float) -> float:
    """``timeout`` if it is a usable per-test limit in seconds, else a GradingError saying why."""
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        raise GradingError(
            f"the per-test timeout must be a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}, got {timeout!r}"
        )
    return float(timeout)


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


def resolve_submission(path: Path, package: str) -> Path:
    """The folder of a student's ``package`` inside ``path``: their clone, their ``assignments/`` or the package itself."""
    path = path.expanduser()
    if not path.is_dir():
        raise GradingError(f"--submission {path}: no such folder")
    for candidate in (path / "assignments" / package, path / package, path):
        if candidate.is_dir() and any(candidate.glob("*.py")):
            return candidate
    raise GradingError(
        f"--submission {path}: found no {package} there (looked for {path}/assignments/{package}/, "
        f"{path}/{package}/ and .py files in {path}/)"
    )


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not _SKIP_DIRS.intersection(p.relative_to(root).parts))


def _test_snapshot(repo: Path, tests_dir: Path) -> dict[str, bytes]:
    """The files a graded run needs from the course, read once: relative path -> bytes."""
    wanted = [
        repo / "conftest.py",
        repo / "pyproject.toml",
        *(p for p in (repo / "tests").glob("*.py") if not p.name.startswith("test_")),
    ]
    wanted += list((repo / "tests" / "assignments").glob("*.py"))
    wanted += _files(tests_dir)
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in wanted if p.is_file()}


def _course_fingerprint(repo: Path, snapshot: dict[str, bytes]) -> dict[str, str]:
    """Hashes of the course files student code must not change: the tests and ``course_lib``."""
    paths = [repo / rel for rel in snapshot]
    library = Path(__file__).resolve().parents[2]  # course_lib
    paths += [p for p in library.rglob("*.py") if "__pycache__" not in p.parts]
    prints = {}
    for path in paths:
        try:
            prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            prints[str(path)] = "missing"
    return prints


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

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _remove_tree(path: Path) -> None:
    """Remove a folder even where student code took away permissions."""

    def fix(func, target, _exc):  # noqa: ANN001, ANN202
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(target), stat.S_IRWXU)
            os.chmod(target, stat.S_IRWXU)
            func(target)

    shutil.rmtree(path, onexc=fix) if sys.version_info >= (3, 12) else shutil.rmtree(path, onerror=fix)  # noqa: B018


def _prepare_run(run_dir: Path, snapshot: dict[str, bytes], impl: str, package: str, source: Path) -> None:
    for rel, data in snapshot.items():
        target = run_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (run_dir / impl).mkdir(exist_ok=True)
    (run_dir / impl / "__init__.py").write_text("")
    shutil.copytree(source, run_dir / impl / package, ignore=shutil.ignore_patterns(*_SKIP_DIRS), symlinks=False)
    (run_dir / ".tmp").mkdir()


class _Child:
    """One pytest child and what it reported."""

    def __init__(self, args: list[str], cwd: Path, output: Path | None, memory: int | None) -> None:
        self.key = channel.new_key()
        self.reader = channel.ChannelReader(self.key)
        record_r, record_w = os.pipe()
        key_r, key_w = os.pipe()
        os.write(key_w, self.key)
        os.close(key_w)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env |= {
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "TMPDIR": str(cwd / ".tmp"),
            "TEMP": str(cwd / ".tmp"),
            "TMP": str(cwd / ".tmp"),
            channel.ENV_VAR: f"{record_w},{key_r}",
        }
        sink = output.open("wb") if output is not None else None
        try:
            self.process = subprocess.Popen(
                args,
                cwd=cwd,
                env=env,
                stdout=sink,
                stderr=sink,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                pass_fds=(record_w, key_r),
                preexec_fn=(lambda: _limit_child(memory)) if os.name == "posix" else None,
            )
        finally:
            os.close(record_w)
            os.close(key_r)
            if sink is not None:
                sink.close()
        self.fd = record_r
        os.set_blocking(self.fd, False)

    def read(self, wait: float) -> list[dict]:
        """Verified events that arrived within ``wait`` seconds."""
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return []
        events = []
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                break
            events += self.reader.feed(data)
        return events

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def grade(
    assignment: str,
    impl: str = "assignments",
    *,
    submission: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    verbose: bool = False,
    repo: Path | None = None,
    watchdog_grace: float = WATCHDOG_GRACE,
    on_result: Callable[[TestResult], None] | None = None,
) -> GradeReport:
    """Grade ``assignment`` (``"a0"``, ``"a1_basics"``...) against ``impl`` (``assignments``/``solutions``),
    or against a student's folder ``submission`` (instructor mode: the course's own tests, the student's code).

    ``timeout`` bounds each test (pytest-timeout interrupts it); a child that reports nothing for
    ``timeout + watchdog_grace`` seconds (stuck in C code, say) is killed by the runner. On Ctrl-C,
    raises :class:`GradingInterrupted` carrying the partial report, after killing everything.
    """
    if impl not in ("assignments", "solutions"):
        raise GradingError(f"--impl must be 'assignments' or 'solutions', not {impl!r}")
    timeout = check_timeout(timeout)
    repo = (repo or repo_root()).resolve()
    package, tests_dir = resolve_assignment(repo, assignment)
    if submission is not None:
        source, impl = resolve_submission(Path(submission), package), "assignments"
        label = f"submission {submission}"
    else:
        source, label = repo / impl / package, impl
        if not source.is_dir():
            raise GradingError(f"{impl}/{package} does not exist: run `course release` or restore it from git")
    snapshot = _test_snapshot(repo, tests_dir)
    before = _course_fingerprint(repo, snapshot)
    state = _Grading(
        snapshot,
        package,
        impl,
        source,
        tests_dir.relative_to(repo).as_posix(),
        timeout,
        timeout + watchdog_grace,
        verbose,
        on_result,
    )
    try:
        with processes.subreaper():
            tmp = Path(tempfile.mkdtemp(prefix="course-grade-"))
            try:
                state.run(tmp)
            finally:
                processes.kill_descendants(exclude=state.preexisting)
                _remove_tree(tmp)
    except KeyboardInterrupt:
        raise GradingInterrupted(state.report(package, label, interrupted=True)) from None
    changed = sorted(path for path, digest in _course_fingerprint(repo, snapshot).items() if before.get(path) != digest)
    if changed:
        names = ", ".join(str(Path(p).relative_to(repo)) if Path(p).is_relative_to(repo) else p for p in changed[:5])
        raise GradingError(
            f"course files changed while the graded code ran ({names}{', ...' if len(changed) > 5 else ''}): "
            "the grade is void. Restore them (git checkout) and grade again"
        )
    return state.report(package, label)


class _Grading:
    """The state of one grading: tests collected, results so far, the test running now."""

    def __init__(self, snapshot, package, impl, source, target, timeout, patience, verbose, on_result) -> None:  # noqa: ANN001
        self.snapshot, self.package, self.impl, self.source = snapshot, package, impl, source
        self.target, self.timeout, self.patience, self.verbose = target, timeout, patience, verbose
        self.on_result = on_result
        self.collected: dict[str, dict] = {}
        self.results: dict[str, TestResult] = {}
        self.preexisting = frozenset(processes.descendants())
        self.memory = _memory_cap_bytes()

    def _record(self, nodeid: str, status: str, message: str) -> None:
        info = self.collected[nodeid]
        result = TestResult(info["name"], info["part"], info["points"], status, message)
        self.results[nodeid] = result
        if self.on_result is not None:
            self.on_result(result)

    def report(self, package: str, label: str, interrupted: bool = False) -> GradeReport:
        tests = []
        for nodeid, info in self.collected.items():
            result = self.results.get(nodeid)
            if result is None:
                result = TestResult(info["name"], info["part"], info["points"], "not run", "grading was interrupted")
            tests.append(result)
        return GradeReport(assignment=package, impl=label, tests=tuple(tests), interrupted=interrupted)

    def run(self, tmp: Path) -> None:
        targets = [self.target]
        for attempt in range(1, 10_000):
            run_dir = tmp / f"run-{attempt}"
            _prepare_run(run_dir, self.snapshot, self.impl, self.package, self.source)
            output = None if self.verbose else tmp / f"output-{attempt}.txt"
            try:
                progress = self._run_child(run_dir, targets, output)
            finally:
                processes.kill_descendants(exclude=self.preexisting)
                _remove_tree(run_dir)
            remaining = [n for n in self.collected if n not in self.results]
            if not self.collected:
                said = (
                    output.read_text(errors="replace").strip().splitlines()[-12:] if output and output.exists() else []
                )
                raise GradingError(
                    f"pytest collected no tests from {self.target}; run `pytest {self.target} --impl={self.impl}` "
                    "to see why" + "".join(f"\n  | {line}" for line in said)
                )
            if not remaining:
                return
            if not progress:  # the child ended without grading anything more: do not loop forever
                for nodeid in remaining:
                    self._record(nodeid, "crashed", "not run: the test process ended before reaching this test")
                return
            targets = remaining

    def _run_child(self, run_dir: Path, targets: list[str], output: Path | None) -> bool:
        """Run one child over ``targets``; returns whether any test got a verdict."""
        args = [
            sys.executable,
            "-m",
            "pytest",
            *targets,
            "-c",
            "pyproject.toml",
            "--rootdir=.",
            f"--impl={self.impl}",
            "-p",
            "pytest_timeout",
            "-p",
            "course_lib.tools.grading.plugin",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            f"--timeout={self.timeout:g}",
            "--timeout-method=signal",
            "-q",
            "--no-header",
            "-rN",
        ]
        child = _Child(args, run_dir, output, self.memory)
        graded_before = len(self.results)
        current: str | None = None
        phases: list[dict] = []
        deadline = time.monotonic() + STARTUP_LIMIT
        stuck = False
        try:
            while True:
                exited = child.process.poll() is not None
                for event in child.read(0.0 if exited else 0.2):
                    kind = event.get("event")
                    if kind == "collected":
                        self.collected.setdefault(event["nodeid"], event)
                    elif kind == "collection_done":
                        deadline = time.monotonic() + self.patience
                    elif kind == "start" and event.get("nodeid") in self.collected:
                        current, phases = event["nodeid"], []
                        deadline = time.monotonic() + self.patience
                    elif kind == "phase" and event.get("nodeid") == current:
                        phases.append(event)
                    elif kind == "finish" and event.get("nodeid") == current:
                        outcome = verdict(self.collected[current], phases, finished=True)
                        self._record(current, *(outcome or ("crashed", "the test ended without a result")))
                        current = None
                        deadline = time.monotonic() + self.patience
                if child.reader.tampered or exited:
                    break
                if time.monotonic() > deadline:
                    stuck = True
                    break
        finally:
            child.kill()
            child.close()
        if current is not None:
            outcome = verdict(self.collected[current], phases, finished=False)
            if child.reader.tampered:
                outcome = ("crashed", f"something wrote to the grader's private channel ({child.reader.tampered})")
            elif outcome is None and stuck:
                outcome = ("timed out", f"no progress for {self.patience:g} s; the test was killed")
            elif outcome is None:
                outcome = ("crashed", _death_message(child.process.returncode))
            self._record(current, *outcome)
        elif child.reader.tampered:
            for nodeid in [n for n in self.collected if n not in self.results]:
                self._record(
                    nodeid, "crashed", f"something wrote to the grader's private channel ({child.reader.tampered})"
                )
        return len(self.results) > graded_before


def _death_message(status: int | None) -> str:
    if status is not None and status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the test process died with {name}{hint}"
    return f"the test process exited with status {status} in the middle of this test"
