"""`course eval-ladder`: retrain the small checkpoints lecture 09 compares with the base model."""

from __future__ import annotations

import argparse

NAME = "eval-ladder"
HELP = "retrain lecture 09's small comparison checkpoints (course_lib/evaluation/checkpoints/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", action="append", help="train only this checkpoint (repeatable)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (default: 1)")


def run(args: argparse.Namespace) -> int:
    import torch

    from course_lib.evaluation.ladder import LADDER, train_ladder_model

    torch.set_num_threads(args.threads)
    for name in args.only or list(LADDER):
        folder = train_ladder_model(name, progress=False)
        print(f"{name}: wrote {folder}")
    return 0
