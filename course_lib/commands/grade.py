"""`course grade aN`: run an assignment's tests on your code and print a score table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "grade"
HELP = "grade an assignment: a table of parts, tests passed and points, plus a JSON report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from course_lib.grading.runner import DEFAULT_TIMEOUT

    parser.add_argument("assignment", help="a0, a1, ... (or the full name, e.g. a1_basics)")
    parser.add_argument(
        "--impl",
        choices=("assignments", "solutions"),
        default="assignments",
        help="grade your code in assignments/ (default) or the answer key in solutions/",
    )
    parser.add_argument("--json", type=Path, default=None, help="where to write the JSON report (default: grade-aN.json)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per test (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output")


def run(args: argparse.Namespace) -> int:
    from course_lib.grading.runner import GradingError, grade

    try:
        report = grade(args.assignment, args.impl, timeout=args.timeout, verbose=args.verbose)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{report.assignment} ({args.impl}/)")
    print(report.table())
    problems = report.problems()
    if problems:
        print("\nWhat went wrong:")
        print("\n".join(f"  {line}" for line in problems))
    not_attempted = sum(t.status == "not attempted" for t in report.tests)
    if not_attempted:
        print(f"\n{not_attempted} test(s) not attempted: their functions still raise NotImplementedError.")
    path = args.json or Path(f"grade-{report.assignment.split('_', 1)[0]}.json")
    report.write_json(path)
    print(f"\nreport written to {path}")
    return 0
