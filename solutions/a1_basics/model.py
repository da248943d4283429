"""Assignment 1, part 2: the Transformer language model, assembled from ``nn.py``."""

from __future__ import annotations

import torch
from torch import nn

from .nn import Embedding, Linear, RMSNorm, TransformerBlock


class TransformerLM(nn.Module):
    """Decoder-only LM: embedding, ``num_layers`` pre-norm blocks, final RMSNorm, output projection.

    Submodules: ``token_embeddings`` (:class:`Embedding`), ``layers`` (an ``nn.ModuleList`` of
    :class:`TransformerBlock`), ``ln_final`` (:class:`RMSNorm`), ``lm_head`` (:class:`Linear`,
    d_model -> vocab_size, not tied to the embedding).

    forward(ids): ids (batch, seq) int64 -> logits (batch, seq, vocab_size) (unnormalised).
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
    ):
        super().__init__()
        self.context_length = context_length
        # BEGIN SOLUTION: token_embeddings, layers (nn.ModuleList), ln_final, lm_head
        self.token_embeddings = Embedding(vocab_size, d_model)
        self.layers = nn.ModuleList(
            TransformerBlock(d_model, num_heads, d_ff, context_length, rope_theta) for _ in range(num_layers)
        )
        self.ln_final = RMSNorm(d_model)
        self.lm_head = Linear(d_model, vocab_size)
        # END SOLUTION

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION: embed, run the blocks, normalise, project to the vocabulary
        x = self.token_embeddings(ids)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.ln_final(x))
        # END SOLUTION
