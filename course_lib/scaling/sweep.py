"""The course's own scaling sweep: the course Transformer at tiny widths and a few FLOP budgets.

Every run trains :class:`~course_lib.model.TransformerLM` with :func:`course_lib.training.train`
(AdamW, warm-up + cosine decay over the run's own length) on the embedded stories, for as many
steps as its FLOP budget buys (FLOPs from :func:`course_lib.accounting.training_flops`), and
records its configuration, parameters (with and without the embedding table), FLOPs, tokens, final
validation loss and loss curve. :func:`run_sweep` writes the results to one JSON file after each
run and skips the runs already in it, so an interrupted sweep resumes where it stopped::

    course sweep                       # regenerates course_lib/scaling/data/course_sweep.json
    runs = load_sweep()["runs"]

Runs are deterministic for a seed (one CPU thread); only ``wall_s`` depends on the machine.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.model.config import ModelConfig

__all__ = [
    "SweepSpec",
    "RunSpec",
    "SWEEP",
    "SWEEP_PATH",
    "sweep_runs",
    "lr_runs",
    "train_run",
    "run_sweep",
    "load_sweep",
]

SWEEP_PATH = Path(__file__).parent / "data" / "course_sweep.json"
"""Where ``course sweep`` writes (and the notebook reads) the committed sweep."""


@dataclass(frozen=True)
class SweepSpec:
    """The grid: model widths (``num_layers`` fixed, ``d_model / 8`` heads, ``d_ff = 3 d_model``),
    FLOP budgets, and the step window a run must fall in (shorter runs are noise, longer ones would
    repeat the corpus). The learning-rate sweep trains ``lr_widths`` at ``lr_budget`` with each of
    ``lr_values``."""

    widths: tuple[int, ...] = (8, 12, 16, 24, 32, 48, 64, 96, 128)
    budgets: tuple[float, ...] = (3e10, 1e11, 3e11, 1e12)
    num_layers: int = 2
    vocab_size: int = 512
    context_length: int = 64
    batch_size: int = 16
    corpus_megabytes: float = 4.0
    min_steps: int = 40
    max_steps: int = 1700
    max_lr: float = 3e-2
    lr_widths: tuple[int, ...] = (24, 64)
    lr_budget: float = 1e11
    lr_values: tuple[float, ...] = (3e-3, 1e-2, 3e-2, 1e-1)
    final_eval_batches: int = 32
    curve_points: int = 40
    seed: int = 0

    def model_config(self, width: int) -> ModelConfig:
        return ModelConfig(
            vocab_size=self.vocab_size,
            context_length=self.context_length,
            d_model=width,
            num_layers=self.num_layers,
            num_heads=max(width // 8, 1),
            d_ff=3 * width,
        )


SWEEP = SweepSpec()
"""The committed sweep's grid."""


@dataclass(frozen=True)
class RunSpec:
    """One run: a width, a budget (FLOPs), the steps that budget buys and the peak learning rate."""

    width: int
    budget: float
    steps: int
    max_lr: float

    @property
    def name(self) -> str:
        return f"d{self.width}-C{self.budget:.0e}-lr{self.max_lr:g}"


def _steps(spec: SweepSpec, width: int, budget: float) -> int:
    from course_lib.accounting import training_flops

    per_step = training_flops(spec.model_config(width), spec.batch_size, spec.context_length)
    return int(round(budget / per_step))


def sweep_runs(spec: SweepSpec = SWEEP) -> list[RunSpec]:
    """The main grid: every (width, budget) whose step count lies in ``[min_steps, max_steps]``,
    budgets ascending, widths ascending."""
    runs = []
    for budget in spec.budgets:
        for width in spec.widths:
            steps = _steps(spec, width, budget)
            if spec.min_steps <= steps <= spec.max_steps:
                runs.append(RunSpec(width, budget, steps, spec.max_lr))
    return runs


def lr_runs(spec: SweepSpec = SWEEP) -> list[RunSpec]:
    """The learning-rate sweep: ``lr_widths`` x ``lr_values`` at ``lr_budget``."""
    return [
        RunSpec(w, spec.lr_budget, _steps(spec, w, spec.lr_budget), lr) for w in spec.lr_widths for lr in spec.lr_values
    ]


