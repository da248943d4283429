"""`course align`: SFT the course base model and run GRPO on the verifiable task; writes the runs
that lecture 10 loads (course_lib/alignment/runs/)."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "align"
HELP = "SFT the base model and run GRPO on arithmetic (the committed runs of lecture 10)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="output folder (default: course_lib/alignment/runs)")
    parser.add_argument("--quick", action="store_true", help="a few steps of each run, to check the pipeline")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (default: 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import torch

    from course_lib.alignment.runs import RUNS_DIR, run_alignment

    torch.set_num_threads(args.threads)
    out = args.out or RUNS_DIR
    log = run_alignment(out, quick=args.quick, progress=not args.no_progress)
    sft = log["sft"]
    print(
        f"SFT: accuracy {sft['accuracy_before']['all']:.2f} -> {sft['accuracy_after']['all']:.2f} "
        f"({sft['steps']} steps, {sft['seconds']:.0f} s)"
    )
    for name in ("grpo", "grpo_no_std"):
        evals = [e["eval"] for e in log[name]["log"] if "eval" in e]
        print(f"{name}: held-out arithmetic accuracy {evals[0]:.2f} -> {evals[-1]:.2f} ({log[name]['seconds']:.0f} s)")
    print(f"wrote {out}")
    return 0
