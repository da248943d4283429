"""`course grade aN`: run an assignment's tests on your code and print a score table.

Instructors grade a student's folder against their own copy of the tests with
``course grade aN --submission PATH``. The runner's docstring (course_lib/tools/grading/runner.py) says
what the grader defends against and what it does not.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

NAME = "grade"
HELP = "grade an assignment: a table of parts, tests passed and points, plus a JSON report"
REPORTS = "grades"
"""Folder of the repository where reports go by default."""


def _timeout(text: str) -> float:
    from course_lib.tools.grading.runner import MAX_TIMEOUT, MIN_TIMEOUT

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from course_lib.tools.grading.runner import DEFAULT_TIMEOUT

    parser.add_argument("assignment", help="a0, a1, ... (or the full name, e.g. a1_basics)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--impl",
        choices=("assignments", "solutions"),
        default="assignments",
        help="grade your code in assignments/ (default) or the answer key in solutions/",
    )
    source.add_argument(
        "--submission",
        type=Path,
        metavar="PATH",
        help="instructors: grade a student's folder (their clone, their assignments/ or the assignment "
        "folder itself) against this repository's tests",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help=f"where to write the JSON report (default: {REPORTS}/aN.json in the repository; "
        f"{REPORTS}/aN.solutions.json for --impl solutions, {REPORTS}/aN.submission-NAME.json for --submission)",
    )
    parser.add_argument(
        "--timeout", type=_timeout, default=DEFAULT_TIMEOUT, help="seconds per test (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output")


def default_report_path(repo: Path, assignment: str, impl: str, submission: Path | None) -> Path:
    """Where the report goes without --json: one place per (assignment, what was graded)."""
    key = assignment.split("_", 1)[0]
    if submission is not None:
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in submission.resolve().name) or "submission"
        return repo / REPORTS / f"{key}.submission-{name}.json"
    return repo / REPORTS / (f"{key}.json" if impl == "assignments" else f"{key}.{impl}.json")


def _print_report(report, interrupted: bool = False) -> None:  # noqa: ANN001
    print(f"{report.assignment} ({report.impl})")
    print(report.table())
    problems = report.problems()
    if problems:
        print("\nWhat went wrong:")
        print("\n".join(f"  {line}" for line in problems))
    not_attempted = sum(t.status == "not attempted" for t in report.tests)
    if not_attempted:
        print(f"\n{not_attempted} test(s) not attempted: their functions still raise NotImplementedError.")
    if interrupted:
        not_run = sum(t.status == "not run" for t in report.tests)
        print(f"\ninterrupted: {not_run} test(s) not run; the table shows what was graded before Ctrl-C.")


def run(args: argparse.Namespace) -> int:
    from course_lib.tools.grading.runner import GradingError, GradingInterrupted, grade, resolve_assignment
    from course_lib.tools.paths import repo_root

    try:
        repo = repo_root()
        package, _ = resolve_assignment(repo, args.assignment)
    except (GradingError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = args.json or default_report_path(repo, package, args.impl, args.submission)
    if path.is_dir():
        print(f"error: --json {path} is a folder; give a file name, e.g. {path / 'report.json'}", file=sys.stderr)
        return 2
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: cannot create the folder for the report {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    interrupted = False
    try:
        report = grade(
            package, args.impl, submission=args.submission, timeout=args.timeout, verbose=args.verbose, repo=repo
        )
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GradingInterrupted as stop:
        report, interrupted = stop.report, True
    _print_report(report, interrupted)
    try:
        report.write_json(path)
    except OSError as exc:
        print(f"\nerror: could not write the report to {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"\nreport written to {path}")
    return 130 if interrupted else 0
