"""Tensor parallelism (Megatron-LM): split each weight matrix of an MLP over the ranks.

An MLP ``y = act(x A) B`` is split with ``A`` by *columns* and ``B`` by *rows*: rank ``r`` holds
``A_r`` (``d_ff/N`` output features) and ``B_r`` (the matching ``d_ff/N`` input features), computes
``act(x A_r) B_r`` with no communication in between (the activation acts elementwise on its own
columns), and the partial outputs are summed over ranks. Megatron names the two conjugate operators:

* ``f`` before the column-parallel layer: identity forward, all-reduce of the input's gradient backward;
* ``g`` after the row-parallel layer: all-reduce forward, identity backward.

So one MLP costs one all-reduce of the activations ``(batch, seq, d_model)`` forward and one backward.
A :class:`~course_lib.parallel.collectives.CommCounter` passed to the layers records them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.distributed as dist
from torch import nn

from course_lib.parallel.collectives import CommCounter

__all__ = ["copy_to_parallel", "reduce_from_parallel", "ColumnParallelLinear", "RowParallelLinear", "TensorParallelMLP"]


class _CopyToParallel(torch.autograd.Function):
    """Megatron's ``f``: identity forward, all-reduce backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, counter: CommCounter | None) -> torch.Tensor:  # type: ignore[override]
        ctx.counter = counter
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        if ctx.counter is not None:
            ctx.counter.add("all_reduce backward", grad)
        return grad, None


class _ReduceFromParallel(torch.autograd.Function):
    """Megatron's ``g``: all-reduce forward, identity backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, counter: CommCounter | None) -> torch.Tensor:  # type: ignore[override]
        out = x.contiguous().clone()
        dist.all_reduce(out)
        if counter is not None:
            counter.add("all_reduce forward", out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return grad, None


def copy_to_parallel(x: torch.Tensor, counter: CommCounter | None = None) -> torch.Tensor:
    """``f``: pass ``x`` to the ranks' column shards; its gradient is summed over ranks in backward."""
    return _CopyToParallel.apply(x, counter)


def reduce_from_parallel(x: torch.Tensor, counter: CommCounter | None = None) -> torch.Tensor:
    """``g``: sum the ranks' partial results; the gradient passes through unchanged."""
    return _ReduceFromParallel.apply(x, counter)


def _shard(size: int, what: str) -> tuple[int, int]:
    world, rank = dist.get_world_size(), dist.get_rank()
    if size % world:
        raise ValueError(f"{what} = {size} is not divisible by the world size {world}")
    part = size // world
    return rank * part, part


class ColumnParallelLinear(nn.Module):
    """``x W^T + b`` with ``W``'s output features (rows of ``W``, columns of ``A = W^T``) split over ranks.

    x: (..., in_features), the full input on every rank -> (..., out_features / N), this rank's columns.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, counter: CommCounter | None = None
    ) -> None:
        super().__init__()
        _, part = _shard(out_features, "out_features")
        self.weight = nn.Parameter(torch.empty(part, in_features))
        self.bias = nn.Parameter(torch.zeros(part)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        self.counter = counter

    @classmethod
    def from_dense(cls, dense: nn.Linear, counter: CommCounter | None = None) -> ColumnParallelLinear:
        """This rank's shard of ``dense`` (same on every rank), so the parallel layer equals it."""
        layer = cls(dense.in_features, dense.out_features, dense.bias is not None, counter).to(dense.weight)
        start, part = _shard(dense.out_features, "out_features")
        with torch.no_grad():
            layer.weight.copy_(dense.weight[start : start + part])
            if layer.bias is not None:
                layer.bias.copy_(dense.bias[start : start + part])
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(copy_to_parallel(x, self.counter), self.weight, self.bias)


class RowParallelLinear(nn.Module):
    """``x W^T + b`` with ``W``'s input features split over ranks; the partial products are all-reduced.

    x: (..., in_features / N), this rank's slice -> (..., out_features), the full output on every rank.
    The bias is added once, after the reduction.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, counter: CommCounter | None = None
    ) -> None:
        super().__init__()
        _, part = _shard(in_features, "in_features")
        self.weight = nn.Parameter(torch.empty(out_features, part))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        self.counter = counter

    @classmethod
    def from_dense(cls, dense: nn.Linear, counter: CommCounter | None = None) -> RowParallelLinear:
        """This rank's shard of ``dense`` (same on every rank), so the parallel layer equals it."""
        layer = cls(dense.in_features, dense.out_features, dense.bias is not None, counter).to(dense.weight)
        start, part = _shard(dense.in_features, "in_features")
        with torch.no_grad():
            layer.weight.copy_(dense.weight[:, start : start + part])
            if layer.bias is not None:
                layer.bias.copy_(dense.bias)
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = reduce_from_parallel(nn.functional.linear(x, self.weight), self.counter)
        return out + self.bias if self.bias is not None else out


class TensorParallelMLP(nn.Module):
    """``row(act(column(x)))``: a two-layer MLP split over ranks with one all-reduce each way.

    x: (..., d_model) on every rank -> (..., d_model) on every rank.
    """

    def __init__(
        self, up: ColumnParallelLinear, down: RowParallelLinear, activation: Callable[[torch.Tensor], torch.Tensor]
    ) -> None:
        super().__init__()
        self.up, self.down, self.activation = up, down, activation

    @classmethod
    def from_dense(
        cls,
        up: nn.Linear,
        down: nn.Linear,
        activation: Callable[[torch.Tensor], torch.Tensor] = nn.functional.gelu,
        counter: CommCounter | None = None,
    ) -> TensorParallelMLP:
        """Shard the dense MLP ``down(activation(up(x)))`` over the ranks."""
        return cls(
            ColumnParallelLinear.from_dense(up, counter), RowParallelLinear.from_dense(down, counter), activation
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.activation(self.up(x)))


def _check() -> float:
    torch.manual_seed(0)
    up, down, x = nn.Linear(16, 64), nn.Linear(64, 16), torch.randn(3, 16)
    return (TensorParallelMLP.from_dense(up, down)(x) - down(nn.functional.gelu(up(x)))).abs().max().item()


if __name__ == "__main__":  # python -m course_lib.parallel tensor_parallel
    from course_lib.parallel.launch import launch

    print("max |tensor parallel - dense| per rank:", launch(_check, world_size=2))
