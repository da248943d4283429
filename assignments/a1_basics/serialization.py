"""Assignment 1, part 2: checkpoints that resume training exactly and load without running code."""

from __future__ import annotations

import os
from typing import IO, BinaryIO

import torch
from torch import nn


def save_checkpoint(
    model: nn.Module, optimizer: torch.optim.Optimizer, step: int, out: str | os.PathLike | BinaryIO | IO[bytes]
) -> None:
    """Write the model's and the optimizer's state dicts and ``step`` to ``out`` with ``torch.save``.

    Save only tensors, numbers, strings and plain containers (state dicts are), so that
    ``torch.load(out, weights_only=True)`` can read it back: that loader refuses pickled code.
    """
    # TODO(a1_basics): one dict with "model", "optimizer" and "step"
    raise NotImplementedError("a1_basics: `save_checkpoint` is not implemented yet (a1_basics/serialization.py)")


def load_checkpoint(
    src: str | os.PathLike | BinaryIO | IO[bytes], model: nn.Module, optimizer: torch.optim.Optimizer
) -> int:
    """Restore ``model`` and ``optimizer`` from ``src`` (with ``weights_only=True``); return the step."""
    # TODO(a1_basics): torch.load(..., weights_only=True), then load_state_dict on both
    raise NotImplementedError("a1_basics: `load_checkpoint` is not implemented yet (a1_basics/serialization.py)")
