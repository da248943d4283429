"""The small pieces of a Transformer: linear maps, embeddings, RMSNorm, SiLU/SwiGLU, softmax.

Weights follow PyTorch's layout (``Linear.weight`` is ``(out_features, in_features)``), so state dicts
move to and from ``torch.nn`` and Hugging Face models without transposes. The layers take sizes, with
the names and order of ``torch.nn`` (``Linear(in_features, out_features)``, ``Embedding(num_embeddings,
embedding_dim)``) and of assignment 1's answer key, which builds the same layers; the modules made of
them (attention, mixture of experts, block, model) are built from a :class:`~course_lib.model.ModelConfig`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Linear", "Embedding", "RMSNorm", "SwiGLU", "silu", "softmax"]


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU (swish): ``x * sigmoid(x)``, elementwise."""
    return x * torch.sigmoid(x)


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim`` (the max is subtracted before ``exp``)."""
    shifted = x - x.amax(dim=dim, keepdim=True)
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


class Linear(nn.Module):
    """``y = x W^T`` without bias. ``weight``: (out_features, in_features), truncated-normal init with
    variance ``2 / (in_features + out_features)``. x: (..., in_features) -> (..., out_features)."""

    def __init__(
        self, in_features: int, out_features: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        std = math.sqrt(2.0 / (in_features + out_features))
        nn.init.trunc_normal_(self.weight, std=std, a=-3 * std, b=3 * std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


class Embedding(nn.Module):
    """Token id -> vector lookup. ``weight``: (num_embeddings, embedding_dim), truncated N(0, 1) init.
    ids: (...) int64 -> (..., embedding_dim)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, std=1.0, a=-3.0, b=3.0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"token ids must be int64 or int32, got {ids.dtype}")
        return self.weight[ids]

    def extra_repr(self) -> str:
        return f"num_embeddings={self.num_embeddings}, embedding_dim={self.embedding_dim}"


class RMSNorm(nn.Module):
    """Root-mean-square normalisation with a learned gain (no mean subtraction, no bias).

    ``y = x / sqrt(mean(x^2) + eps) * weight``, computed in float32 and cast back (as Llama does).
    x: (..., d_model) -> same shape.
    """

    def __init__(
        self, d_model: int, eps: float = 1e-5, device: torch.device | None = None, dtype: torch.dtype | None = None
    ):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        in_dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(in_dtype)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


class SwiGLU(nn.Module):
    """The gated feed-forward of Llama: ``w2(silu(w1 x) * w3 x)``.

    ``w1`` (gate) and ``w3`` (up): (d_ff, d_model); ``w2`` (down): (d_model, d_ff).
    x: (..., d_model) -> (..., d_model). ``fused`` (settable; the model sets it from
    ``ModelConfig.fused``) takes PyTorch's one-kernel ``F.silu`` instead of the course's :func:`silu`,
    the same function: a training step of the small models is a few percent faster with it.
    """

    def __init__(
        self,
        d_model: int,
        d_ff: int,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
        fused: bool = True,
    ):
        super().__init__()
        self.fused = fused
        self.w1 = Linear(d_model, d_ff, device, dtype)
        self.w2 = Linear(d_ff, d_model, device, dtype)
        self.w3 = Linear(d_model, d_ff, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = F.silu(self.w1(x)) if self.fused else silu(self.w1(x))
        return self.w2(gate * self.w3(x))
