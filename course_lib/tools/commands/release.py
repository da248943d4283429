"""`course release [aN ...] [--check] [--overwrite]`: write (or verify) the assignment skeletons from solutions/.

It never overwrites a skeleton file that changed since the last release (a student's work) unless
given ``--overwrite``; it names those files instead.
"""

from __future__ import annotations

import argparse
import sys

NAME = "release"
HELP = "generate assignments/ from solutions/ (with --check: exit 1 if they are out of sync)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignments", nargs="*", help="e.g. a1 or a1_basics (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming out-of-sync files")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace skeleton files that changed since the last release (a student's work there is lost)",
    )


def run(args: argparse.Namespace) -> int:
    from course_lib.tools.paths import repo_root
    from course_lib.tools.release import ReleaseError, check, release

    root = repo_root()
    try:
        if args.check:
            problems = check(root, args.assignments or None)
            for problem in problems:
                print(f"out of sync: {problem}", file=sys.stderr)
            if problems:
                print("run `course release` to regenerate assignments/ from solutions/", file=sys.stderr)
                return 1
            print("assignments/ is in sync with solutions/")
            return 0
        changed = release(root, args.assignments or None, overwrite=args.overwrite)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"wrote {path.relative_to(root)}")
    print(f"{len(changed)} file(s) changed")
    return 0
