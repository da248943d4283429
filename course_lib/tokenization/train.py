"""Training byte-level BPE: repeatedly merge the most frequent adjacent pair of tokens.

The corpus is first reduced to its distinct pre-tokens and their counts (``pretokenize``), so the
work per merge depends on the vocabulary of words, not on the corpus size. Each merge then touches
only the words that contain the merged pair (an index from pair to words), updates the pair counts
incrementally, and the next pair comes from a priority queue (a heap with lazy deletion: stale
entries are skipped when popped) instead of a scan over every pair.

Conventions (shared with the assignment and checked against it): ids 0-255 are the single bytes in
byte order, merged tokens follow in merge order, special tokens come last; ties in pair count go to
the lexicographically greater pair of byte strings.

C accelerator: the merge loop also exists in C (``_fast_train.c``: the same incremental pair counts
and lazy heap, every word a linked list of positions as :class:`_LinkedWord` keeps long words), like
the standard library's ``heapq``/``_heapq``. ``pip install`` builds it where a C compiler is found and
skips it otherwise (:mod:`~course_lib.tokenization.accelerate`). Its merges are identical to this
module's (the tests compare them); ``backend=`` picks one: ``"auto"`` (C when built), ``"c"`` or
``"python"``. The Python code below is the reference and the one to read.
"""

from __future__ import annotations

import heapq
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from types import ModuleType

from course_lib.tokenization.accelerate import Backend, accelerator
from course_lib.tokenization.pretokenize import check_special_tokens, count_pretokens_in_file

__all__ = ["train_bpe", "train_bpe_from_counts"]

_LINKED_ABOVE = 64
"""Words with more bytes than this are kept as a :class:`_LinkedWord` while training."""


_DESCENDING_BYTE = [(256 - b).to_bytes(2, "big") for b in range(256)]
_END_OF_TOKEN = (257).to_bytes(2, "big")


def _descending_key(token: bytes) -> bytes:
    """A key that sorts byte strings in reverse: ``a > b`` exactly when ``key(a) < key(b)``.

    Each byte becomes two (``256 - b``, big-endian) and an end marker larger than them all follows,
    so a prefix sorts after its extensions. The heap (a min-heap) then pops, among pairs with equal
    counts, the lexicographically greatest pair first, comparing keys in C.
    """
    return b"".join(_DESCENDING_BYTE[b] for b in token) + _END_OF_TOKEN


