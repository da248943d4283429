"""`course doctor`: what this machine is and whether the notebooks can run on it."""

from __future__ import annotations

import argparse

NAME = "doctor"
HELP = "check the environment: versions, device, cores, memory, Triton mode, and a verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    from course_lib.env import describe

    report = describe()
    print("\n".join(report.lines()))
    return 0 if report.ok else 1
