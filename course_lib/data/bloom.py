"""A Bloom filter: set membership in a fixed bit array, no false negatives, tunable false positives.

bf = BloomFilter.for_capacity(100_000, error_rate=0.01)    # m and k from the formulas
bf.add("some line"); "some line" in bf                      # True
bf.false_positive_rate(n)                                   # (1 - e^(-k n / m))^k
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["BloomFilter", "optimal_bits_per_element"]


def optimal_bits_per_element(error_rate: float) -> float:
    """The optimal Bloom filter's bits per element for ``error_rate``: ``-ln(p) / ln(2)^2``
    (the information-theoretic lower bound for any structure is ``log2(1/p)``)."""
    if not 0 < error_rate < 1:
        raise ValueError(f"error_rate must be in (0, 1), got {error_rate}")
    return -math.log(error_rate) / math.log(2) ** 2


class BloomFilter:
    """``num_bits`` bits and ``num_hashes`` positions per item by double hashing
    (``h1 + i * h2 mod m``, Kirsch and Mitzenmacher 2006) of a 16-byte BLAKE2b digest."""

    def __init__(self, num_bits: int, num_hashes: int) -> None:
        if num_bits < 1 or num_hashes < 1:
            raise ValueError(f"need num_bits >= 1 and num_hashes >= 1, got {num_bits}, {num_hashes}")
        self.num_bits, self.num_hashes = num_bits, num_hashes
        self.bits = np.zeros((num_bits + 7) // 8, dtype=np.uint8)
        self.count = 0

    @classmethod
    def for_capacity(cls, capacity: int, error_rate: float = 0.01) -> BloomFilter:
        """The filter that holds ``capacity`` items at ``error_rate``: ``m = -n ln p / ln(2)^2``
        bits and ``k = (m / n) ln 2`` hashes (rounded)."""
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        m = math.ceil(capacity * optimal_bits_per_element(error_rate))
        return cls(m, max(1, round(m / capacity * math.log(2))))

    def _positions(self, items: Iterable[str | bytes]) -> npt.NDArray[np.uint64]:
        """Bit positions, shape ``(number of items, num_hashes)``."""
        digests = b"".join(
            hashlib.blake2b(x.encode("utf-8") if isinstance(x, str) else x, digest_size=16).digest() for x in items
        )
        h = np.frombuffer(digests, dtype=np.uint64).reshape(-1, 2)
        i = np.arange(self.num_hashes, dtype=np.uint64)
        with np.errstate(over="ignore"):
            return (h[:, :1] + i * (h[:, 1:] | np.uint64(1))) % np.uint64(self.num_bits)

    def add_many(self, items: Iterable[str | bytes]) -> None:
        """Insert every item."""
        pos = self._positions(items).ravel()
        np.bitwise_or.at(
            self.bits, (pos >> np.uint64(3)).astype(np.int64), (np.uint8(1) << (pos & np.uint64(7)).astype(np.uint8))
        )
        self.count += len(pos) // self.num_hashes

    def add(self, item: str | bytes) -> None:
        self.add_many([item])

    def contains_many(self, items: Iterable[str | bytes]) -> npt.NDArray[np.bool_]:
        """For each item, whether it may be in the set (``False`` is certain), shape ``(n,)``."""
        pos = self._positions(items)
        bit = (self.bits[(pos >> np.uint64(3)).astype(np.int64)] >> (pos & np.uint64(7)).astype(np.uint8)) & 1
        return bit.all(axis=1)

    def __contains__(self, item: str | bytes) -> bool:
        return bool(self.contains_many([item])[0])

    def false_positive_rate(self, n: int | None = None) -> float:
        """The expected false-positive rate after ``n`` insertions (default: those made so far)."""
        n = self.count if n is None else n
        return (1.0 - math.exp(-self.num_hashes * n / self.num_bits)) ** self.num_hashes

    def bits_per_element(self, n: int | None = None) -> float:
        """``num_bits / n`` (default ``n``: the insertions so far)."""
        n = self.count if n is None else n
        return self.num_bits / max(n, 1)
