"""Encoding and decoding with a trained byte-level BPE: the :class:`Tokenizer`.

Encoding cuts the text like training did (special tokens whole, then GPT-2's regex), then applies
the merges to each pre-token in the order they were learned: the lowest-ranked adjacent pair first,
until none of the learned pairs is left. Text repeats a lot (" the", " said,"), so the ids of each
pre-token and of each whitespace-delimited segment are cached, and the cache lookups run in C
(``map`` over the segments), which is where most of the speed comes from. A long pre-token (one
word of thousands of characters) is merged with a heap, in ``n log n`` time. The caches' functions
hold the tables, never the tokenizer, so a tokenizer is in no reference cycle: dropping the last
reference frees it at once.

That is the Python code, the one to read. Where the C accelerator is built (``_fast_encode.c``,
:mod:`~course_lib.tokenization.accelerate`), ``encode`` runs the same steps in C by default: a scanner
that cuts exactly as GPT-2's regex does, a cache of pre-tokens, the same merges; the ids are identical.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

import regex

from course_lib.tokenization.accelerate import Backend, accelerator, gpt2_char_classes
from course_lib.tokenization.files import read_vocab_merges, write_vocab_merges
from course_lib.tokenization.merge import apply_merges_heap
from course_lib.tokenization.pretokenize import (
    GPT2_REGEX,
    check_special_tokens,
    special_token_regex,
    split_on_special_tokens,
)

__all__ = ["Tokenizer"]

_CACHE_LIMIT = 1 << 16
"""Entries in each cache (pre-tokens, segments, space-delimited parts) before it is emptied."""
_MAX_CACHED_CHARS = 64
"""Longer segments and pre-tokens are encoded but not kept, so the caches' memory stays bounded."""
_NO_MERGE = sys.maxsize
"""The rank of a pair that no merge joins: larger than any real rank."""
_HEAP_ABOVE = 48
"""Pre-tokens with more bytes than this are merged with a heap (:func:`apply_merges_heap`)."""
_SEGMENT = regex.compile(r"\s*\S+|\s+")
"""Whitespace-delimited segments: each ends where a whitespace follows a non-whitespace character."""
_SPACE_AFTER_WHITESPACE = regex.compile(r"\s ")
"""Where it does not match, every space starts a segment, and ``str.split(" ")`` finds them."""
_FLUSH_CHARS = 1 << 16
_LAST_WORD_END = regex.compile(r"(?r)\S\s")
"""Searched backwards: the last non-whitespace character followed by a whitespace one."""


class _Cache(dict):
    """A dict from text to ids that encodes (and, unless the text is long, keeps) what it lacks.

    Its size stays under ``_CACHE_LIMIT`` entries of at most ``_MAX_CACHED_CHARS`` characters: when
    full, it is emptied.

    ``dict.__getitem__`` calls ``__missing__`` for absent keys, so ``map(cache.__getitem__, keys)``
    runs in C for every hit and calls back into Python only for misses.
    """

    def __init__(self, encode: Callable[[str], tuple[int, ...]]) -> None:
        super().__init__()
        self.encode = encode

    def __missing__(self, key: str) -> tuple[int, ...]:
        ids = self.encode(key)
        if len(key) <= _MAX_CACHED_CHARS:
            if len(self) >= _CACHE_LIMIT:
                self.clear()
            self[key] = ids
        return ids

    def ids(self, keys: Iterable[str]) -> list[int]:
        """The concatenated ids of ``keys``."""
        return list(chain.from_iterable(map(self.__getitem__, keys)))


