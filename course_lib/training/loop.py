"""The training loop: AdamW, warm-up + cosine schedule, clipping, periodic evaluation, a loss log.

    result = train(model, train_tokens, val_tokens, TrainConfig(max_steps=200, batch_size=16))
    result.final_val_loss, result.loss_log[-1]

Every random choice comes from one ``torch.Generator`` (seeded by ``TrainConfig.seed``) that the
checkpoints save, so a run resumed from a checkpoint is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.training.checkpoint import load_checkpoint, save_checkpoint
from course_lib.training.data import get_batch
from course_lib.training.optim import AdamW, clip_grad_norm_, param_groups
from course_lib.training.schedule import cosine_schedule

__all__ = ["TrainConfig", "LogEntry", "TrainResult", "train", "train_step", "evaluate", "lm_loss"]


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of a run. ``context_length=None`` uses the model's; ``lr_decay_steps=None``
    decays over ``max_steps``; ``eval_interval=0`` evaluates only at the end; ``precision`` is
    ``"fp32"`` or ``"bf16"`` (autocast, fp32 master weights)."""

    max_steps: int = 1000
    batch_size: int = 32
    context_length: int | None = None
    max_lr: float = 3e-3
    min_lr: float = 3e-4
    warmup_steps: int = 50
    lr_decay_steps: int | None = None
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    grad_clip: float = 1.0
    eval_interval: int = 100
    eval_batches: int = 8
    aux_loss_coef: float = 0.01
    precision: str = "fp32"
    seed: int = 0
    checkpoint_path: str | None = None
    checkpoint_interval: int = 0

    def __post_init__(self) -> None:
        if self.max_steps < 0 or self.batch_size < 1:
            raise ValueError(f"need max_steps >= 0 and batch_size >= 1, got {self.max_steps}, {self.batch_size}")
        if not 0 <= self.warmup_steps <= (self.lr_decay_steps or self.max_steps):
            raise ValueError(
                f"need 0 <= warmup_steps <= lr_decay_steps (or max_steps), got warmup_steps={self.warmup_steps}"
            )
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")


@dataclass(frozen=True)
class LogEntry:
    """One optimizer step: training loss (before the update), learning rate, gradient norm, and the
    validation loss when this step was evaluated (else ``None``)."""

    step: int
    train_loss: float
    lr: float
    grad_norm: float
    tokens: int
    elapsed_s: float
    val_loss: float | None = None


@dataclass
class TrainResult:
    """The loss log of a run. ``step`` is the number of optimizer steps taken in total."""

    loss_log: list[LogEntry] = field(default_factory=list)
    step: int = 0

    @property
    def train_losses(self) -> list[float]:
        return [e.train_loss for e in self.loss_log]

    @property
    def val_curve(self) -> list[tuple[int, float]]:
        """``(step, val_loss)`` at each evaluation."""
        return [(e.step, e.val_loss) for e in self.loss_log if e.val_loss is not None]

    @property
    def final_val_loss(self) -> float | None:
        curve = self.val_curve
        return curve[-1][1] if curve else None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "loss_log": [asdict(e) for e in self.loss_log]}


def lm_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of ``model(x)`` (batch, seq, vocab) against ``y`` (batch, seq)."""
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1))


def _autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(
    model: nn.Module,
    tokens: npt.NDArray[np.integer],
    batch_size: int,
    context_length: int,
    num_batches: int = 8,
    seed: int = 0,
    precision: str = "fp32",
) -> float:
    """Mean loss over ``num_batches`` random batches drawn with a fresh generator seeded by ``seed``
    (the same batches at every call, so successive evaluations are comparable)."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    losses = []
    for _ in range(num_batches):
        x, y = get_batch(tokens, batch_size, context_length, device, gen)
        with _autocast(device, precision):
            losses.append(lm_loss(model, x, y).item())
    model.train(was_training)
    return float(np.mean(losses))


