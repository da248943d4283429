"""Merging inside one long word: every merge applied with a priority queue.

Encoding a word applies the merges lowest rank first. Rescanning every adjacent pair after each
merge costs time proportional to the word's length per merge, so quadratic time in all for one long
word (a 300,000-character line without spaces). :func:`apply_merges_heap` keeps the word as a
doubly linked list and the candidate merges in a heap keyed by ``(rank, position)``: each merge
touches only its two neighbours, so a word of ``n`` bytes takes ``O(n log n)`` time.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["MergeTable", "NO_MERGE", "apply_merges_batch", "apply_merges_heap"]


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


class MergeTable:
    """The merges as a hash table in NumPy arrays, to look up the ranks of many pairs at once.

    A pair of ids ``(left, right)`` is the key ``left << 32 | right``; it goes to slot ``hash(key)``
    of ``slot_keys`` (the next free slot if that one is taken: open addressing), and its merge's
    rank to the same slot of ``slot_ranks``. The table is at least four times larger than the
    number of merges, so most lookups find their slot at the first try. ``merged[rank]`` is the id
    that a merge makes.
    """

    def __init__(self, ranks: Mapping[tuple[int, int], int], merged: Sequence[int]) -> None:
        keys = np.fromiter((left << 32 | right for left, right in ranks), dtype=np.int64, count=len(ranks))
        values = np.fromiter(ranks.values(), dtype=np.int64, count=len(ranks))
        self.bits = max(4, (4 * len(keys)).bit_length())
        self.slot_keys = np.full(1 << self.bits, -1, dtype=np.int64)
        self.slot_ranks = np.full(1 << self.bits, NO_MERGE, dtype=np.int64)
        self.merged = np.asarray(merged, dtype=np.int64)
        pending, slots = np.arange(len(keys)), self._slots(keys)
        while len(pending):  # each free slot goes to the first pending key that wants it; the others move on
            free = self.slot_keys[slots] == -1
            taken, first = np.unique(slots[free], return_index=True)
            winners = pending[free][first]
            self.slot_keys[taken], self.slot_ranks[taken] = keys[winners], values[winners]
            lost = np.ones(len(pending), dtype=bool)
            lost[np.flatnonzero(free)[first]] = False
            pending, slots = pending[lost], (slots[lost] + 1) & ((1 << self.bits) - 1)

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        """Each key's first slot (Fibonacci hashing: the top bits of ``key * 2^64 / phi``)."""
        return ((keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - self.bits)).astype(np.int64)

    def rank_of(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """The rank of each pair ``(left[i], right[i])``, ``NO_MERGE`` where no merge joins it."""
        keys = left << 32 | right
        slots = self._slots(keys)
        found = self.slot_keys[slots]
        ranks = np.where(found == keys, self.slot_ranks[slots], NO_MERGE)
        pending = np.flatnonzero((found != keys) & (found != -1))  # the slot holds another key: try the next
        while len(pending):
            slots[pending] = (slots[pending] + 1) & ((1 << self.bits) - 1)
            found = self.slot_keys[slots[pending]]
            hit = found == keys[pending]
            ranks[pending[hit]] = self.slot_ranks[slots[pending[hit]]]
            pending = pending[~hit & (found != -1)]
        return ranks


NO_MERGE = np.iinfo(np.int64).max
"""The rank :meth:`MergeTable.rank_of` gives a pair that no merge joins."""


def apply_merges_batch(ids: np.ndarray, lengths: np.ndarray, table: MergeTable) -> tuple[np.ndarray, np.ndarray]:
    """Apply every merge to many words at once, in rounds of NumPy operations.

    ``ids``: (total,) int64, the words' ids one after the other; ``lengths``: (words,) int64, each
    word's length (at least 1). Returns ``(ids, lengths)`` of the merged words, in the same order.

    Each round looks up the rank of every adjacent pair of every unfinished word (one
    ``searchsorted``), takes each word's lowest rank, and merges that pair wherever it occurs in the
    word, left to right without overlaps (``a a a`` -> ``aa a``). That is what applying the
    lowest-ranked pair one occurrence at a time does, since the pairs a merge creates hold the new
    id and rank later. A word with no mergeable pair left is finished and leaves the arrays, so a
    round costs time for the unfinished words only; there are as many rounds as the most merges
    any one word takes (keep very long words for :func:`apply_merges_heap`).
    """
    num_words = len(lengths)
    word = np.repeat(np.arange(num_words), lengths)
    rank = _pair_ranks(ids, word, np.arange(len(ids)), table)  # rank[i]: the pair (ids[i], ids[i + 1])
    done_words: list[np.ndarray] = []
    done_ids: list[np.ndarray] = []
    while len(ids):
        starts = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
        best = np.minimum.reduceat(rank, starts)  # each word's lowest rank
        sizes = np.diff(np.r_[starts, len(ids)])
        if (best == NO_MERGE).any():  # those words are finished: they leave the arrays
            finished = np.repeat(best == NO_MERGE, sizes)
            done_words.append(word[finished])
            done_ids.append(ids[finished])
            keep = ~finished
            ids, word, rank = ids[keep], word[keep], rank[keep]
            best, sizes = best[best != NO_MERGE], sizes[best != NO_MERGE]
            if len(ids) == 0:
                break
        hit = rank == np.repeat(best, sizes)
        merge_at = np.flatnonzero(hit)
        if (hit[1:] & hit[:-1]).any():
            # Runs of hits (only the pair (a, a) in a run of a's): merge the 1st, 3rd, ... of each run.
            position = np.arange(len(ids))
            run_start = np.maximum.accumulate(np.where(hit & ~np.r_[False, hit[:-1]], position, 0))
            merge_at = np.flatnonzero(hit & ((position - run_start) % 2 == 0))
        ids[merge_at] = table.merged[rank[merge_at]]
        keep = np.ones(len(ids), dtype=bool)
        keep[merge_at + 1] = False
        ids, word, rank = ids[keep], word[keep], rank[keep]
        # Only the pairs on either side of a merge changed; merge k moved back by the k merges before it.
        merged_at = merge_at - np.arange(len(merge_at))
        changed = np.zeros(len(ids), dtype=bool)
        changed[merged_at] = True
        changed[merged_at[merged_at > 0] - 1] = True
        changed = np.flatnonzero(changed)
        rank[changed] = _pair_ranks(ids, word, changed, table)
    if not done_words:
        return np.zeros(0, dtype=np.int64), np.zeros(num_words, dtype=np.int64)
    words = np.concatenate(done_words)
    order = np.argsort(words, kind="stable")  # each word left in one round: its ids stay in order
    return np.concatenate(done_ids)[order], np.bincount(words, minlength=num_words)


def _pair_ranks(ids: np.ndarray, word: np.ndarray, at: np.ndarray, table: MergeTable) -> np.ndarray:
    """The rank of the pair ``(ids[i], ids[i + 1])`` for each ``i`` in ``at``; ``NO_MERGE`` at a word's end."""
    rank = np.full(len(at), NO_MERGE, dtype=np.int64)
    inside = at < len(ids) - 1
    inside[inside] = word[at[inside]] == word[at[inside] + 1]
    rank[inside] = table.rank_of(ids[at[inside]], ids[at[inside] + 1])
    return rank
