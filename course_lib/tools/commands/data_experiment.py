"""`course data-experiment`: train the same small model on raw and on cleaned crawl text at equal
tokens and compare validation loss on clean held-out text (lecture 07)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "data-experiment"
HELP = "lecture 07: raw vs filtered crawl, same model and tokens, validation loss on clean text"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pages", type=int, default=1200, help="crawl size in pages (default 1200)")
    parser.add_argument("--steps", type=int, default=600, help="optimizer steps per run (default 600)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (default 1)")
    parser.add_argument("--out", type=Path, help="write the result as JSON here")


def run(args: argparse.Namespace) -> int:
    import torch

    from course_lib.data.experiment import run_experiment

    torch.set_num_threads(args.threads)
    result = run_experiment(args.pages, args.steps, args.seed)
    result["command"] = (
        f"course data-experiment --pages {args.pages} --steps {args.steps} --seed {args.seed} --threads {args.threads}"
    )
    for name in ("raw", "filtered"):
        r = result[name]
        print(
            f"{name:9s} {r['documents']:5d} docs {r['bytes']:9,d} bytes   val loss {r['final_val_loss']:.3f} "
            f"nats/byte after {r['tokens']:,} tokens"
        )
    print(f"seconds   {result['seconds']:.0f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out}")
    return 0