def train_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, lr: float, config: TrainConfig
) -> tuple[float, float]:
    """One optimizer step on the batch ``x``, ``y`` (batch, seq) at learning rate ``lr``: forward (in
    ``config.precision``, plus the router's auxiliary loss for a mixture of experts), backward, clipping
    to ``config.grad_clip``, update. Returns the training loss before the update and the gradient norm
    before clipping (0 when ``grad_clip`` is 0)."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    is_moe = bool(getattr(getattr(model, "config", None), "is_moe", False))
    with _autocast(x.device, config.precision):
        loss = lm_loss(model, x, y)
        total = loss + config.aux_loss_coef * model.aux_loss() if is_moe else loss
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    grad_norm = clip_grad_norm_(model.parameters(), config.grad_clip) if config.grad_clip else torch.zeros(())
    optimizer.step()
    return loss.item(), float(grad_norm)


def _evaluate_and_checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    gen: torch.Generator,
    val_tokens: npt.NDArray[np.integer] | None,
    context: int,
    config: TrainConfig,
    step: int,
) -> float | None:
    """After optimizer step ``step``: the validation loss on evaluation steps (every ``eval_interval``
    and the last; else ``None``), and a checkpoint every ``checkpoint_interval`` steps (the last one is
    written by :func:`_save` when the loop ends)."""
    last = step == config.max_steps
    val_loss = None
    if val_tokens is not None and (last or (config.eval_interval and step % config.eval_interval == 0)):
        val_loss = evaluate(
            model, val_tokens, config.batch_size, context, config.eval_batches, config.seed + 1, config.precision
        )
    if config.checkpoint_interval and step % config.checkpoint_interval == 0 and not last:
        _save(model, optimizer, gen, config, step)
    return val_loss


def _save(
    model: nn.Module, optimizer: torch.optim.Optimizer, gen: torch.Generator, config: TrainConfig, step: int
) -> None:
    """Write ``config.checkpoint_path`` (if set): weights, optimizer, the batch sampler's state, the config."""
    if config.checkpoint_path:
        extra = {"train_config": asdict(config)}
        save_checkpoint(config.checkpoint_path, model, optimizer, step=step, generators={"batches": gen}, extra=extra)


def train(
    model: nn.Module,
    train_tokens: npt.NDArray[np.integer],
    val_tokens: npt.NDArray[np.integer] | None,
    config: TrainConfig,
    *,
    progress: bool = True,
    resume_from: str | Path | None = None,
) -> TrainResult:
    """Train ``model`` (a :class:`~course_lib.model.TransformerLM`, on its current device) in place.

    Runs optimizer steps (:func:`train_step`) until ``config.max_steps`` in total (counting those of the
    checkpoint in ``resume_from``), evaluates every ``eval_interval`` steps and at the end on
    ``val_tokens``, and writes ``checkpoint_path`` every ``checkpoint_interval`` steps and at the end.
    """
    device = next(model.parameters()).device
    context = config.context_length or model.config.context_length
    decay_steps = config.lr_decay_steps or config.max_steps
    optimizer = AdamW(param_groups(model, config.weight_decay), lr=config.max_lr, betas=config.betas, eps=config.eps)
    gen = torch.Generator().manual_seed(config.seed)
    step = 0
    if resume_from is not None:
        step = load_checkpoint(resume_from, model, optimizer, generators={"batches": gen}).step
    result = TrainResult(step=step)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.max_steps, initial=step, desc="training", unit="step")
    start = time.perf_counter()
    model.train()
    while step < config.max_steps:
        lr = cosine_schedule(step, config.max_lr, config.min_lr, config.warmup_steps, decay_steps)
        x, y = get_batch(train_tokens, config.batch_size, context, device, gen)
        train_loss, grad_norm = train_step(model, optimizer, x, y, lr, config)
        step += 1
        if not math.isfinite(train_loss):
            raise FloatingPointError(f"training diverged: loss is {train_loss} at step {step} (lower max_lr?)")
        val_loss = _evaluate_and_checkpoint(model, optimizer, gen, val_tokens, context, config, step)
        tokens = step * config.batch_size * context
        result.loss_log.append(LogEntry(step, train_loss, lr, grad_norm, tokens, time.perf_counter() - start, val_loss))
        result.step = step
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{train_loss:.3f}", **({"val": f"{val_loss:.3f}"} if val_loss is not None else {}))
    if bar is not None:
        bar.close()
    _save(model, optimizer, gen, config, step)
    return result
