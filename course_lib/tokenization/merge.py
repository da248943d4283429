"""Merging a pair inside a word: the readable rule, and every merge applied with a priority queue.

:func:`merge_word` is the rule, written to be read: BPE training and the textbook encoder apply it
once per merge. Notebook 01 builds it inline, the a1 answer key is the student's own, and the tests'
literal reference trainer uses this one; they are the same lines.

Encoding a word applies the merges lowest rank first. Rescanning every adjacent pair after each
merge costs time proportional to the word's length per merge, so quadratic time in all for one long
word (a 300,000-character line without spaces). :func:`apply_merges_heap` keeps the word as a
doubly linked list and the candidate merges in a heap keyed by ``(rank, position)``: each merge
touches only its two neighbours, so a word of ``n`` bytes takes ``O(n log n)`` time.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

__all__ = ["merge_word", "apply_merges_heap"]


def merge_word(word: tuple[bytes, ...], pair: tuple[bytes, bytes]) -> tuple[bytes, ...]:
    """Replace each occurrence of ``pair`` in ``word``, scanning left to right, by the joined token.

    ``merge_word((b"a", b"a", b"a"), (b"a", b"a")) == (b"aa", b"a")``: an occurrence that overlaps
    one already merged is left alone.
    """
    out: list[bytes] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def apply_merges_heap(ids: Sequence[int], ranks: Mapping[tuple[int, int], int], merged: Sequence[int]) -> list[int]:
    """Apply every merge to one word: repeatedly the adjacent pair of lowest rank, leftmost first.

    ``ranks`` maps a pair of ids to the rank of its merge, ``merged[rank]`` is the id that merge
    makes. The result equals applying
    the lowest-ranked pair everywhere (left to right) until no pair of ``ranks`` is left, as
    tiktoken and HF tokenizers do, in ``O(n log n)`` time for ``n`` ids instead of ``O(n^2)``.

    Heap entries are single ints, ``rank << shift | position`` (compared in C); an entry is stale
    when its position was merged away or the pair there has changed, and is skipped when popped.
    """
    symbols = list(ids)
    n = len(symbols)
    if n < 2:
        return symbols
    shift = n.bit_length()
    mask = (1 << shift) - 1
    nxt = list(range(1, n + 1))
    prv = list(range(-1, n - 1))
    get = ranks.get
    heap = [rank << shift | i for i, rank in enumerate(map(get, zip(symbols, symbols[1:]))) if rank is not None]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        key = pop(heap)
        i = key & mask
        left = symbols[i]
        j = nxt[i]
        if left < 0 or j >= n:
            continue  # merged away, or now the last symbol
        rank = get((left, symbols[j]))
        if rank is None or rank != key >> shift:
            continue  # the pair at i has changed since this entry was pushed
        new_id = merged[rank]
        symbols[i] = new_id
        symbols[j] = -1
        k = nxt[j]
        nxt[i] = k
        if k < n:
            prv[k] = i
            rank = get((new_id, symbols[k]))
            if rank is not None:
                push(heap, rank << shift | i)
        p = prv[i]
        if p >= 0:
            rank = get((symbols[p], new_id))
            if rank is not None:
                push(heap, rank << shift | p)
    return [s for s in symbols if s >= 0]
