"""Byte-level BPE tokenization, as GPT-2 does it: pre-tokenize, train merges, encode and decode.

- :mod:`~course_lib.tokenization.pretokenize`: GPT-2's regex, special tokens, parallel counting.
- :mod:`~course_lib.tokenization.merge`: :func:`merge_word` (one merge, the readable rule) and
  :func:`apply_merges_heap` (every merge on one long word, with a priority queue).
- :mod:`~course_lib.tokenization.train`: :func:`train_bpe` (incremental pair counts, a heap; long
  words as linked lists).
- :mod:`~course_lib.tokenization.tokenizer`: :class:`Tokenizer` (encode with a cache, decode).
- :mod:`~course_lib.tokenization.files`: GPT-2 / HF ``vocab.json`` + ``merges.txt``.
- :mod:`~course_lib.tokenization.interop`: the same merges as a tiktoken or HF tokenizer.
"""

from course_lib.tokenization.files import bytes_to_unicode
from course_lib.tokenization.merge import merge_word
from course_lib.tokenization.pretokenize import GPT2_PATTERN, count_pretokens, split_pretokens
from course_lib.tokenization.tokenizer import Tokenizer
from course_lib.tokenization.train import train_bpe, train_bpe_from_counts

__all__ = [
    "GPT2_PATTERN",
    "Tokenizer",
    "bytes_to_unicode",
    "count_pretokens",
    "merge_word",
    "split_pretokens",
    "train_bpe",
    "train_bpe_from_counts",
]