def _downsample(values: list[float], points: int) -> list[tuple[int, float]]:
    """``(last step of the window, mean)`` over ``points`` equal windows of a per-step series."""
    n = len(values)
    edges = np.linspace(0, n, min(points, n) + 1).round().astype(int)
    return [(int(b), float(np.mean(values[a:b]))) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def train_run(run: RunSpec, spec: SweepSpec = SWEEP, corpus: Any = None, *, progress: bool = False) -> dict[str, Any]:
    """Train one run from scratch (seeded by ``spec.seed``) and return its record.

    The record holds the model config, ``params`` / ``params_non_embedding``, ``steps``, ``tokens``,
    ``flops`` (accounting's count) and ``flops_6nd`` (``6 N D`` with the non-embedding ``N``),
    ``final_loss`` (validation loss over ``final_eval_batches`` batches), ``train_curve``
    (``[step, tokens, flops, mean training loss]``, ``curve_points`` windows), ``val_curve``
    (``[step, validation loss]``, 8 evaluations) and ``wall_s``. It trains on one thread (the
    caller's thread count is restored after), so a run reproduces its committed record bit for bit.
    """
    import torch

    from course_lib.accounting import parameter_counts, six_n_d, training_flops
    from course_lib.model import TransformerLM
    from course_lib.training import TrainConfig, evaluate, tokenized_corpus, train

    if run.steps < 1:
        raise ValueError(f"run {run.name} has {run.steps} steps")
    corpus = corpus or tokenized_corpus(spec.vocab_size, spec.corpus_megabytes)
    config = spec.model_config(run.width)
    tokens_per_step = spec.batch_size * spec.context_length
    if run.steps * tokens_per_step > len(corpus.train):
        raise ValueError(
            f"run {run.name} needs {run.steps * tokens_per_step:,} tokens; the corpus has {len(corpus.train):,}"
        )
    torch.manual_seed(spec.seed)
    model = TransformerLM.from_config(config)
    train_config = TrainConfig(
        max_steps=run.steps,
        batch_size=spec.batch_size,
        context_length=spec.context_length,
        max_lr=run.max_lr,
        min_lr=run.max_lr / 10,
        warmup_steps=min(max(run.steps // 20, 5), run.steps),
        eval_interval=max(run.steps // 8, 1),
        eval_batches=4,
        seed=spec.seed,
    )
    # One thread, as the committed sweep ran: more threads sum the matmuls in another order, and the
    # losses would differ in their last digits from the committed curves.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        result = train(model, corpus.train, corpus.val, train_config, progress=progress)
        final = evaluate(
            model, corpus.val, spec.batch_size, spec.context_length, spec.final_eval_batches, seed=spec.seed + 1
        )
        wall = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    counts = parameter_counts(config)
    per_step = training_flops(config, spec.batch_size, spec.context_length)
    curve = _downsample(result.train_losses, spec.curve_points)
    return {
        "name": run.name,
        "width": run.width,
        "budget": run.budget,
        "max_lr": run.max_lr,
        "model": config.to_dict(),
        "batch_size": spec.batch_size,
        "context_length": spec.context_length,
        "params": counts.total,
        "params_non_embedding": counts.non_embedding,
        "steps": run.steps,
        "tokens": run.steps * tokens_per_step,
        "flops": run.steps * per_step,
        "flops_6nd": six_n_d(counts.non_embedding, run.steps * tokens_per_step),
        "final_loss": final,
        "train_curve": [[s, s * tokens_per_step, s * per_step, loss] for s, loss in curve],
        "val_curve": [[s, v] for s, v in result.val_curve],
        "wall_s": wall,
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def run_sweep(
    path: str | Path = SWEEP_PATH, spec: SweepSpec = SWEEP, *, include_lr: bool = True, progress: bool = True
) -> dict[str, Any]:
    """Run every run of ``spec`` not yet recorded in ``path`` and return the full results.

    The file is rewritten (atomically) after each run, so killing the sweep loses at most the run in
    progress; a file written for a different ``spec`` is an error rather than silently mixed. The
    progress bar counts FLOPs.
    """
    path = Path(path)
    spec_dict = json.loads(json.dumps(asdict(spec)))
    if path.is_file():
        data = json.loads(path.read_text())
        if data.get("spec") != spec_dict:
            raise ValueError(f"{path} holds a sweep with a different spec; move it away or pass another path")
    else:
        data = {"spec": spec_dict, "command": "course sweep", "runs": [], "lr_runs": []}
    todo = [("runs", r) for r in sweep_runs(spec)] + ([("lr_runs", r) for r in lr_runs(spec)] if include_lr else [])
    done = {(key, rec["name"]) for key in ("runs", "lr_runs") for rec in data[key]}
    todo = [(key, r) for key, r in todo if (key, r.name) not in done]
    if todo:
        from tqdm.auto import tqdm

        from course_lib.training import tokenized_corpus

        corpus = tokenized_corpus(spec.vocab_size, spec.corpus_megabytes)
        bar = tqdm(
            total=sum(r.budget for _, r in todo), desc="sweep", unit="FLOP", unit_scale=True, disable=not progress
        )
        for key, run in todo:
            bar.set_postfix_str(run.name)
            data[key].append(train_run(run, spec, corpus))
            data[key].sort(key=lambda rec: (rec["budget"], rec["width"], rec["max_lr"]))
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, data)
            bar.update(run.budget)
        bar.close()
    return data


def load_sweep(path: str | Path = SWEEP_PATH) -> dict[str, Any]:
    """The sweep results written by :func:`run_sweep` (``spec``, ``runs``, ``lr_runs``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no sweep results at {path}; run `course sweep` to produce them")
    return json.loads(path.read_text())
