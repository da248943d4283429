"""Encoding and decoding with a trained byte-level BPE: the :class:`Tokenizer`.

Encoding cuts the text like training did (special tokens whole, then GPT-2's regex), then applies
the merges to each pre-token in the order they were learned: the lowest-ranked adjacent pair first,
until none of the learned pairs is left (:func:`_encode_piece`, the reference merge).

That is all, but done one pre-token at a time in Python it runs at a fraction of tiktoken's speed.
The fast path does the same work once per *distinct* piece of text, in bulk:

1. The text is cut where a whitespace follows a non-whitespace character, into segments such as
   ``" time,"`` or ``"\\n\\nLily"`` (GPT-2's regex never matches across such a place). Text repeats,
   so there are several times fewer distinct segments than segments.
2. The distinct segments not yet cached are joined and cut by GPT-2's regex in one call (joining
   them changes no pre-token, since each starts with a whitespace and ends with a non-whitespace).
3. The distinct pre-tokens not yet cached are merged all at once with NumPy
   (:func:`~course_lib.tokenization.merge.apply_merges_batch`: in rounds, each word's lowest-ranked
   pair), a few at a time with :func:`_encode_piece`, and very long ones with a heap
   (:func:`~course_lib.tokenization.merge.apply_merges_heap`, ``n log n`` time).
4. The ids are the cached ids of the segments, concatenated (``map`` over a dict runs in C).

The caches are plain dicts held by the tokenizer (no reference cycle: a dropped tokenizer is freed
at once), emptied when they outgrow ``_CACHE_LIMIT`` entries.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

import numpy as np
import regex

from course_lib.tokenization.files import read_vocab_merges, write_vocab_merges
from course_lib.tokenization.merge import MergeTable, apply_merges_batch, apply_merges_heap
from course_lib.tokenization.pretokenize import (
    GPT2_REGEX,
    check_special_tokens,
    special_token_regex,
    split_on_special_tokens,
)

__all__ = ["Tokenizer"]

_CACHE_LIMIT = 1 << 16
"""Entries in each cache (segments, pre-tokens) kept between calls; a fuller cache is emptied."""
_MAX_CACHED_CHARS = 64
"""Longer segments and pre-tokens are encoded but not kept, so the caches' memory stays bounded."""
_NO_MERGE = sys.maxsize
"""The rank of a pair that no merge joins: larger than any real rank."""
_HEAP_ABOVE = 256
"""Pre-tokens with more bytes than this are merged with a heap (:func:`apply_merges_heap`)."""
_BATCH_ABOVE = 32
"""More new pre-tokens than this are merged together with NumPy, fewer one by one."""
_SEGMENT = regex.compile(r"\s*\S+|\s+")
"""Whitespace-delimited segments: each ends where a whitespace follows a non-whitespace character."""
_SPACE_AFTER_WHITESPACE = regex.compile(r"\s ")
"""Where it does not match, every space starts a segment, and ``str.split(" ")`` finds them."""
_FLUSH_CHARS = 1 << 16
_LAST_WORD_END = regex.compile(r"(?r)\S\s")
"""Searched backwards: the last non-whitespace character followed by a whitespace one."""


def _encode_piece(ranks: Mapping[tuple[int, int], int], merged: Sequence[int], ids: list[int]) -> list[int]:
    """Apply the merges to one pre-token's byte ids: the adjacent pair of lowest rank first, leftmost first.

    ``ranks`` maps a pair of ids to its merge's rank, ``merged[rank]`` is the id it makes. The rank
    of each adjacent pair is kept in a list, and after a merge only the two pairs beside it change.
    """
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
    return ids


