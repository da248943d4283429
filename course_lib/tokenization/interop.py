"""The same merges as a tiktoken ``Encoding`` or a Hugging Face ``tokenizers.Tokenizer``.

Both libraries are what a learner meets next, and both serve as references in the tests: for the
same merges they must produce the very same ids as :class:`~course_lib.tokenization.Tokenizer`.
They are optional dependencies (the ``dev`` extra), imported only when these functions are called.

- tiktoken ranks tokens rather than pairs: it repeatedly merges the adjacent pair whose
  concatenation has the lowest rank. With our ids (bytes first, then merges in order) the id of a
  token is exactly its rank.
- HF tokenizers' ``BPE`` model reads GPT-2's byte-level alphabet (``files.bytes_to_unicode``); the
  ``ByteLevel`` pre-tokenizer with ``use_regex=True`` applies GPT-2's regex, and special tokens are
  "added tokens", split out before pre-tokenization (longest match first).
"""

from __future__ import annotations

from typing import Any

from course_lib.tokenization.files import token_to_text
from course_lib.tokenization.pretokenize import GPT2_PATTERN
from course_lib.tokenization.tokenizer import Tokenizer

__all__ = ["to_tiktoken", "to_hf"]


def to_tiktoken(tokenizer: Tokenizer, name: str = "course-bpe") -> Any:
    """A ``tiktoken.Encoding`` with the same ids; encode with ``allowed_special="all"``.

    Requires ids in rank order: the 256 bytes and then each merge's result with a larger id than
    the previous merge's (true for :func:`train_bpe`'s output and for GPT-2's files).
    """
    import tiktoken  # noqa: PLC0415  (optional dependency)

    special_ids = set(tokenizer.special_ids.values())
    ranks = {token: token_id for token_id, token in tokenizer.vocab.items() if token_id not in special_ids}
    previous = max(ranks[bytes([b])] for b in range(256))
    for left, right in tokenizer.merges:
        rank = ranks[left + right]
        if rank <= previous:
            raise ValueError(
                f"tiktoken needs merged tokens' ids in merge order; {left + right!r} has id {rank} "
                f"after a merge or byte with id {previous}"
            )
        previous = rank
    return tiktoken.Encoding(
        name=name,
        pat_str=GPT2_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=dict(tokenizer.special_ids),
    )


def to_hf(tokenizer: Tokenizer) -> Any:
    """A ``tokenizers.Tokenizer`` (HF) with the same vocabulary, merges and special tokens."""
    from tokenizers import (
        AddedToken,  # noqa: PLC0415  (optional dependency)
        decoders,
        models,
        pre_tokenizers,
    )
    from tokenizers import Tokenizer as HFTokenizer

    special = {token.encode("utf-8"): token for token in tokenizer.special_tokens}
    vocab = {special.get(token) or token_to_text(token): token_id for token_id, token in tokenizer.vocab.items()}
    merges = [(token_to_text(left), token_to_text(right)) for left, right in tokenizer.merges]
    hf = HFTokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.decoder = decoders.ByteLevel()
    if tokenizer.special_tokens:
        hf.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in tokenizer.special_tokens])
    return hf
