"""Models and data shared by the parallelism tests (library: test_parallel.py; assignment 2 part 2).

Everything is float64, so a parallel run and its single-process reference differ only in the order
of floating-point additions.
"""

from __future__ import annotations

import torch
from torch import nn

BATCH = 8
"""Examples per global batch (each of 2 ranks gets half)."""


class TiedLM(nn.Module):
    """A tiny language model whose embedding and output head share one weight."""

    def __init__(self, vocab: int = 11, d: int = 8) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.mid = nn.Linear(d, d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.mid(self.embed(ids))))


def make_model(kind: str) -> nn.Module:
    """``"mlp"`` (6 -> 4 classes) or ``"tied"`` (:class:`TiedLM`), seeded, in float64."""
    torch.manual_seed(0)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4)).double()
    return TiedLM().double()


def batch(kind: str, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The global batch of ``step`` for a model of ``kind``: inputs and targets."""
    g = torch.Generator().manual_seed(1000 + step)
    if kind == "mlp":
        return torch.randn(BATCH, 6, generator=g, dtype=torch.float64), torch.randint(0, 4, (BATCH,), generator=g)
    ids = torch.randint(0, 11, (BATCH, 5), generator=g)
    return ids, torch.roll(ids, -1, dims=1)


def loss_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``model(x)`` against ``y`` (any leading shape)."""
    logits = model(x)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
