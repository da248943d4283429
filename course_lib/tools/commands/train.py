"""`course train --preset tiny`: tokenize the embedded corpus (cached) and train the course model."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
from pathlib import Path

NAME = "train"
HELP = "train the course Transformer on the embedded story corpus (presets: tiny, small, gpu)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="tiny", help="tiny (CPU, minutes), small, gpu (default: tiny)")
    parser.add_argument("--steps", type=int, help="override the preset's number of optimizer steps")
    parser.add_argument("--batch-size", type=int, help="override the preset's batch size")
    parser.add_argument("--lr", type=float, help="override the peak learning rate (the floor stays at 1/10)")
    parser.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="run folder (default: runs/<preset>)")
    parser.add_argument("--dry-run", action="store_true", help="print the configuration and budget, train nothing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for PyTorch (default: the free cores, 1 when the machine is busy)"
    )


def _shape(model) -> dict:
    """The config fields worth printing (no MoE fields for a dense model, no unset ones)."""
    shown = dataclasses.asdict(model)
    if not model.is_moe:
        for key in ("num_experts", "top_k", "capacity_factor"):
            shown.pop(key)
    return {k: v for k, v in shown.items() if v is not None}


def _budget_lines(preset, steps: int, batch: int) -> list[str]:
    from course_lib import accounting

    counts = accounting.parameter_counts(preset.model)
    seq = preset.model.context_length
    per_step = accounting.training_flops(preset.model, batch, seq)
    tokens = steps * batch * seq
    return [
        f"preset       {preset.name}: {preset.description}",
        f"model        {json.dumps(_shape(preset.model))}",
        f"parameters   {counts.total:,} ({counts.non_embedding:,} without the embedding table)",
        f"budget       {steps:,} steps x {batch} x {seq} tokens = {tokens:,} tokens; "
        f"{per_step * steps:.3g} FLOPs (6ND gives {accounting.six_n_d(counts.non_embedding, tokens):.3g})",
    ]


def _problems(args: argparse.Namespace) -> list[str]:
    from course_lib.tools.argcheck import device_problem, folder_problem, number_problem

    problems = [
        number_problem("--steps", args.steps, minimum=1),
        number_problem("--batch-size", args.batch_size, minimum=1),
        number_problem("--lr", args.lr, above=0, maximum=10),
        number_problem("--threads", args.threads, minimum=1, maximum=1024),
        device_problem("--device", args.device),
    ]
    if args.out is not None and not args.dry_run:
        problems.append(folder_problem("--out", args.out))
    return [p for p in problems if p]


def run(args: argparse.Namespace) -> int:
    from course_lib.tools.argcheck import report
    from course_lib.training.presets import PRESETS

    if report(_problems(args)):
        return 2
    if args.preset not in PRESETS:
        print(f"error: unknown preset {args.preset!r}; choose from {', '.join(PRESETS)}", file=sys.stderr)
        return 2
    preset = PRESETS[args.preset]
    overrides = {"seed": args.seed}
    if args.steps is not None:
        overrides |= {
            "max_steps": args.steps,
            "warmup_steps": min(preset.train.warmup_steps, max(args.steps // 10, 1)),
            "eval_interval": max(args.steps // 6, 10),
        }
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    if args.lr is not None:
        overrides |= {"max_lr": args.lr, "min_lr": args.lr / 10}
    try:
        config = dataclasses.replace(preset.train, **overrides)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(_budget_lines(preset, config.max_steps, config.batch_size)), flush=True)
    if args.dry_run:
        return 0
    return _train(preset, config, args)


def _train(preset, config, args: argparse.Namespace) -> int:
    import torch

    from course_lib import accounting
    from course_lib.env import pick_device, seed_everything
    from course_lib.model import TransformerLM
    from course_lib.training import bigram_loss, tokenized_corpus, train

    device = pick_device(args.device)
    threads_line = _configure_threads(args.threads, device)
    out: Path = args.out or Path("runs") / preset.name
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    corpus = tokenized_corpus(preset.model.vocab_size, preset.corpus_megabytes)
    if corpus.vocab_size != preset.model.vocab_size:
        raise RuntimeError(f"tokenizer has {corpus.vocab_size} ids, the model expects {preset.model.vocab_size}")
    prep = time.perf_counter() - start
    bigram = bigram_loss(corpus.train, corpus.val, corpus.vocab_size)
    print(
        f"corpus       {len(corpus.train):,} train / {len(corpus.val):,} validation tokens "
        f"({corpus.directory}, ready in {prep:.1f} s)"
    )
    print(
        f"baseline     bigram validation loss {bigram:.3f} nats/token; uniform {torch.log(torch.tensor(float(corpus.vocab_size))):.3f}"
    )
    print(
        f"device       {device}" + (f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""), flush=True
    )
    print(threads_line, flush=True)

    seed_everything(config.seed)
    model = TransformerLM.from_config(preset.model).to(device)
    print(_eta_line(model, config, corpus.train), flush=True)
    checkpoint = out / "model.pt"
    config = dataclasses.replace(config, checkpoint_path=str(checkpoint))
    result = train(model, corpus.train, corpus.val, config, progress=not args.no_progress)
    elapsed = time.perf_counter() - start
    train_time = result.loss_log[-1].elapsed_s if result.loss_log else 0.0

    tokenizer_dir = out / "tokenizer"
    tokenizer_dir.mkdir(exist_ok=True)
    for name in ("vocab.json", "merges.txt"):
        shutil.copyfile(corpus.directory / name, tokenizer_dir / name)
    summary = {
        "preset": preset.name,
        "bigram_val_loss": bigram,
        "final_val_loss": result.final_val_loss,
        "train_seconds": train_time,
        "total_seconds": elapsed,
        "device": str(device),
        **result.to_dict(),
    }
    (out / "loss_log.json").write_text(json.dumps(summary, indent=1))
    _plot(result, bigram, out / "loss_curve.png", f"course train --preset {preset.name}")

    tokens = config.max_steps * config.batch_size * preset.model.context_length
    flops = accounting.training_flops(preset.model, config.batch_size, preset.model.context_length) * config.max_steps
    print(
        f"result       validation loss {result.final_val_loss:.3f} vs bigram {bigram:.3f} "
        f"(ratio {result.final_val_loss / bigram:.2f})"
    )
    print(
        f"time         {train_time:.0f} s training, {elapsed:.0f} s in all; {tokens / max(train_time, 1e-9):,.0f} tokens/s"
    )
    if device.type == "cuda":
        gpu = accounting.gpu_spec(torch.cuda.get_device_name(0))
        dtype = "bf16" if config.precision == "bf16" else "tf32"
        if gpu is not None:
            print(
                f"MFU          {accounting.mfu(flops, train_time, gpu.peak_flops[dtype]):.1%} of {gpu.name}'s "
                f"{dtype} peak (includes evaluation time)"
            )
    print(f"saved        {checkpoint}, {out / 'loss_curve.png'}, {out / 'loss_log.json'}")
    print(f"next         course generate --checkpoint {checkpoint} --prompt 'Once upon a time'")
    return 0


def _configure_threads(threads: int | None, device) -> str:
    """Set PyTorch's CPU threads (the free cores unless ``--threads``); warn when the machine is busy."""
    from course_lib.env import busy_cores, configure_threads, default_threads

    busy = busy_cores()
    count = configure_threads(threads if threads else default_threads(busy))
    line = f"threads      {count} CPU thread(s); other processes use {busy:.1f} core(s)"
    if busy >= 0.5 and device.type == "cpu":
        print(
            f"warning: the machine is busy (other processes use {busy:.1f} of {os.cpu_count()} cores): training will be "
            f"slower than on an idle machine; the ETA below is measured at this load",
            file=sys.stderr,
            flush=True,
        )
    return line


