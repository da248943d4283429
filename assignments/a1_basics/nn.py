"""Assignment 1, part 2: the building blocks of a Transformer language model.

Write each piece with tensor operations; do not call the ``torch.nn`` / ``torch.nn.functional``
version of the very thing you are asked to build (no ``nn.Linear``, ``nn.Embedding``,
``F.scaled_dot_product_attention``, ``F.cross_entropy``, ``torch.softmax``, ``F.silu``...).
``nn.Module``, ``nn.Parameter``, ``nn.init`` and plain tensor maths are all fine.

The parameter names (``weight``, ``w1``, ``q_proj``...) are part of the interface: the tests load
given weights by these names (see the state-dict table in the handout). The classes and arguments
are named as in ``course_lib.model`` (and ``torch.nn`` where PyTorch has the layer), so that the
lecture's library reads as your own code.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class Linear(nn.Module):
    """``y = x W^T``, no bias. Parameter ``weight``: (out_features, in_features).

    Initialise ``weight`` from a normal distribution with variance ``2 / (in + out)``, truncated at
    three standard deviations (``nn.init.trunc_normal_``). x: (..., in_features) -> (..., out_features).
    """

    def __init__(
        self, in_features: int, out_features: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ):
        super().__init__()
        # TODO(a1_basics): create self.weight as an nn.Parameter of shape (out_features, in_features) and initialise it
        raise NotImplementedError("a1_basics: `Linear.__init__` is not implemented yet (a1_basics/nn.py)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO(a1_basics): one matmul with the transposed weight
        raise NotImplementedError("a1_basics: `Linear.forward` is not implemented yet (a1_basics/nn.py)")


class Embedding(nn.Module):
    """Lookup table. Parameter ``weight``: (num_embeddings, embedding_dim), init truncated N(0, 1) at ±3.

    ids: (...) int64 -> (..., embedding_dim).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        # TODO(a1_basics): create and initialise self.weight
        raise NotImplementedError("a1_basics: `Embedding.__init__` is not implemented yet (a1_basics/nn.py)")

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # TODO(a1_basics): index the rows of the weight
        raise NotImplementedError("a1_basics: `Embedding.forward` is not implemented yet (a1_basics/nn.py)")


class RMSNorm(nn.Module):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last dimension; parameter ``weight`` (d_model,) = 1.

    Compute in float32 and cast the normalised value back to the input dtype before the gain.
    x: (..., d_model) -> same shape.
    """

    def __init__(
        self, d_model: int, eps: float = 1e-5, device: torch.device | None = None, dtype: torch.dtype | None = None
    ):
        super().__init__()
        self.eps = eps
        # TODO(a1_basics): self.weight, initialised to ones
        raise NotImplementedError("a1_basics: `RMSNorm.__init__` is not implemented yet (a1_basics/nn.py)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO(a1_basics): upcast, divide by the root mean square (+eps inside the sqrt), cast back, scale
        raise NotImplementedError("a1_basics: `RMSNorm.forward` is not implemented yet (a1_basics/nn.py)")


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU: ``x * sigmoid(x)`` (``torch.sigmoid`` is allowed)."""
    # TODO(a1_basics): one line
    raise NotImplementedError("a1_basics: `silu` is not implemented yet (a1_basics/nn.py)")