class _Cache:
    """A dict from text to its ids (``table``) that encodes every missing key of a batch at once.

    Between calls it keeps at most ``_CACHE_LIMIT`` entries of at most ``_MAX_CACHED_CHARS``
    characters. (It holds no reference to the tokenizer: ``encode_many`` is passed to each call.)
    """

    __slots__ = ("table",)

    def __init__(self) -> None:
        self.table: dict[str, tuple[int, ...]] = {}  # a plain dict: set.difference(dict) looks up keys in C

    def fill(self, keys: Sequence[str], encode_many: Callable[[list[str]], list[tuple[int, ...]]]) -> list[str]:
        """Encode the keys not in the cache yet, all at once with ``encode_many``; returns them, for :meth:`trim`."""
        table = self.table
        if all(map(table.__contains__, keys)):  # runs in C, and stops at the first missing key
            return []
        new = set(keys).difference(table)
        if len(table) + len(new) > _CACHE_LIMIT:
            table.clear()
            new = set(keys)
        added = list(new)
        table.update(zip(added, encode_many(added)))
        return added

    def trim(self, added: list[str]) -> None:
        """Forget what :meth:`fill` added beyond the limits, once the caller has read it."""
        table = self.table
        if len(table) > _CACHE_LIMIT:
            table.clear()
            return
        for key in added:
            if len(key) > _MAX_CACHED_CHARS:
                del table[key]

    def lookup(self, keys: Sequence[str], encode_many: Callable[[list[str]], list[tuple[int, ...]]]) -> list[tuple[int, ...]]:
        """The ids of each of ``keys``."""
        added = self.fill(keys, encode_many)
        found = list(map(self.table.__getitem__, keys))
        self.trim(added)
        return found

    def __len__(self) -> int:
        return len(self.table)