def _encode_piece(
    ranks: Mapping[tuple[int, int], int], merged: Sequence[int], byte_ids: list[int] | None, piece: str
) -> tuple[int, ...]:
    """Apply the merges to one pre-token: the adjacent pair of lowest rank first, leftmost first.

    ``ranks`` maps a pair of ids to its merge's rank, ``merged[rank]`` is the id it makes, and
    ``byte_ids`` maps each byte to its id (``None`` when byte ``b`` has id ``b``). A short piece
    keeps the rank of each adjacent pair in a list, and after a merge updates only the two pairs
    beside it; the minimum and its position are found in C. Long pieces go through the heap of
    :func:`apply_merges_heap`, whose time grows as ``n log n`` rather than ``n^2``.
    """
    data = piece.encode("utf-8")
    ids = list(data) if byte_ids is None else list(map(byte_ids.__getitem__, data))
    if len(ids) > _HEAP_ABOVE:
        return tuple(apply_merges_heap(ids, ranks, merged))
    lookup = ranks.get
    found = list(map(lookup, zip(ids, ids[1:]), repeat(_NO_MERGE)))
    while found:
        best = min(found)
        if best == _NO_MERGE:
            break
        position = found.index(best)
        new_id = merged[best]
        ids[position : position + 2] = [new_id]
        del found[position]
        if position:
            found[position - 1] = lookup((ids[position - 1], new_id), _NO_MERGE)
        if position < len(found):
            found[position] = lookup((new_id, ids[position + 1]), _NO_MERGE)
    return tuple(ids)


def _encode_segment(piece_cache: _Cache, segment: str) -> tuple[int, ...]:
    """The ids of one whitespace-delimited segment: its pre-tokens' ids, concatenated."""
    pieces = GPT2_REGEX.findall(segment)
    if len(pieces) == 1:
        return piece_cache[pieces[0]]
    return tuple(piece_cache.ids(pieces))


def _encode_spaced(segment_cache: _Cache, part: str) -> tuple[int, ...]:
    """The ids of ``" " + part``. A long part (lines without a space, as in lists or tables) is cut
    into its whitespace-delimited segments first, so that its lines are cached one by one."""
    text = " " + part
    if len(text) <= _MAX_CACHED_CHARS:
        return segment_cache.encode(text)
    return tuple(segment_cache.ids(_SEGMENT.findall(text)))


