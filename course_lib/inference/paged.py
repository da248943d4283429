"""A paged KV cache (vLLM's PagedAttention, Kwon et al. 2023) with prefix caching.

The cache is one pool of fixed-size *blocks* of ``block_size`` token slots per layer. A sequence owns
a *block table*, the list of its blocks in order, so position ``p`` lives in slot
``table[p // block_size] * block_size + p % block_size``: no sequence needs contiguous memory, and
memory is wasted only in each sequence's last, partly filled block.

Prefix caching: a full block is named by a *chained hash*, the hash of (its parent block's hash, its
tokens), so equal names mean equal whole prefixes. Finished sequences give their blocks back, but a
named block keeps its contents until the allocator reuses it (least recently freed first), and a new
sequence whose prompt starts with the same blocks reuses them instead of recomputing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from course_lib.inference.kv_cache import cache_groups, cache_width

__all__ = ["BlockKey", "block_keys", "BlockAllocator", "PagedKVCache"]

BlockKey = tuple[int, tuple[int, ...]]  # (parent block's hash, this block's tokens)


def block_keys(tokens: Sequence[int], block_size: int) -> list[BlockKey]:
    """The chained keys of the full blocks of ``tokens``: key ``j`` is ``(hash(key j-1), tokens of block j)``
    (the first block's parent hash is 0). ``hash(key)`` is the block's chained hash."""
    keys: list[BlockKey] = []
    parent = 0
    for start in range(0, len(tokens) - block_size + 1, block_size):
        key = (parent, tuple(tokens[start : start + block_size]))
        keys.append(key)
        parent = hash(key)
    return keys


class BlockAllocator:
    """Hands out block ids, counts references, and remembers full blocks by their chained key.

    A block is *free* when no sequence references it; free blocks that hold a named prefix stay
    findable by :meth:`lookup` until :meth:`allocate` recycles them (oldest freed first).
    """

    def __init__(self, num_blocks: int, block_size: int):
        if num_blocks < 1 or block_size < 1:
            raise ValueError(f"need num_blocks >= 1 and block_size >= 1, got {num_blocks}, {block_size}")
        self.num_blocks, self.block_size = num_blocks, block_size
        self.ref_count = [0] * num_blocks
        self._free: OrderedDict[int, None] = OrderedDict.fromkeys(range(num_blocks))
        self._key_of: dict[int, BlockKey] = {}
        self._cached: dict[BlockKey, int] = {}
        self.prefix_queries = self.prefix_hits = 0

    @property
    def num_free(self) -> int:
        return len(self._free)

    def allocate(self) -> int:
        """A fresh block (reference count 1); evicts the least recently freed cached prefix if needed."""
        if not self._free:
            raise RuntimeError("out of KV cache blocks")
        block, _ = self._free.popitem(last=False)
        key = self._key_of.pop(block, None)
        if key is not None:
            del self._cached[key]
        self.ref_count[block] = 1
        return block

    def free(self, block: int) -> None:
        """Drop one reference; at zero the block becomes reusable (its cached prefix survives until then)."""
        if self.ref_count[block] <= 0:
            raise ValueError(f"block {block} is not in use")
        self.ref_count[block] -= 1
        if self.ref_count[block] == 0:
            self._free[block] = None

    def lookup(self, key: BlockKey) -> int | None:
        """The block holding the prefix ``key`` (taking a reference to it), or ``None``."""
        self.prefix_queries += 1
        block = self._cached.get(key)
        if block is None:
            return None
        self.prefix_hits += 1
        if self.ref_count[block] == 0:
            del self._free[block]
        self.ref_count[block] += 1
        return block

    def register(self, block: int, key: BlockKey) -> None:
        """Name a block that has just been filled; the first block to fill a prefix keeps the name."""
        if key not in self._cached and block not in self._key_of:
            self._cached[key] = block
            self._key_of[block] = key


class PagedKVCache:
    """The block pool of every layer, ``pools[layer]``: (num_blocks * block_size, width), plus its allocator.

    :meth:`prepare` sets up one forward for a batch of sequences that each add ``t`` tokens; then the
    cache serves :func:`~course_lib.inference.kv_cache.forward_with_cache` as a ``CacheView``.
    """

    def __init__(self, model: nn.Module, num_blocks: int, block_size: int = 16, *, dtype: torch.dtype | None = None):
        weight = model.token_embeddings.weight
        self.allocator = BlockAllocator(num_blocks, block_size)
        self.block_size = block_size
        self.pools = [
            torch.zeros(
                num_blocks * block_size, cache_width(layer.attn), device=weight.device, dtype=dtype or weight.dtype
            )
            for layer in model.layers
        ]
        self.groups = [cache_groups(layer.attn) for layer in model.layers]
        self.device = weight.device
        self.mask: torch.Tensor | None = None
        self.causal = False
        self._write = self._read = torch.empty(0, dtype=torch.long)

    @property
    def nbytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self.pools)

    def _slots(self, tables: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Pool rows of ``positions`` (b, n) through block tables (b, max_blocks) -> (b, n) int64."""
        blocks = tables.gather(1, torch.div(positions, self.block_size, rounding_mode="floor"))
        return blocks * self.block_size + positions % self.block_size

    def prepare(self, block_tables: Sequence[Sequence[int]], starts: Sequence[int], t: int) -> torch.Tensor:
        """Sequence ``i`` writes ``t`` new tokens at positions ``starts[i] ..`` into its blocks
        ``block_tables[i]`` (which must cover them) -> positions (b, t) int64."""
        b = len(block_tables)
        width = max(len(table) for table in block_tables)
        tables = torch.zeros(b, width, dtype=torch.long)
        for i, table in enumerate(block_tables):
            if len(table) * self.block_size < starts[i] + t:
                raise ValueError(f"sequence {i}: {len(table)} blocks cannot hold {starts[i] + t} tokens")
            tables[i, : len(table)] = torch.tensor(table, dtype=torch.long)
        start = torch.tensor(starts, dtype=torch.long)
        positions = start[:, None] + torch.arange(t)
        total = int(start.max()) + t
        keys = torch.arange(total)
        self._write = self._slots(tables, positions).flatten().to(self.device)
        # Keys past a row's end point at its block 0 (a valid slot); the mask hides them.
        self._read = self._slots(tables, keys.expand(b, total).clamp(max=(start + t - 1)[:, None])).to(self.device)
        self.causal = b == 1 and starts[0] == 0 and t > 1  # a fresh prefill: the kernel's causal mode
        self.mask = None if self.causal else (keys[None, None, :] <= positions[:, :, None])[:, None].to(self.device)
        return positions.to(self.device)

    def update(self, layer: int, entries: torch.Tensor) -> torch.Tensor:
        pool = self.pools[layer]
        pool[self._write] = entries.transpose(1, 2).reshape(-1, pool.shape[1]).to(pool.dtype)
        b, T = self._read.shape
        g = self.groups[layer]
        return pool[self._read].view(b, T, g, pool.shape[1] // g).transpose(1, 2)
