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
        # BEGIN SOLUTION: create self.weight as an nn.Parameter of shape (out_features, in_features) and initialise it
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        std = math.sqrt(2.0 / (in_features + out_features))
        nn.init.trunc_normal_(self.weight, std=std, a=-3 * std, b=3 * std)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: one matmul with the transposed weight
        return x @ self.weight.T
        # END SOLUTION


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
        # BEGIN SOLUTION: create and initialise self.weight
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, std=1.0, a=-3.0, b=3.0)
        # END SOLUTION

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: index the rows of the weight
        return self.weight[ids]
        # END SOLUTION


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
        # BEGIN SOLUTION: self.weight, initialised to ones
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: upcast, divide by the root mean square (+eps inside the sqrt), cast back, scale
        in_dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return self.weight * x.to(in_dtype)
        # END SOLUTION


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU: ``x * sigmoid(x)`` (``torch.sigmoid`` is allowed)."""
    # BEGIN SOLUTION: one line
    return x * torch.sigmoid(x)
    # END SOLUTION


class SwiGLU(nn.Module):
    """``w2(silu(w1 x) * w3 x)`` with three bias-free :class:`Linear` layers ``w1``, ``w2``, ``w3``.

    w1, w3: d_model -> d_ff; w2: d_ff -> d_model. x: (..., d_model) -> (..., d_model).
    """

    def __init__(self, d_model: int, d_ff: int, device: torch.device | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        # BEGIN SOLUTION: three Linear layers named w1, w2, w3
        self.w1 = Linear(d_model, d_ff, device, dtype)
        self.w2 = Linear(d_ff, d_model, device, dtype)
        self.w3 = Linear(d_model, d_ff, device, dtype)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: gate with silu(w1 x), multiply by w3 x, project down with w2
        return self.w2(silu(self.w1(x)) * self.w3(x))
        # END SOLUTION


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
        # BEGIN SOLUTION: build (max_seq_len, head_dim) cos and sin tables and register them as non-persistent buffers
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=device).float() / head_dim))
        angles = torch.arange(max_seq_len, device=device).float()[:, None] * inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)
        # END SOLUTION

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: index cos/sin by the positions, then x * cos + rotate_half(x) * sin
        cos, sin = self.cos[positions], self.sin[positions]
        x1, x2 = x.chunk(2, dim=-1)
        return x * cos + torch.cat((-x2, x1), dim=-1) * sin
        # END SOLUTION


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim`` (subtract the max first)."""
    # BEGIN SOLUTION: subtract the max along dim, exponentiate, normalise
    e = (x - x.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum(dim=dim, keepdim=True)
    # END SOLUTION


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean of ``-log softmax(logits)[target]`` over all positions.

    logits: (..., vocab), targets: (...) int64 -> scalar. Stable for huge logits (log-sum-exp).
    """
    # BEGIN SOLUTION: logsumexp(logits) - logits[target], computed with the max subtracted
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    log_z = shifted.exp().sum(dim=-1).log()
    target_logit = shifted.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (log_z - target_logit).mean()
    # END SOLUTION


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """``softmax(q k^T / sqrt(d_k)) v``; where ``mask`` is False the score is -inf before the softmax.

    q: (..., seq_q, d_k), k: (..., seq_k, d_k), v: (..., seq_k, d_v), mask: bool (seq_q, seq_k)
    (or broadcastable) -> (..., seq_q, d_v).
    """
    # BEGIN SOLUTION: scores, masked_fill with -inf where mask is False, your softmax, matmul with v
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return softmax(scores, dim=-1) @ v
    # END SOLUTION


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
        # BEGIN SOLUTION: the four projections and a RotaryPositionalEmbedding of width d_model // num_heads
        self.q_proj = Linear(d_model, d_model)
        self.k_proj = Linear(d_model, d_model)
        self.v_proj = Linear(d_model, d_model)
        self.output_proj = Linear(d_model, d_model)
        self.rope = RotaryPositionalEmbedding(rope_theta, d_model // num_heads, context_length)
        # END SOLUTION

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        # BEGIN SOLUTION: project, split heads to (batch, heads, seq, head_dim), RoPE on q and k, causal attention, merge heads, project
        b, t, d = x.shape
        h = self.num_heads
        if positions is None:
            positions = torch.arange(t, device=x.device)

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, h, d // h).transpose(1, 2)

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        if positions.ndim == 2:
            positions = positions[:, None, :]
        q, k = self.rope(q, positions), self.rope(k, positions)
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        out = scaled_dot_product_attention(q, k, v, mask)
        return self.output_proj(out.transpose(1, 2).reshape(b, t, d))
        # END SOLUTION


class TransformerBlock(nn.Module):
    """Pre-norm block: ``y = x + attn(ln1(x))``, then ``y + ffn(ln2(y))``.

    Submodules: ``ln1``, ``attn`` (:class:`CausalSelfAttention`), ``ln2``, ``ffn`` (:class:`SwiGLU`).
    x: (batch, seq, d_model) -> same shape.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, context_length: int, rope_theta: float = 10000.0):
        super().__init__()
        # BEGIN SOLUTION: ln1, attn, ln2, ffn
        self.ln1 = RMSNorm(d_model)
        self.attn = CausalSelfAttention(d_model, num_heads, context_length, rope_theta)
        self.ln2 = RMSNorm(d_model)
        self.ffn = SwiGLU(d_model, d_ff)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: two residual sub-layers, each normalising its input first
        x = x + self.attn(self.ln1(x))
        return x + self.ffn(self.ln2(x))
        # END SOLUTION
