"""The decoder-only Transformer language model (Llama architecture: pre-norm, RMSNorm, RoPE, SwiGLU).

State-dict names (the same in ``solutions/a1_basics`` and documented in the a1 handout)::

    token_embeddings.weight                (vocab_size, d_model)
    layers.{i}.ln1.weight                  (d_model,)            RMSNorm before attention
    layers.{i}.attn.q_proj.weight          (num_heads*head_dim, d_model)
    layers.{i}.attn.k_proj.weight          (num_kv_heads*head_dim, d_model)
    layers.{i}.attn.v_proj.weight          (num_kv_heads*head_dim, d_model)
    layers.{i}.attn.output_proj.weight     (d_model, num_heads*head_dim)
    layers.{i}.ln2.weight                  (d_model,)            RMSNorm before the feed-forward
    layers.{i}.ffn.w1.weight               (d_ff, d_model)       gate
    layers.{i}.ffn.w2.weight               (d_model, d_ff)       down
    layers.{i}.ffn.w3.weight               (d_ff, d_model)       up
    ln_final.weight                        (d_model,)
    lm_head.weight                         (vocab_size, d_model)

With experts, ``layers.{i}.ffn`` is a :class:`~course_lib.model.moe.MoEFeedForward`:
``layers.{i}.ffn.router.weight`` (num_experts, d_model) and ``layers.{i}.ffn.experts.{e}.w1.weight``...
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.model.attention import CausalSelfAttention
from course_lib.model.config import ModelConfig
from course_lib.model.layers import Embedding, Linear, RMSNorm, SwiGLU
from course_lib.model.moe import MoEFeedForward

__all__ = ["TransformerBlock", "TransformerLM"]


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attn(ln1(x))``, then ``h + ffn(ln2(h))``. x: (batch, seq, d_model)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        c = config
        self.ln1 = RMSNorm(c.d_model, c.rms_norm_eps)
        self.attn = CausalSelfAttention(c.d_model, c.num_heads, c.context_length, c.rope_theta, c.kv_heads)
        self.ln2 = RMSNorm(c.d_model, c.rms_norm_eps)
        self.ffn: nn.Module = (
            MoEFeedForward(c.d_model, c.d_ff, c.num_experts, c.top_k, c.capacity_factor)
            if c.is_moe
            else SwiGLU(c.d_model, c.d_ff)
        )

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), positions)
        return x + self.ffn(self.ln2(x))


class TransformerLM(nn.Module):
    """A decoder-only Transformer LM. ``forward(ids)``: ids (batch, seq) int64 -> logits (batch, seq, vocab).

    Build it from keywords, ``TransformerLM(vocab_size=..., context_length=..., d_model=..., ...)``
    (the fields of :class:`ModelConfig`), or from a config with :meth:`from_config`.
    """

    def __init__(
        self,
        vocab_size: int,
        context_length: int,
        d_model: int,
        num_layers: int,
        num_heads: int,
        d_ff: int,
        rope_theta: float = 10000.0,
        num_kv_heads: int | None = None,
        *,
        rms_norm_eps: float = 1e-5,
        num_experts: int = 0,
        top_k: int = 2,
        capacity_factor: float | None = None,
    ):
        super().__init__()
        self.config = ModelConfig(
            vocab_size=vocab_size, context_length=context_length, d_model=d_model, num_layers=num_layers,
            num_heads=num_heads, d_ff=d_ff, rope_theta=rope_theta, num_kv_heads=num_kv_heads,
            rms_norm_eps=rms_norm_eps, num_experts=num_experts, top_k=top_k, capacity_factor=capacity_factor,
        )  # fmt: skip
        self.token_embeddings = Embedding(vocab_size, d_model)
        self.layers = nn.ModuleList(TransformerBlock(self.config) for _ in range(num_layers))
        self.ln_final = RMSNorm(d_model, rms_norm_eps)
        self.lm_head = Linear(d_model, vocab_size)

    @classmethod
    def from_config(cls, config: ModelConfig) -> TransformerLM:
        return cls(**config.to_dict())

    def forward(self, ids: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        if ids.ndim != 2:
            raise ValueError(f"expected ids of shape (batch, seq), got {tuple(ids.shape)}")
        if ids.shape[1] > self.config.context_length:
            raise ValueError(f"sequence length {ids.shape[1]} exceeds context_length {self.config.context_length}")
        if ids.numel() and (int(ids.max()) >= self.config.vocab_size or int(ids.min()) < 0):
            raise ValueError(f"token ids must lie in [0, {self.config.vocab_size}), got min {int(ids.min())}, max {int(ids.max())}")
        x = self.token_embeddings(ids)
        for layer in self.layers:
            x = layer(x, positions)
        return self.lm_head(self.ln_final(x))

    def aux_loss(self) -> torch.Tensor:
        """Sum of the MoE load-balancing losses of the last forward (0 for a dense model)."""
        losses = [layer.ffn.aux_loss for layer in self.layers if isinstance(layer.ffn, MoEFeedForward)]
        return torch.stack(losses).sum() if losses else torch.zeros((), device=self.lm_head.weight.device)

    def num_parameters(self, *, exclude_embeddings: bool = False) -> int:
        """Parameter count; ``exclude_embeddings`` leaves out the input embedding table (as Kaplan et al. do)."""
        total = sum(p.numel() for p in self.parameters())
        return total - self.token_embeddings.weight.numel() if exclude_embeddings else total
