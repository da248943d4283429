"""One way to talk to both the course's model/tokenizer and Hugging Face causal LMs/tokenizers.

The course :class:`~course_lib.tokenization.Tokenizer` has ``encode``/``decode`` and ``special_ids``;
an HF tokenizer has ``encode(text, add_special_tokens=...)``, ``pad_token_id`` and ``eos_token_id``.
The course :class:`~course_lib.model.TransformerLM` returns logits; an HF causal LM returns an output
object with ``.logits``. Everything in :mod:`course_lib.alignment` goes through these helpers.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from course_lib.corpora import EOT

__all__ = ["EOT", "encode", "decode", "eos_token_id", "pad_token_id", "model_logits"]


def _is_course_tokenizer(tokenizer: Any) -> bool:
    return hasattr(tokenizer, "special_ids") and hasattr(tokenizer, "merges")


def encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` (special-token strings such as ``<|endoftext|>`` map to their id; an HF
    tokenizer adds no BOS/EOS of its own)."""
    if _is_course_tokenizer(tokenizer):
        return list(tokenizer.encode(text))
    return list(tokenizer.encode(text, add_special_tokens=False))


def decode(tokenizer: Any, ids: Any) -> str:
    """Text of ``ids`` (a list or 1-D tensor)."""
    ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
    return tokenizer.decode(ids)


def eos_token_id(tokenizer: Any) -> int | None:
    """The end-of-sequence id: ``<|endoftext|>`` for the course tokenizer, ``eos_token_id`` for HF."""
    if _is_course_tokenizer(tokenizer):
        return tokenizer.special_ids.get(EOT)
    return getattr(tokenizer, "eos_token_id", None)


def pad_token_id(tokenizer: Any) -> int:
    """The id used to right-pad batches: HF's ``pad_token_id``, else the end-of-sequence id, else 0.

    Padding sits after every real token and is masked out of every loss, so with a causal model its
    value never changes a result."""
    pad = None if _is_course_tokenizer(tokenizer) else getattr(tokenizer, "pad_token_id", None)
    if pad is None:
        pad = eos_token_id(tokenizer)
    return 0 if pad is None else int(pad)


def model_logits(model: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    """Next-token logits of a causal LM. input_ids: (batch, seq) int64 -> (batch, seq, vocab)."""
    if input_ids.ndim != 2:
        raise ValueError(f"expected input_ids of shape (batch, seq), got {tuple(input_ids.shape)}")
    out = model(input_ids)
    logits = out if isinstance(out, torch.Tensor) else out.logits
    if logits.shape[:2] != input_ids.shape:
        raise ValueError(f"model returned logits of shape {tuple(logits.shape)} for input_ids {tuple(input_ids.shape)}")
    return logits
