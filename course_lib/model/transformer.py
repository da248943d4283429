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

The modules are built from a :class:`ModelConfig`, as nanoGPT's ``Block(config)``; ``TransformerLM``
also takes the config's fields as keywords (the constructor of assignment 1's answer key).
:func:`convert_rope_layout` moves a model between the two RoPE layouts with the same logits.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from course_lib.model.attention import CausalSelfAttention
from course_lib.model.config import ModelConfig, PositionEncoding
from course_lib.model.layers import Embedding, Linear, RMSNorm, SwiGLU
from course_lib.model.moe import MoEFeedForward
from course_lib.model.rope import half_to_interleaved, interleaved_to_half

__all__ = ["TransformerBlock", "TransformerLM", "convert_rope_layout"]


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attn(ln1(x))``, then ``h + ffn(ln2(h))``. x: (batch, seq, d_model)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        c = config
        self.ln1 = RMSNorm(c.d_model, c.rms_norm_eps)
        self.attn = CausalSelfAttention(c)
        self.ln2 = RMSNorm(c.d_model, c.rms_norm_eps)
        self.ffn: nn.Module = MoEFeedForward(c) if c.is_moe else SwiGLU(c.d_model, c.d_ff, fused=c.fused)

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
        position_encoding: PositionEncoding = "rope",
        fused: bool = True,
    ):
        super().__init__()
        self.config = c = ModelConfig(
            vocab_size=vocab_size,
            context_length=context_length,
            d_model=d_model,
            num_layers=num_layers,
            num_heads=num_heads,
            d_ff=d_ff,
            rope_theta=rope_theta,
            num_kv_heads=num_kv_heads,
            rms_norm_eps=rms_norm_eps,
            num_experts=num_experts,
            top_k=top_k,
            capacity_factor=capacity_factor,
            position_encoding=position_encoding,
            fused=fused,
        )
        self.token_embeddings = Embedding(c.vocab_size, c.d_model)
        self.layers = nn.ModuleList(TransformerBlock(c) for _ in range(c.num_layers))
        self.ln_final = RMSNorm(c.d_model, c.rms_norm_eps)
        self.lm_head = Linear(c.d_model, c.vocab_size)

    @classmethod
    def from_config(cls, config: ModelConfig) -> TransformerLM:
        return cls(**config.to_dict())

    def forward(self, ids: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        if ids.ndim != 2:
            raise ValueError(f"expected ids of shape (batch, seq), got {tuple(ids.shape)}")
        if ids.shape[1] > self.config.context_length:
            raise ValueError(f"sequence length {ids.shape[1]} exceeds context_length {self.config.context_length}")
        if ids.numel() and (int(ids.max()) >= self.config.vocab_size or int(ids.min()) < 0):
            raise ValueError(
                f"token ids must lie in [0, {self.config.vocab_size}), got min {int(ids.min())}, max {int(ids.max())}"
            )
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


def convert_rope_layout(model: TransformerLM, position_encoding: PositionEncoding) -> TransformerLM:
    """A copy of ``model`` using the RoPE layout ``position_encoding`` (``"rope"`` or
    ``"rope_interleaved"``), with the q and k projection rows of every head permuted so that the
    logits stay the same (:func:`~course_lib.model.rope.interleaved_to_half`)."""
    c = model.config
    layouts = ("rope", "rope_interleaved")
    if c.position_encoding not in layouts or position_encoding not in layouts:
        raise ValueError(
            f"only RoPE layouts convert into each other ({layouts}), got {c.position_encoding!r} -> {position_encoding!r}"
        )
    converted = TransformerLM.from_config(replace(c, position_encoding=position_encoding))
    permute = {
        ("rope_interleaved", "rope"): interleaved_to_half,
        ("rope", "rope_interleaved"): half_to_interleaved,
    }.get((c.position_encoding, position_encoding))
    state = model.state_dict()
    if permute is not None:
        qk = (".attn.q_proj.weight", ".attn.k_proj.weight")
        state = {name: permute(w, c.head_dim) if name.endswith(qk) else w for name, w in state.items()}
    converted.load_state_dict(state)
    weight = model.lm_head.weight
    return converted.to(device=weight.device, dtype=weight.dtype)
