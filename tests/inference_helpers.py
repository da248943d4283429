"""Small random course models of every attention variant, shared by the inference tests."""

from __future__ import annotations

import torch

from course_lib.model import MultiHeadLatentAttention, TransformerLM

VARIANTS = ("mha", "gqa", "mqa", "mla")


def tiny_model(variant: str = "gqa", *, vocab: int = 64, context: int = 64, seed: int = 0) -> TransformerLM:
    """A 2-layer model; ``mla`` swaps every block's attention for DeepSeek's latent attention."""
    torch.manual_seed(seed)
    kv = {"mha": 4, "gqa": 2, "mqa": 1, "mla": 4}[variant]
    model = TransformerLM(
        vocab_size=vocab, context_length=context, d_model=32, num_layers=2, num_heads=4, d_ff=64, num_kv_heads=kv
    )
    if variant == "mla":
        for layer in model.layers:
            layer.attn = MultiHeadLatentAttention(model.config, kv_rank=8, rope_dim=4)
    return model.eval()


def random_prompts(n: int, vocab: int = 64, *, shared: int = 0, max_len: int = 12, seed: int = 1) -> list[list[int]]:
    """``n`` prompts of random lengths 1..max_len, each starting with the same ``shared`` tokens."""
    g = torch.Generator().manual_seed(seed)
    prefix = torch.randint(0, vocab, (shared,), generator=g).tolist()
    lengths = torch.randint(1, max_len + 1, (n,), generator=g).tolist()
    return [prefix + torch.randint(0, vocab, (k,), generator=g).tolist() for k in lengths]