class SwiGLU(nn.Module):
    """``w2(silu(w1 x) * w3 x)`` with three bias-free :class:`Linear` layers ``w1``, ``w2``, ``w3``.

    w1, w3: d_model -> d_ff; w2: d_ff -> d_model. x: (..., d_model) -> (..., d_model).
    """

    def __init__(self, d_model: int, d_ff: int, device: torch.device | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        # TODO(a1_basics): three Linear layers named w1, w2, w3
        raise NotImplementedError("a1_basics: `SwiGLU.__init__` is not implemented yet (a1_basics/nn.py)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO(a1_basics): gate with silu(w1 x), multiply by w3 x, project down with w2
        raise NotImplementedError("a1_basics: `SwiGLU.forward` is not implemented yet (a1_basics/nn.py)")


class RotaryPositionalEmbedding(nn.Module):
    """RoPE in the "rotate half" layout (Hugging Face Llama's).

    Dimension ``i`` and dimension ``i + head_dim/2`` form a pair, rotated at position ``p`` by the
    angle ``p * theta ** (-2i / head_dim)`` for ``i < head_dim/2``: with ``(x1, x2)`` the two halves
    of the last dimension, ``out = x * cos + cat(-x2, x1) * sin`` where ``cos``/``sin`` repeat each
    half's angles. Precompute cos/sin for positions ``0..max_seq_len-1`` as buffers with
    ``persistent=False``.

    forward(x, positions): x (..., seq, head_dim), positions (..., seq) int64 -> same shape as x.
    """

    def __init__(self, theta: float, head_dim: int, max_seq_len: int, device: torch.device | None = None):
        super().__init__()
        # TODO(a1_basics): build (max_seq_len, head_dim) cos and sin tables and register them as non-persistent buffers
        raise NotImplementedError("a1_basics: `RotaryPositionalEmbedding.__init__` is not implemented yet (a1_basics/nn.py)")

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        # TODO(a1_basics): index cos/sin by the positions, then x * cos + rotate_half(x) * sin
        raise NotImplementedError("a1_basics: `RotaryPositionalEmbedding.forward` is not implemented yet (a1_basics/nn.py)")


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim`` (subtract the max first)."""
    # TODO(a1_basics): subtract the max along dim, exponentiate, normalise
    raise NotImplementedError("a1_basics: `softmax` is not implemented yet (a1_basics/nn.py)")


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean of ``-log softmax(logits)[target]`` over all positions.

    logits: (..., vocab), targets: (...) int64 -> scalar. Stable for huge logits (log-sum-exp).
    """
    # TODO(a1_basics): logsumexp(logits) - logits[target], computed with the max subtracted
    raise NotImplementedError("a1_basics: `cross_entropy` is not implemented yet (a1_basics/nn.py)")


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """``softmax(q k^T / sqrt(d_k)) v``; where ``mask`` is False the score is -inf before the softmax.

    q: (..., seq_q, d_k), k: (..., seq_k, d_k), v: (..., seq_k, d_v), mask: bool (seq_q, seq_k)
    (or broadcastable) -> (..., seq_q, d_v).
    """
    # TODO(a1_basics): scores, masked_fill with -inf where mask is False, your softmax, matmul with v
    raise NotImplementedError("a1_basics: `scaled_dot_product_attention` is not implemented yet (a1_basics/nn.py)")


class CausalSelfAttention(nn.Module):
    """Causal multi-head self-attention with RoPE on queries and keys.

    Submodules: ``q_proj``, ``k_proj``, ``v_proj`` (d_model -> d_model), ``output_proj`` (d_model ->
    d_model), all :class:`Linear`; head ``h`` uses rows ``h*head_dim : (h+1)*head_dim`` of the
    projections, ``head_dim = d_model // num_heads``. Keep the RoPE module as ``self.rope`` (its
    buffers are not saved). The arguments are the fields of ``course_lib.model.ModelConfig``.

    forward(x, positions=None): x (batch, seq, d_model) -> (batch, seq, d_model); positions
    default to ``0..seq-1``.
    """

    def __init__(self, d_model: int, num_heads: int, context_length: int, rope_theta: float = 10000.0):
        super().__init__()
        self.num_heads = num_heads
        # TODO(a1_basics): the four projections and a RotaryPositionalEmbedding of width d_model // num_heads
        raise NotImplementedError("a1_basics: `CausalSelfAttention.__init__` is not implemented yet (a1_basics/nn.py)")

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        # TODO(a1_basics): project, split heads to (batch, heads, seq, head_dim), RoPE on q and k, causal attention, merge heads, project
        raise NotImplementedError("a1_basics: `CausalSelfAttention.forward` is not implemented yet (a1_basics/nn.py)")


class TransformerBlock(nn.Module):
    """Pre-norm block: ``y = x + attn(ln1(x))``, then ``y + ffn(ln2(y))``.

    Submodules: ``ln1``, ``attn`` (:class:`CausalSelfAttention`), ``ln2``, ``ffn`` (:class:`SwiGLU`).
    x: (batch, seq, d_model) -> same shape.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, context_length: int, rope_theta: float = 10000.0):
        super().__init__()
        # TODO(a1_basics): ln1, attn, ln2, ffn
        raise NotImplementedError("a1_basics: `TransformerBlock.__init__` is not implemented yet (a1_basics/nn.py)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO(a1_basics): two residual sub-layers, each normalising its input first
        raise NotImplementedError("a1_basics: `TransformerBlock.forward` is not implemented yet (a1_basics/nn.py)")
