"""`course sweep`: run (or resume) the course's scaling sweep and write its results as JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "sweep"
HELP = "run or resume lecture 06's scaling sweep (tiny course Transformers at 4 FLOP budgets; about 4 minutes on an idle 2-core CPU)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, help="results file (default: the committed course_lib/scaling/data/course_sweep.json)"
    )
    parser.add_argument("--list", action="store_true", help="print the runs and their status, train nothing")
    parser.add_argument("--no-lr", action="store_true", help="skip the learning-rate sweep")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import json

    from course_lib.scaling.sweep import SWEEP, SWEEP_PATH, lr_runs, run_sweep, sweep_runs

    path = args.out or SWEEP_PATH
    if args.list:
        done: set[tuple[str, str]] = set()
        if path.is_file():
            data = json.loads(path.read_text())
            done = {(key, r["name"]) for key in ("runs", "lr_runs") for r in data.get(key, [])}
        for key, runs in (("runs", sweep_runs(SWEEP)), ("lr_runs", lr_runs(SWEEP))):
            for r in runs:
                print(f"{key:7s} {r.name:24s} {r.steps:5d} steps  {'done' if (key, r.name) in done else 'todo'}")
        return 0
    try:
        data = run_sweep(path, SWEEP, include_lr=not args.no_lr, progress=not args.no_progress)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    print(f"{len(data['runs'])} runs and {len(data['lr_runs'])} learning-rate runs in {path}")
    return 0
