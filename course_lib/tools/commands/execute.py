"""`course execute [NOTEBOOK ...]`: re-run notebooks in place on a fresh kernel, timing each."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "execute"
HELP = "re-execute notebooks in place, top to bottom on a fresh kernel, and print each one's wall time"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--no-write", action="store_true", help="run and time only; leave the files as they are")
    parser.add_argument("--cell-timeout", type=int, default=600, help="seconds one cell may run (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    from course_lib.tools.notebooks import BUDGET_SECONDS, execute_notebook
    from course_lib.tools.paths import repo_root

    if args.cell_timeout < 1:
        print(f"error: --cell-timeout must be at least 1 second, got {args.cell_timeout}", file=sys.stderr)
        return 2
    paths = args.notebooks or sorted((repo_root() / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    if not paths:
        print("no notebooks to execute", file=sys.stderr)
        return 1
    failed = over = 0
    total = 0.0
    for path in paths:
        print(f"{path} ...", end=" ", flush=True)
        try:
            result = execute_notebook(path, cell_timeout=args.cell_timeout, write=not args.no_write)
        except (FileNotFoundError, ValueError) as exc:
            failed += 1
            print(f"FAILED: {exc}")
            continue
        total += result.seconds
        if result.error:
            failed += 1
            print(f"FAILED after {result.seconds:.1f} s: {result.error}")
        elif result.over_budget:
            over += 1
            print(f"{result.seconds:.1f} s  OVER the {BUDGET_SECONDS:.0f} s budget")
        else:
            print(f"{result.seconds:.1f} s")
    print(f"{len(paths)} notebook(s), {total:.1f} s in all; {failed} failed, {over} over budget")
    return 1 if failed or over else 0