def train_bpe_from_counts(
    word_counts: Mapping[bytes, int], num_merges: int, *, backend: Backend = "auto"
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Learn up to ``num_merges`` merges from pre-token counts (``{pre-token bytes: count}``).

    ``backend``: ``"auto"`` runs the C accelerator if it is built (and this code for counts too large
    for its 64-bit integers), ``"c"`` only the C accelerator, ``"python"`` only this code; the
    results are identical.

    Returns ``(vocab, merges)``: ids 0-255 the single bytes, then one id per merge in order (no
    special tokens). Stops early when no adjacent pair is left.
    """
    if num_merges < 0:
        raise ValueError(f"num_merges must be >= 0, got {num_merges}")
    fast = accelerator("_fast_train", backend)
    if fast is not None:
        try:
            return _train_c(fast, word_counts, num_merges)
        except OverflowError:
            if backend == "c":
                raise
    return _train_python(word_counts, num_merges)


def _train_c(
    fast: ModuleType, word_counts: Mapping[bytes, int], num_merges: int
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """:func:`train_bpe_from_counts` with the merge loop in C (``fast``): the same result."""
    vocab: dict[int, bytes] = {i: bytes([i]) for i in range(256)}
    merges: list[tuple[bytes, bytes]] = []
    for a, b in fast.train_merges(list(word_counts), list(word_counts.values()), num_merges):
        vocab[len(vocab)] = vocab[a] + vocab[b]
        merges.append((vocab[a], vocab[b]))
    return vocab, merges


def _train_python(
    word_counts: Mapping[bytes, int], num_merges: int
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """:func:`train_bpe_from_counts` in Python: the reference."""
    vocab: dict[int, bytes] = {i: bytes([i]) for i in range(256)}
    merges: list[tuple[bytes, bytes]] = []

    words: list[list[int] | _LinkedWord] = []
    counts: list[int] = []
    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    pair_words: dict[tuple[int, int], set[int]] = defaultdict(set)
    for word, count in word_counts.items():
        if len(word) > 1 and count > 0:
            index = len(words)
            words.append(_LinkedWord(word) if len(word) > _LINKED_ABOVE else list(word))
            counts.append(count)
            for pair in zip(word, word[1:]):
                pair_counts[pair] += count
                pair_words[pair].add(index)

    keys = [_descending_key(vocab[i]) for i in range(256)]
    heap = [(-count, keys[a] + keys[b], a, b) for (a, b), count in pair_counts.items()]
    heapq.heapify(heap)

    while len(merges) < num_merges and heap:
        neg_count, _, a, b = heapq.heappop(heap)
        if pair_counts.get((a, b), 0) != -neg_count:
            continue  # stale: this pair's count changed after the entry was pushed
        new_id = len(vocab)
        vocab[new_id] = vocab[a] + vocab[b]
        keys.append(keys[a][: -len(_END_OF_TOKEN)] + keys[b])  # the key of vocab[a] + vocab[b], copied in C
        merges.append((vocab[a], vocab[b]))

        # Net change of each pair's count over the words that hold (a, b). Pairs away from the
        # merge cancel out (-count, then +count) and are left alone.
        delta: dict[tuple[int, int], int] = defaultdict(int)
        for index in pair_words.pop((a, b)):
            symbols = words[index]
            count = counts[index]
            if isinstance(symbols, _LinkedWord):
                for pair in symbols.merge(a, b, new_id, count, delta):
                    pair_words[pair].add(index)
                continue
            created: set[tuple[int, int]] = set()
            words[index] = _merge_list(symbols, a, b, new_id, count, delta, created)
            for pair in created:
                pair_words[pair].add(index)
        for pair, change in delta.items():
            if change == 0:
                continue
            count = pair_counts[pair] + change
            if count > 0:
                pair_counts[pair] = count
                heapq.heappush(heap, (-count, keys[pair[0]] + keys[pair[1]], pair[0], pair[1]))
            else:
                del pair_counts[pair]
                pair_words.pop(pair, None)
    return vocab, merges


def _merge_list(
    symbols: list[int],
    a: int,
    b: int,
    new_id: int,
    count: int,
    delta: dict[tuple[int, int], int],
    created: set[tuple[int, int]],
) -> list[int]:
    """``symbols`` with every ``(a, b)`` merged left to right (``a a a`` -> ``aa a``), adding the
    change of each pair beside a merge (times ``count``) to ``delta`` and the new pairs to ``created``.

    Only the pairs that touch a merge change. Between two merges that follow each other (``a b a b``)
    the old pair ``(b, a)`` is removed once and the new pair is ``(new, new)``.
    """
    out: list[int] = []
    n = len(symbols)
    last = n - 1
    i = 0
    merged_before = False  # whether out[-1] is a merge that ended just before i
    while i < n:
        symbol = symbols[i]
        if symbol == a and i < last and symbols[i + 1] == b:
            delta[a, b] -= count
            if out:
                if not merged_before:
                    delta[out[-1], a] -= count
                pair = (out[-1], new_id)
                delta[pair] += count
                created.add(pair)
            if i + 2 < n:
                right = symbols[i + 2]
                delta[b, right] -= count
                if not (right == a and i + 3 < n and symbols[i + 3] == b):  # else the next merge adds (new, new)
                    pair = (new_id, right)
                    delta[pair] += count
                    created.add(pair)
            out.append(new_id)
            i += 2
            merged_before = True
        else:
            out.append(symbol)
            i += 1
            merged_before = False
    return out


class _LinkedWord:
    """A long word for training: a doubly linked list of symbols and, for each adjacent pair, the
    positions where it starts, so that a merge costs time for its occurrences only, not for the
    word's length (a list would be rebuilt at each merge: quadratic time for one huge word)."""

    __slots__ = ("symbols", "nxt", "prv", "at")

    def __init__(self, word: bytes) -> None:
        n = len(word)
        self.symbols = list(word)
        self.nxt = list(range(1, n + 1))
        self.prv = list(range(-1, n - 1))
        self.at: dict[tuple[int, int], set[int]] = defaultdict(set)
        for i, pair in enumerate(zip(word, word[1:])):
            self.at[pair].add(i)

    def merge(self, a: int, b: int, new_id: int, count: int, delta: dict[tuple[int, int], int]) -> set[tuple[int, int]]:
        """Merge every ``(a, b)`` left to right, adding each pair's change (times ``count``) to
        ``delta``; returns the new pairs (those that hold ``new_id``)."""
        symbols, nxt, prv, at = self.symbols, self.nxt, self.prv, self.at
        n = len(symbols)
        created: set[tuple[int, int]] = set()
        for i in sorted(at.pop((a, b), ())):
            j = nxt[i]
            if symbols[i] != a or j >= n or symbols[j] != b:
                continue  # merged away by the occurrence just before (a a a merged as (a, a))
            delta[a, b] -= count
            p, k = prv[i], nxt[j]
            if p >= 0:
                old, pair = (symbols[p], a), (symbols[p], new_id)
                delta[old] -= count
                at[old].discard(p)
                delta[pair] += count
                at[pair].add(p)
                created.add(pair)
            if k < n:
                old, pair = (b, symbols[k]), (new_id, symbols[k])
                delta[old] -= count
                at[old].discard(j)
                delta[pair] += count
                at[pair].add(i)
                created.add(pair)
                prv[k] = i
            symbols[i], symbols[j] = new_id, -1
            nxt[i] = k
        return created


def train_bpe(
    input_path: str | os.PathLike[str],
    vocab_size: int,
    special_tokens: Sequence[str] | None = None,
    *,
    num_workers: int | None = None,
    backend: Backend = "auto",
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Train a byte-level BPE tokenizer on the UTF-8 text file ``input_path``.

    Args:
        input_path: the training text; documents may be separated by special tokens.
        vocab_size: the final vocabulary size, counting the 256 bytes, the merges and the special
            tokens (so ``vocab_size - 256 - len(special_tokens)`` merges are learned, fewer if the
            corpus runs out of pairs).
        special_tokens: strings never split and never merged across (e.g. ``["<|endoftext|>"]``);
            they get the last ids.
        num_workers: processes for pre-tokenization; ``None`` uses every core, ``1`` none. They are
            forked where that is safe (Linux, one thread) and started from a fork server otherwise
            (Jupyter, macOS): there, as always with multiprocessing, a script must call
            ``train_bpe`` under ``if __name__ == "__main__":``.
        backend: the code that pre-tokenizes and merges: ``"auto"`` the C accelerators where built,
            ``"c"`` only them (an error if one is not built), ``"python"`` only the Python code;
            the results are identical.

    Returns:
        ``(vocab, merges)``: ``vocab`` maps id -> token bytes; ``merges`` lists the merged pairs in
        creation order. Deterministic: ties in pair count go to the lexicographically greater pair.
    """
    tokens = check_special_tokens(special_tokens)
    accelerator("_fast_train", backend)  # an unknown backend, or "c" where it is not built: fail before the work
    if not isinstance(vocab_size, int) or vocab_size < 256 + len(tokens):
        raise ValueError(
            f"vocab_size must be an int >= 256 + {len(tokens)} special token(s) = {256 + len(tokens)}, got {vocab_size!r}"
        )
    text_counts = count_pretokens_in_file(input_path, tokens, num_workers=num_workers, backend=backend)
    word_counts = {word.encode("utf-8"): count for word, count in text_counts.items()}
    vocab, merges = train_bpe_from_counts(word_counts, vocab_size - 256 - len(tokens), backend=backend)
    for token in tokens:
        vocab[len(vocab)] = token.encode("utf-8")
    return vocab, merges
