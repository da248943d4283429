"""What an evaluation needs from a language model: text -> ids, ids -> next-token log-probabilities.

Two wrappers share one small interface (:class:`ScoringLM`), so every scorer in this package works
with the course model and with any Hugging Face causal LM:

    lm = CourseLM(pm.model, pm.tokenizer)                  # course_lib.model.TransformerLM
    lm = HFCausalLM(hf_model, hf_tokenizer)               # transformers AutoModelForCausalLM
    lm.encode("Once upon a time")                         # list[int]
    lm.log_probs(ids)                                     # (batch, seq, vocab) float32

Both check at construction that the tokenizer's ids fit the model's vocabulary, so a mismatched
pair fails with a clear error instead of scoring garbage.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["ScoringLM", "CourseLM", "HFCausalLM"]


class ScoringLM:
    """A causal language model seen through its tokenizer.

    Subclasses set ``max_length`` (the longest input the model accepts), ``eot_id`` (the token that
    separates documents, used as the context of text scored from its start) and ``vocab_size``, and
    implement :meth:`encode`, :meth:`decode` and :meth:`logits`.
    """

    max_length: int
    eot_id: int
    vocab_size: int
    name: str = "lm"

    def encode(self, text: str) -> list[int]:
        raise NotImplementedError

    def decode(self, ids: list[int]) -> str:
        raise NotImplementedError

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        """Next-token logits. ids: (batch, seq) int64, seq <= max_length -> (batch, seq, vocab)."""
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    @torch.no_grad()
    def log_probs(self, ids: torch.Tensor) -> torch.Tensor:
        """Log-softmax of :meth:`logits` in float32. ids: (batch, seq) -> (batch, seq, vocab)."""
        if ids.ndim != 2:
            raise ValueError(f"expected ids of shape (batch, seq), got {tuple(ids.shape)}")
        if ids.shape[1] > self.max_length:
            raise ValueError(f"sequence of {ids.shape[1]} tokens exceeds the model's max_length {self.max_length}")
        return torch.log_softmax(self.logits(ids.to(self.device)).float(), dim=-1).cpu()


def _check_vocab(tokenizer_size: int, model_size: int, what: str) -> None:
    if tokenizer_size > model_size:
        raise ValueError(
            f"{what}: the tokenizer has {tokenizer_size} ids but the model's vocabulary has {model_size}: "
            "they do not belong together"
        )


class _ModelWithTokenizer(ScoringLM):
    """What the two wrappers share: a ``model`` (an ``nn.Module``) and a ``tokenizer`` that decodes."""

    model: nn.Module
    tokenizer: Any

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


class CourseLM(_ModelWithTokenizer):
    """A :class:`~course_lib.model.TransformerLM` with its :class:`~course_lib.tokenization.Tokenizer`.

    ``eot`` names the document separator (``"<|endoftext|>"``, which must be a special token of the
    tokenizer). ``max_length`` (default: the model's context length) may be set lower, to evaluate
    the model with a shorter window.
    """

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Any,
        *,
        eot: str = "<|endoftext|>",
        name: str = "course",
        max_length: int | None = None,
    ):
        config = getattr(model, "config", None)
        if config is None or not hasattr(config, "context_length"):
            raise ValueError(f"CourseLM expects a course_lib TransformerLM, got {type(model).__name__}")
        _check_vocab(tokenizer.vocab_size, config.vocab_size, "CourseLM")
        ids = tokenizer.encode(eot)
        if len(ids) != 1:
            raise ValueError(f"{eot!r} is not a special token of this tokenizer (it encodes to {len(ids)} ids)")
        self.model = model.eval()
        self.tokenizer = tokenizer
        if max_length is not None and not 1 <= max_length <= config.context_length:
            raise ValueError(f"max_length must be in [1, context_length={config.context_length}], got {max_length}")
        self.max_length = int(max_length or config.context_length)
        self.vocab_size = int(config.vocab_size)
        self.eot_id = ids[0]
        self.name = name

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model(ids)


class HFCausalLM(_ModelWithTokenizer):
    """A Hugging Face causal LM (``AutoModelForCausalLM``) with its tokenizer (``PreTrainedTokenizer*``).

    ``max_length`` defaults to the config's ``max_position_embeddings``; ``eot_id`` to the tokenizer's
    EOS token (or BOS when it has no EOS).
    """

    def __init__(self, model: nn.Module, tokenizer: Any, *, max_length: int | None = None, name: str = "hf"):
        config = model.config
        _check_vocab(len(tokenizer), int(config.vocab_size), "HFCausalLM")
        eot = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.bos_token_id
        if eot is None:
            raise ValueError("HFCausalLM needs a tokenizer with an EOS (or BOS) token to start documents")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = int(max_length or config.max_position_embeddings)
        self.vocab_size = int(config.vocab_size)
        self.eot_id = int(eot)
        self.name = name

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=ids).logits
