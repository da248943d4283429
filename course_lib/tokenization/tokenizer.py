"""Encoding and decoding with a trained byte-level BPE: the :class:`Tokenizer`.

Encoding cuts the text like training did (special tokens whole, then GPT-2's regex), then applies
the merges to each pre-token in the order they were learned: the lowest-ranked adjacent pair first,
until none of the learned pairs is left. Pre-tokens repeat a lot (" the", ","), so each one's ids are
cached; the cache lookups run in C (``map`` over the pieces), which is where most of the speed is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import regex

from course_lib.tokenization.files import read_vocab_merges, write_vocab_merges
from course_lib.tokenization.pretokenize import (
    GPT2_REGEX,
    check_special_tokens,
    special_token_regex,
    split_on_special_tokens,
)

__all__ = ["Tokenizer"]

_CACHE_LIMIT = 1 << 18
_FLUSH_CHARS = 1 << 16
_LAST_WORD_END = regex.compile(r"(?r)\S\s")
"""Searched backwards: the last non-whitespace character followed by a whitespace one."""


class Tokenizer:
    """A byte-level BPE tokenizer: ``vocab`` (id -> bytes), ``merges`` (in rank order), special tokens.

    Special tokens already in ``vocab`` (as their UTF-8 bytes) keep their id; the others get new ids
    after the largest. Every single byte must be in ``vocab`` and every merge's two parts and result
    too, or ``ValueError`` says which is missing.
    """

    def __init__(
        self,
        vocab: Mapping[int, bytes],
        merges: Sequence[tuple[bytes, bytes]],
        special_tokens: Sequence[str] | None = None,
    ) -> None:
        self.vocab: dict[int, bytes] = {}
        for token_id, token in vocab.items():
            if not isinstance(token_id, int) or isinstance(token_id, bool) or token_id < 0:
                raise ValueError(f"vocab ids must be non-negative ints, got {token_id!r}")
            if not isinstance(token, bytes) or not token:
                raise ValueError(f"vocab[{token_id}] must be non-empty bytes, got {token!r}")
            self.vocab[token_id] = token
        self._ids: dict[bytes, int] = {token: token_id for token_id, token in self.vocab.items()}
        if len(self._ids) != len(self.vocab):
            raise ValueError("vocab maps two ids to the same bytes")
        missing_bytes = [b for b in range(256) if bytes([b]) not in self._ids]
        if missing_bytes:
            raise ValueError(f"vocab lacks {len(missing_bytes)} single byte(s), e.g. {bytes(missing_bytes[:5])!r}: byte-level BPE needs all 256")
        self._byte_ids: list[int] = [self._ids[bytes([b])] for b in range(256)]

        self.special_tokens: list[str] = check_special_tokens(special_tokens)
        self.special_ids: dict[str, int] = {}
        for token in self.special_tokens:
            encoded = token.encode("utf-8")
            if encoded not in self._ids:
                new_id = max(self.vocab) + 1
                self.vocab[new_id] = encoded
                self._ids[encoded] = new_id
            self.special_ids[token] = self._ids[encoded]
        self._special_regex = special_token_regex(self.special_tokens)

        self.merges: list[tuple[bytes, bytes]] = [(bytes(a), bytes(b)) for a, b in merges]
        self._ranks: dict[tuple[int, int], tuple[int, int]] = {}
        for rank, (left, right) in enumerate(self.merges):
            for part in (left, right, left + right):
                if part not in self._ids:
                    raise ValueError(f"merge {rank} ({left!r}, {right!r}) needs the token {part!r}, which is not in vocab")
            self._ranks.setdefault((self._ids[left], self._ids[right]), (rank, self._ids[left + right]))
        self._cache: dict[str, tuple[int, ...]] = {}

    # ------------------------------------------------------------------ files
    @classmethod
    def from_files(
        cls,
        vocab_path: str | os.PathLike[str],
        merges_path: str | os.PathLike[str],
        special_tokens: Sequence[str] | None = None,
    ) -> Tokenizer:
        """Load GPT-2 / HF byte-level files (``vocab.json``, ``merges.txt``), keeping their ids."""
        tokens = check_special_tokens(special_tokens)
        vocab, merges = read_vocab_merges(vocab_path, merges_path, tokens)
        return cls(vocab, merges, tokens)

    def save(self, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``vocab.json`` and ``merges.txt`` (GPT-2's format, loadable by HF tokenizers)."""
        return write_vocab_merges(directory, self.vocab, self.merges, self.special_tokens)

    # ------------------------------------------------------------------ encoding
    @property
    def vocab_size(self) -> int:
        """The number of ids (bytes, merges and special tokens)."""
        return len(self.vocab)

    def _bpe(self, piece: bytes) -> tuple[int, ...]:
        """Apply the merges to one pre-token: lowest rank first, each pair merged left to right."""
        ids = [self._byte_ids[b] for b in piece]
        ranks = self._ranks
        while len(ids) > 1:
            best: tuple[int, int] | None = None
            for pair in zip(ids, ids[1:]):
                found = ranks.get(pair)
                if found is not None and (best is None or found[0] < best[0]):
                    best, best_pair = found, pair
            if best is None:
                break
            left, right = best_pair
            merged_id = best[1]
            out: list[int] = []
            i, n = 0, len(ids)
            while i < n:
                if i + 1 < n and ids[i] == left and ids[i + 1] == right:
                    out.append(merged_id)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        return tuple(ids)

    def _encode_ordinary(self, text: str) -> list[int]:
        """Ids of text that holds no special token."""
        pieces = GPT2_REGEX.findall(text)
        cache = self._cache
        missing = set(pieces).difference(cache)
        if missing:
            if len(cache) + len(missing) > _CACHE_LIMIT:
                cache.clear()
                missing = set(pieces)
            for piece in missing:
                cache[piece] = self._bpe(piece.encode("utf-8"))
        return list(chain.from_iterable(map(cache.__getitem__, pieces)))

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``; special tokens map to their own id and are never split."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        if self._special_regex is None:
            return self._encode_ordinary(text)
        ids: list[int] = []
        for piece, is_special in split_on_special_tokens(text, self._special_regex):
            if is_special:
                ids.append(self.special_ids[piece])
            else:
                ids.extend(self._encode_ordinary(piece))
        return ids

    def encode_iterable(self, iterable: Iterable[str]) -> Iterator[int]:
        """Encode a stream of strings (e.g. an open file's lines) lazily, yielding ids.

        The ids equal ``encode("".join(iterable))``. Memory stays bounded whatever the input's size:
        text is buffered only up to the last place where a cut cannot change the result (the end of
        a special token, or a whitespace that follows a non-whitespace character), in blocks of
        about 64 K characters. (Text with no such place, one endless word, is buffered whole.)
        """
        parts: list[str] = []
        size = 0
        for chunk in iterable:
            if not isinstance(chunk, str):
                raise TypeError(f"encode_iterable expects strings, got {type(chunk).__name__}")
            parts.append(chunk)
            size += len(chunk)
            if size < _FLUSH_CHARS:
                continue
            text = "".join(parts)
            cut = self._safe_cut(text)
            if cut:
                yield from self.encode(text[:cut])
                text = text[cut:]
            parts, size = [text], len(text)
        yield from self.encode("".join(parts))

    def _safe_cut(self, text: str) -> int:
        """The largest position where ``encode(text[:i]) + encode(text[i:])`` equals ``encode(text)``
        whatever text follows (0 if none is known)."""
        end = len(text)
        last_special_end = 0
        if self._special_regex is not None:
            # Hold back a tail that may be the start of a special token completed by the next chunk.
            longest = max(len(t) for t in self.special_tokens)
            for k in range(min(longest - 1, end), 0, -1):
                tail = text[end - k :]
                if any(t.startswith(tail) for t in self.special_tokens):
                    end -= k
                    break
            for match in self._special_regex.finditer(text, 0, end):
                last_special_end = match.end()
        # A whitespace right after a non-whitespace character always starts a new pre-token, and
        # GPT-2's regex never looks behind, so the text can be cut there.
        match = _LAST_WORD_END.search(text, last_special_end, end)
        if match is not None:
            return match.start() + 1
        return last_special_end

    # ------------------------------------------------------------------ decoding
    def decode_bytes(self, ids: Iterable[int] | Any) -> bytes:
        """The bytes of ``ids`` concatenated (a tensor or array of ids works too)."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        ids = list(ids)
        try:
            return b"".join(map(self.vocab.__getitem__, ids))
        except (KeyError, TypeError):
            for position, token_id in enumerate(ids):
                if not isinstance(token_id, int) or isinstance(token_id, bool):
                    raise TypeError(f"token ids must be ints, got {type(token_id).__name__} {token_id!r} at position {position}") from None
                if token_id not in self.vocab:
                    raise ValueError(f"unknown token id {token_id} at position {position} (the vocabulary has ids 0..{max(self.vocab)})") from None
            raise

    def decode(self, ids: Iterable[int] | Any) -> str:
        """The text of ``ids``; byte sequences that are not valid UTF-8 become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, special_tokens={self.special_tokens})"

