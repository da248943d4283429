"""`course generate --checkpoint PATH --prompt TEXT`: sample from a trained model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "generate"
HELP = "sample text from a checkpoint written by `course train` (temperature, top-p)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, required=True, help="e.g. runs/tiny/model.pt")
    parser.add_argument("--prompt", default="", help="text to continue (default: start a new story)")
    parser.add_argument("--max-new-tokens", type=int, default=120)
    parser.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--num-samples", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tokenizer", type=Path, help="folder with vocab.json + merges.txt (default: next to the checkpoint)"
    )
    parser.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for PyTorch (default: the free cores, 1 when the machine is busy)"
    )


def _problems(args: argparse.Namespace) -> list[str]:
    from course_lib.tools.argcheck import device_problem, number_problem, text_problem

    problems = [
        number_problem("--temperature", args.temperature, minimum=0),
        number_problem("--top-p", args.top_p, above=0, maximum=1),
        number_problem("--max-new-tokens", args.max_new_tokens, minimum=1, maximum=1_000_000),
        number_problem("--num-samples", args.num_samples, minimum=1, maximum=10_000),
        text_problem("--prompt", args.prompt),
        device_problem("--device", args.device),
        number_problem("--threads", args.threads, minimum=1, maximum=1024),
    ]
    return [p for p in problems if p]


def run(args: argparse.Namespace) -> int:
    import torch

    from course_lib.corpora import EOT
    from course_lib.env import configure_threads, pick_device
    from course_lib.inference import generate
    from course_lib.tools.argcheck import report
    from course_lib.training import load_model, load_tokenizer

    if report(_problems(args)):
        return 2
    tokenizer_dir = args.tokenizer or args.checkpoint.parent / "tokenizer"
    for path, what in ((args.checkpoint, "checkpoint"), (tokenizer_dir / "vocab.json", "tokenizer")):
        if not path.is_file():
            print(f"error: no {what} at {path} (run `course train` first, or pass --tokenizer)", file=sys.stderr)
            return 2
    device = pick_device(args.device)
    configure_threads(args.threads)
    try:
        model, _ = load_model(args.checkpoint, device)
        tokenizer = load_tokenizer(tokenizer_dir)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    eot = tokenizer.special_ids[EOT]
    prompt_ids = [eot] + tokenizer.encode(args.prompt)  # a document starts after an end-of-text
    generator = torch.Generator(device=device).manual_seed(args.seed)
    ids = torch.tensor([prompt_ids] * args.num_samples, device=device)
    out = generate(
        model, ids, args.max_new_tokens, temperature=args.temperature, top_p=args.top_p, eos_id=eot, generator=generator
    )
    for i, row in enumerate(out.tolist()):
        new = row[len(prompt_ids) :]
        if eot in new:
            new = new[: new.index(eot)]
        if args.num_samples > 1:
            print(f"--- sample {i + 1}")
        print(args.prompt + tokenizer.decode(new))
    return 0