def _ends(items: Sequence[Sequence[Any]]) -> np.ndarray:
    """Where each item ends if they are laid end to end: the running sum of their lengths."""
    return np.cumsum(np.fromiter(map(len, items), dtype=np.int64, count=len(items)))


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
                    raise ValueError(f"merge {rank} ({left!r}, {right!r}) needs the token {part!r}, which is not in vocab")
            self._ranks.setdefault((self._ids[left], self._ids[right]), rank)
            self._merged.append(self._ids[left + right])
        self._byte_id_array = np.asarray(self._byte_ids, dtype=np.int64)
        self._table: MergeTable | None = None  # built on the first batch of pre-tokens
        self._piece_cache = _Cache()  # pre-token -> ids
        self._segment_cache = _Cache()  # whitespace-delimited segment -> ids
        self._spaced_cache = _Cache()  # part of str.split(" ") -> ids of " " + part

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

    def _merge_bytes(self, data: bytes) -> tuple[int, ...]:
        """The ids of one pre-token's UTF-8 bytes, merged one pre-token at a time."""
        ids = list(data) if self._bytes_are_ids else list(map(self._byte_ids.__getitem__, data))
        if len(ids) > _HEAP_ABOVE:
            return tuple(apply_merges_heap(ids, self._ranks, self._merged))
        return tuple(_encode_piece(self._ranks, self._merged, ids))

    def _encode_pieces(self, pieces: list[str]) -> list[tuple[int, ...]]:
        """The ids of each pre-token: a few one by one, many at once with NumPy, long ones with a heap."""
        data = list(map(str.encode, pieces))
        if len(data) <= _BATCH_ABOVE:
            return list(map(self._merge_bytes, data))
        lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
        short = lengths <= _HEAP_ABOVE
        batch = data if short.all() else [d for d, s in zip(data, short.tolist()) if s]
        if self._table is None:
            self._table = MergeTable(self._ranks, self._merged)
        ids, merged_lengths = apply_merges_batch(
            self._byte_id_array[np.frombuffer(b"".join(batch), dtype=np.uint8)], lengths[short], self._table
        )
        flat = ids.tolist()
        ends = np.cumsum(merged_lengths).tolist()
        merged = list(map(tuple, map(flat.__getitem__, map(slice, [0, *ends[:-1]], ends))))
        if batch is data:
            return merged
        in_order = iter(merged)
        return [next(in_order) if s else self._merge_bytes(d) for d, s in zip(data, short.tolist())]

    def _encode_segments(self, segments: list[str], alone: Collection[str] = ()) -> list[tuple[int, ...]]:
        """The ids of each segment.

        The segments not in ``alone`` start with a whitespace and end with a non-whitespace
        character: GPT-2's regex cuts their concatenation at the same places as each one alone, so
        one call of the regex does them all. Those in ``alone`` (the first and last segment of a
        stretch of text) are cut one by one.
        """
        joined = [s for s in segments if s not in alone] if alone else segments
        pieces = GPT2_REGEX.findall("".join(joined))
        piece_ids = self._piece_cache.lookup(pieces, self._encode_pieces)
        flat = list(chain.from_iterable(piece_ids))
        last_piece = np.searchsorted(_ends(pieces), _ends(joined))  # of each segment
        ends = _ends(piece_ids)[last_piece].tolist()
        found = list(map(tuple, map(flat.__getitem__, map(slice, [0, *ends[:-1]], ends))))
        if joined is segments:
            return found
        by_key = dict(zip(joined, found))
        rest = [s for s in segments if s in alone]
        by_key.update(zip(rest, self._encode_texts(rest)))
        return list(map(by_key.__getitem__, segments))

    def _encode_texts(self, texts: list[str]) -> list[tuple[int, ...]]:
        """The ids of each text, each cut by GPT-2's regex on its own (one lookup for all pieces)."""
        pieces = list(map(GPT2_REGEX.findall, texts))
        piece_ids = iter(self._piece_cache.lookup(list(chain.from_iterable(pieces)), self._encode_pieces))
        return [tuple(chain.from_iterable(islice(piece_ids, len(p)))) for p in pieces]

    def _stretches(self, text: str) -> list[tuple[int, list[str], bool]]:
        """``text`` cut at special tokens, then each stretch of ordinary text into segments.

        Returns ``(special_id, [], False)`` for a special token, ``(-1, segments, spaced)`` for a
        stretch: when ``spaced``, the segments after the first are ``" " + part`` for the ``parts``
        given (``str.split(" ")``'s, found much faster than by a regex, which it can do when every
        space of the stretch follows a non-whitespace character, as in most prose).
        """
        stretches: list[tuple[int, list[str], bool]] = []
        for piece, is_special in split_on_special_tokens(text, self._special_regex):
            if is_special:
                stretches.append((self.special_ids[piece], [], False))
            elif _SPACE_AFTER_WHITESPACE.search(piece) is None:
                stretches.append((-1, piece.split(" "), True))
            else:
                stretches.append((-1, _SEGMENT.findall(piece), False))
        return stretches

    def _assemble(self, stretches: list[tuple[int, list[str], bool]]) -> list[int]:
        """The ids of the stretches from the caches (``KeyError`` if a segment is not there).

        A stretch's first and last segment are in ``_segment_cache``; those between (which start
        with a whitespace and end with a non-whitespace character) in ``_spaced_cache`` (by
        ``part``, for ``" " + part``) or ``_segment_cache``.
        """
        segment_ids, spaced_ids = self._segment_cache.table.__getitem__, self._spaced_cache.table.__getitem__
        ids: list[int] = []
        for special_id, keys, spaced in stretches:
            if special_id >= 0:
                ids.append(special_id)
                continue
            ids += segment_ids(keys[0])
            if len(keys) > 1:
                ids += chain.from_iterable(map(spaced_ids if spaced else segment_ids, islice(keys, 1, len(keys) - 1)))
                ids += segment_ids(" " + keys[-1] if spaced else keys[-1])
        return ids

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``; special tokens map to their own id and are never split.

        The text is cut at special tokens, then where a whitespace follows a non-whitespace
        character, into segments such as ``" time,"`` or ``"\\n\\nLily"`` (:meth:`_stretches`).
        GPT-2's regex never matches across such a place nor looks behind, so encoding the segments
        one by one gives the same ids. Their ids come from caches (:meth:`_assemble`); when some
        are missing, all the missing ones are encoded first, together (:meth:`_encode_segments`).
        """
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        stretches = self._stretches(text)
        try:
            return self._assemble(stretches)  # everything cached: the fastest path
        except KeyError:
            pass
        ends: list[str] = []  # the first and last segment of each stretch
        inner: tuple[list[str], list[str]] = ([], [])  # the other segments: plain, and spaced parts
        for special_id, keys, spaced in stretches:
            if special_id < 0:
                ends.append(keys[0])
                if len(keys) > 1:
                    ends.append(" " + keys[-1] if spaced else keys[-1])
                    inner[spaced].extend(islice(keys, 1, len(keys) - 1))
        alone = set(ends)
        added = (
            self._segment_cache.fill(inner[False] + ends, lambda keys: self._encode_segments(keys, alone)),
            self._spaced_cache.fill(inner[True], lambda parts: self._encode_segments(list(map(" ".__add__, parts)))),
        )
        ids = self._assemble(stretches)
        self._segment_cache.trim(added[0])
        self._spaced_cache.trim(added[1])
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
                    raise TypeError(f"token ids must be ints, got {type(token_id).__name__} {token_id!r} at position {position}") from None
                if token_id not in self.vocab:
                    raise ValueError(f"unknown token id {token_id} at position {position} (the vocabulary has ids 0..{max(self.vocab)})") from None
            raise

    def decode(self, ids: Iterable[int] | Any) -> str:
        """The text of ``ids``; byte sequences that are not valid UTF-8 become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, special_tokens={self.special_tokens})"

