"""`course pretrain`: train the course's shipped models (``base``, ``draft``) and write them into
``course_lib/pretrained/`` (or ``--out``). Deterministic for a seed and a thread count."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

NAME = "pretrain"
HELP = "rebuild the course's shipped base and draft models (course_lib/pretrained/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", choices=("base", "draft", "all"), default="all", help="which model (default: all)")
    parser.add_argument("--out", type=Path, help="parent folder to write NAME/ into (default: course_lib/pretrained)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads (default 1: the shipped models were trained so; same threads, same bits)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        help="train this many steps instead of the preset's (a smoke test; the shipped models use the preset's)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    if args.threads < 1 or (args.steps is not None and args.steps < 1):
        print(f"error: --threads and --steps must be at least 1, got {args.threads} and {args.steps}", file=sys.stderr)
        return 2
    import torch

    from course_lib import accounting
    from course_lib.env import seed_everything
    from course_lib.model import TransformerLM
    from course_lib.pretrained import NAMES, pretrained_dir, save_pretrained
    from course_lib.tools.commands.train import _plot
    from course_lib.training import PRESETS, bigram_loss, tokenized_corpus, train

    torch.set_num_threads(args.threads)
    names = NAMES if args.name == "all" else (args.name,)
    for name in names:
        preset = PRESETS[name]
        config = preset.train
        if args.steps is not None:
            config = dataclasses.replace(
                config, max_steps=args.steps, warmup_steps=min(config.warmup_steps, args.steps)
            )
        out = (args.out / name) if args.out else pretrained_dir(name)
        corpus = tokenized_corpus(preset.model.vocab_size, preset.corpus_megabytes)
        bigram = bigram_loss(corpus.train, corpus.val, corpus.vocab_size)
        seed_everything(preset.train.seed)
        model = TransformerLM.from_config(preset.model)
        counts = accounting.parameter_counts(preset.model)
        print(
            f"{name}: {counts.total:,} parameters; {config.max_steps} steps x {config.batch_size} x "
            f"{preset.model.context_length} tokens; {args.threads} thread(s)",
            flush=True,
        )
        start = time.perf_counter()
        result = train(model, corpus.train, corpus.val, config, progress=not args.no_progress)
        seconds = time.perf_counter() - start
        info = {
            "name": name,
            "command": f"course pretrain --name {name} --threads {args.threads}"
            + (f" --steps {args.steps}" if args.steps is not None else ""),
            "description": preset.description,
            "corpus": {
                "megabytes": preset.corpus_megabytes,
                "train_tokens": len(corpus.train),
                "val_tokens": len(corpus.val),
                "source": "course_lib.corpora.embedded_corpus",
            },
            "train_config": dataclasses.asdict(config),
            "parameters": counts.total,
            "non_embedding_parameters": counts.non_embedding,
            "tokens": config.max_steps * config.batch_size * preset.model.context_length,
            "threads": args.threads,
            "torch": torch.__version__,
            "train_seconds": round(seconds, 1),
            "bigram_val_loss": bigram,
            "final_val_loss": result.final_val_loss,
            **result.to_dict(),
        }
        save_pretrained(out, model, corpus.directory, info)
        _plot(result, bigram, out / "loss_curve.png", f"course pretrain --name {name}")
        print(
            f"{name}: validation loss {result.final_val_loss:.3f} (bigram {bigram:.3f}) in {seconds:.0f} s -> {out}",
            flush=True,
        )
    return 0
