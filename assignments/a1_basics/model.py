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
        # TODO(a1_basics): token_embeddings, layers (nn.ModuleList), ln_final, lm_head
        raise NotImplementedError("a1_basics: `TransformerLM.__init__` is not implemented yet (a1_basics/model.py)")

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # TODO(a1_basics): embed, run the blocks, normalise, project to the vocabulary
        raise NotImplementedError("a1_basics: `TransformerLM.forward` is not implemented yet (a1_basics/model.py)")