def _eta_line(model, config, tokens) -> str:
    """The expected training time, from two timed steps of a copy of the model at the current load."""
    import copy

    import torch

    from course_lib.training import AdamW
    from course_lib.training.data import get_batch
    from course_lib.training.loop import lm_loss

    probe = copy.deepcopy(model)
    optimizer = AdamW(probe.parameters(), lr=1e-9)
    device = next(probe.parameters()).device
    context = config.context_length or probe.config.context_length
    x, y = get_batch(tokens, config.batch_size, context, device, torch.Generator().manual_seed(0))
    times = []
    for _ in range(3):  # the first step warms up the allocator and kernels; the best of the others counts
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        lm_loss(probe, x, y).backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    step = min(times[1:])
    evals = (config.max_steps // config.eval_interval if config.eval_interval else 0) + 1
    total = step * config.max_steps + evals * config.eval_batches * step / 3  # a forward is about 1/3 of a step
    return f"eta          about {total / 60:.1f} min ({step:.2f} s/step measured now, {evals} evaluations)"


def _plot(result, bigram: float, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=80)
    ax.plot([e.step for e in result.loss_log], result.train_losses, lw=0.8, alpha=0.6, label="train")
    steps, vals = zip(*result.val_curve, strict=True) if result.val_curve else ((), ())
    ax.plot(steps, vals, "o-", label="validation")
    ax.axhline(bigram, color="k", ls="--", lw=1, label=f"bigram baseline ({bigram:.2f})")
    ax.set(xlabel="step", ylabel="loss (nats/token)", title=title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
