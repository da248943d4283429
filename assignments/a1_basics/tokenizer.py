"""Assignment 1, part 1: a byte-level BPE tokenizer, trained and used the way GPT-2's is.

You write two things, behind the API the handout (README.md) fixes:

- ``train_bpe(input_path, vocab_size, special_tokens)`` -> ``(vocab, merges)``
- ``Tokenizer(vocab, merges, special_tokens)`` with ``encode``, ``decode``, ``encode_iterable``,
  ``from_files`` and ``save``.

How you organise the inside is up to you; the helpers below (``pretoken_counts``, ``merge_word``,
``bpe``) are one reasonable split, and the tests never call them. Clarity first: ``course_lib``
holds the fast version, and your tokenizer must produce exactly the same merges and ids.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import regex

from course_lib.tokenization.files import bytes_to_unicode

# GPT-2's pre-tokenization regex (given): contractions, words, numbers, punctuation, whitespace.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def split_special(text: str, special_tokens: list[str]) -> list[str]:
    """Cut ``text`` around its special tokens; the special tokens stay in the list, whole.

    Where two special tokens could match at the same place, the longer one wins.
    ``split_special("a<|eot|>b", ["<|eot|>"]) == ["a", "<|eot|>", "b"]``.
    """
    # TODO(a1_basics): regex.split with a capturing group of the escaped tokens, longest first; drop "".
    raise NotImplementedError("a1_basics: `split_special` is not implemented yet (a1_basics/tokenizer.py)")


def pretoken_counts(text: str, special_tokens: list[str]) -> Counter[tuple[bytes, ...]]:
    """Each distinct pre-token of ``text`` as a tuple of single bytes, with how often it occurs.

    Special tokens split the text and are not counted. ``"ab ab"`` gives
    ``{(b"a", b"b"): 1, (b" ", b"a", b"b"): 1}``.
    """
    # TODO(a1_basics): split_special, then GPT2_PATTERN's matches in each non-special piece, UTF-8 encoded.
    raise NotImplementedError("a1_basics: `pretoken_counts` is not implemented yet (a1_basics/tokenizer.py)")


def merge_word(word: tuple[bytes, ...], pair: tuple[bytes, bytes]) -> tuple[bytes, ...]:
    """Replace each occurrence of ``pair`` in ``word``, scanning left to right, by the joined token.

    ``merge_word((b"a", b"a", b"a"), (b"a", b"a")) == (b"aa", b"a")``.
    """
    # TODO(a1_basics): walk an index i; when word[i], word[i + 1] is the pair, emit the join and skip 2.
    raise NotImplementedError("a1_basics: `merge_word` is not implemented yet (a1_basics/tokenizer.py)")


def train_bpe(
    input_path: str | os.PathLike[str], vocab_size: int, special_tokens: list[str]
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Train byte-level BPE on a UTF-8 text file.

    Returns ``vocab`` (id -> bytes: ids 0-255 the single bytes in byte order, then the merged tokens
    in merge order, then the special tokens) and ``merges`` (the merged pairs in creation order).
    Learn ``vocab_size - 256 - len(special_tokens)`` merges, or fewer when no pair is left. At each
    step merge the most frequent adjacent pair (counted with the pre-token counts, overlapping
    occurrences included); ties go to the lexicographically greater pair, comparing bytes.
    """
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(f"vocab_size must be at least 256 + len(special_tokens) = {256 + len(special_tokens)}")
    # TODO(a1_basics): keep pair counts up to date by re-counting only the words that hold the merged pair.
    raise NotImplementedError("a1_basics: `train_bpe` is not implemented yet (a1_basics/tokenizer.py)")
    for token in special_tokens:
        vocab[len(vocab)] = token.encode("utf-8")
    return vocab, merges


class Tokenizer:
    """Encode text to ids and back with a trained byte-level BPE."""

    def __init__(
        self,
        vocab: dict[int, bytes],
        merges: list[tuple[bytes, bytes]],
        special_tokens: list[str] | None = None,
    ) -> None:
        """Keep the tables encoding needs. A special token missing from ``vocab`` gets a new id
        after the largest one."""
        # TODO(a1_basics): store vocab, an inverse (bytes -> id), merge ranks (pair -> index), and add missing specials.
        raise NotImplementedError("a1_basics: `Tokenizer.__init__` is not implemented yet (a1_basics/tokenizer.py)")

    @classmethod
    def from_files(
        cls,
        vocab_path: str | os.PathLike[str],
        merges_path: str | os.PathLike[str],
        special_tokens: list[str] | None = None,
    ) -> Tokenizer:
        """Load GPT-2 / HF files: ``vocab.json`` (token text -> id) and ``merges.txt``.

        Tokens are written with ``bytes_to_unicode()``'s characters (a space is ``Ġ``); special
        tokens are written as themselves. Keep the ids of ``vocab.json``.
        """
        # TODO(a1_basics): invert bytes_to_unicode(); skip merges.txt's "#version" line and blank lines.
        raise NotImplementedError("a1_basics: `Tokenizer.from_files` is not implemented yet (a1_basics/tokenizer.py)")

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write ``vocab.json`` and ``merges.txt`` into ``directory`` in the format ``from_files``
        reads (and HF tokenizers' ``BPE.from_file`` too)."""
        # TODO(a1_basics): map each byte through bytes_to_unicode(); special tokens verbatim; "#version: 0.2" first.
        raise NotImplementedError("a1_basics: `Tokenizer.save` is not implemented yet (a1_basics/tokenizer.py)")

    def _encode_pretoken(self, pretoken: str) -> list[int]:
        """The ids of one pre-token: apply the merges, the lowest-ranked adjacent pair first."""
        # TODO(a1_basics): repeatedly find the adjacent pair with the smallest rank and merge_word it; cache results.
        raise NotImplementedError("a1_basics: `Tokenizer._encode_pretoken` is not implemented yet (a1_basics/tokenizer.py)")

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``. Special tokens are never split (the longest wins where they overlap)."""
        # TODO(a1_basics): split_special; a special token is one id; other pieces go through GPT2_PATTERN.
        raise NotImplementedError("a1_basics: `Tokenizer.encode` is not implemented yet (a1_basics/tokenizer.py)")

    def encode_iterable(self, iterable: Iterable[str]) -> Iterator[int]:
        """Yield the ids of ``"".join(iterable)`` lazily, holding only a bounded amount of text.

        Hint: a pre-token boundary that no later text can move lies just before a whitespace that
        follows a non-whitespace character; also keep back a tail that could begin a special token.
        """
        # TODO(a1_basics): buffer, encode up to the last safe cut (see the hint), keep the rest for the next round.
        raise NotImplementedError("a1_basics: `Tokenizer.encode_iterable` is not implemented yet (a1_basics/tokenizer.py)")

    def decode(self, ids: list[int]) -> str:
        """The text of ``ids``. Bytes that are not valid UTF-8 become U+FFFD; an id that is not in
        the vocabulary raises ``ValueError`` naming it."""
        # TODO(a1_basics): join the tokens' bytes, then bytes.decode("utf-8", errors="replace").
        raise NotImplementedError("a1_basics: `Tokenizer.decode` is not implemented yet (a1_basics/tokenizer.py)")