class Tokenizer:
    """A byte-level BPE tokenizer: ``vocab`` (id -> bytes), ``merges`` (in rank order), special tokens.

    Special tokens already in ``vocab`` (as their UTF-8 bytes) keep their id; the others get new ids
    after the largest. Every single byte must be in ``vocab`` and every merge's two parts and result
    too, or ``ValueError`` says which is missing.

    ``backend`` chooses the code that encodes (:mod:`~course_lib.tokenization.accelerate`): ``"auto"``
    the C accelerator when it is built, ``"python"`` the Python code below, ``"c"`` C or an error.
    The ids are the same; ``self.backend`` says which one runs.
    """

    def __init__(
        self,
        vocab: Mapping[int, bytes],
        merges: Sequence[tuple[bytes, bytes]],
        special_tokens: Sequence[str] | None = None,
        *,
        backend: Backend = "auto",
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
            raise ValueError(
                f"vocab lacks {len(missing_bytes)} single byte(s), e.g. {bytes(missing_bytes[:5])!r}: byte-level BPE needs all 256"
            )
        self._byte_ids: list[int] = [self._ids[bytes([b])] for b in range(256)]
        self._bytes_are_ids = self._byte_ids == list(range(256))

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
        self._ranks: dict[tuple[int, int], int] = {}  # pair of ids -> the rank of its (first) merge
        self._merged: list[int] = []  # rank -> the id that merge makes
        for rank, (left, right) in enumerate(self.merges):
            for part in (left, right, left + right):
                if part not in self._ids:
                    raise ValueError(
                        f"merge {rank} ({left!r}, {right!r}) needs the token {part!r}, which is not in vocab"
                    )
            self._ranks.setdefault((self._ids[left], self._ids[right]), rank)
            self._merged.append(self._ids[left + right])
        # The C encoder and the caches' encode functions hold copies of the tables, never ``self``: no
        # reference cycle, so a dropped tokenizer is freed at once, without waiting for the collector.
        self._attach_encoder(backend)
        byte_ids = None if self._bytes_are_ids else self._byte_ids
        self._piece_cache = _Cache(partial(_encode_piece, self._ranks, self._merged, byte_ids))
        self._segment_cache = _Cache(partial(_encode_segment, self._piece_cache))
        self._spaced_cache = _Cache(partial(_encode_spaced, self._segment_cache))  # part -> ids of " " + part

    # ------------------------------------------------------------------ files
    @classmethod
    def from_files(
        cls,
        vocab_path: str | os.PathLike[str],
        merges_path: str | os.PathLike[str],
        special_tokens: Sequence[str] | None = None,
        *,
        backend: Backend = "auto",
    ) -> Tokenizer:
        """Load GPT-2 / HF byte-level files (``vocab.json``, ``merges.txt``), keeping their ids."""
        tokens = check_special_tokens(special_tokens)
        vocab, merges = read_vocab_merges(vocab_path, merges_path, tokens)
        return cls(vocab, merges, tokens, backend=backend)

    def save(self, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``vocab.json`` and ``merges.txt`` (GPT-2's format, loadable by HF tokenizers)."""
        return write_vocab_merges(directory, self.vocab, self.merges, self.special_tokens)

    # ------------------------------------------------------------------ encoding
    @property
    def vocab_size(self) -> int:
        """The number of ids (bytes, merges and special tokens)."""
        return len(self.vocab)

    def _encode_ordinary(self, text: str) -> list[int]:
        """Ids of text that holds no special token.

        The text is cut where a whitespace follows a non-whitespace character, into segments such
        as ``" time,"`` or ``"\\n\\nLily"``. GPT-2's regex never matches across such a place nor
        looks behind, so encoding the segments one by one gives the same ids, and whole segments
        (fewer and more repetitive than pre-tokens) are looked up in a cache. When every space in
        the text follows a non-whitespace character (most prose), ``str.split(" ")`` finds those
        places much faster than a regex: each part after the first is the segment ``" " + part``.
        (The C accelerator scans the text for pre-tokens itself and caches those.)
        """
        if self._fast is not None:
            return self._fast.encode(text)
        if _SPACE_AFTER_WHITESPACE.search(text) is None:
            parts = text.split(" ")
            ids = list(self._segment_cache[parts[0]])
            ids += self._spaced_cache.ids(islice(parts, 1, None))
            return ids
        return self._segment_cache.ids(_SEGMENT.findall(text))

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
                ids += self._encode_ordinary(piece)
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
        flush_at = _FLUSH_CHARS
        for chunk in iterable:
            if not isinstance(chunk, str):
                raise TypeError(f"encode_iterable expects strings, got {type(chunk).__name__}")
            parts.append(chunk)
            size += len(chunk)
            if size < flush_at:
                continue
            text = "".join(parts)
            cut = self._safe_cut(text)
            if cut:
                yield from self.encode(text[:cut])
                text = text[cut:]
            parts, size = [text], len(text)
            # Without a place to cut, wait for twice as much text before looking again (no quadratic rescans).
            flush_at = _FLUSH_CHARS if cut else 2 * size
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
                    raise TypeError(
                        f"token ids must be ints, got {type(token_id).__name__} {token_id!r} at position {position}"
                    ) from None
                if token_id not in self.vocab:
                    raise ValueError(
                        f"unknown token id {token_id} at position {position} (the vocabulary has ids 0..{max(self.vocab)})"
                    ) from None
            raise

    def decode(self, ids: Iterable[int] | Any) -> str:
        """The text of ``ids``; byte sequences that are not valid UTF-8 become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return (
            f"Tokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, special_tokens={self.special_tokens}, "
            f"backend={self.backend!r})"
        )

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        """The state without the C encoder, which cannot be pickled: ``copy.deepcopy``, ``multiprocessing``
        and DataLoader workers (which pickle what they are given) work with either backend."""
        return {**self.__dict__, "_fast": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._attach_encoder("auto" if self.backend == "c" else "python")  # no C build there: Python, same ids

    def _attach_encoder(self, backend: Backend) -> None:
        """Set ``backend`` and ``_fast``: the C encoder of the tables where ``backend`` asks for it and
        it is built, else None (the Python code). "auto" keeps to Python for ids past 32 bits (C's)."""
        if backend == "auto" and max(self.vocab) >= 2**31:
            backend = "python"
        module = accelerator("_fast_encode", backend)
        self.backend: str = "python" if module is None else "c"
        self._fast = (
            None if module is None else module.Encoder(self._ranks, self._merged, self._byte_ids, gpt2_char_classes())
        )
