"""Exact deduplication: whole documents by hash, and lines across documents (as C4 did with
three-sentence spans).

    keep = exact_dedup(docs)            # indices of the first copy of each distinct document
    docs = line_dedup(docs)             # every line that occurs more than once in the corpus removed
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

__all__ = ["doc_hash", "exact_dedup", "line_counts", "line_dedup"]


def doc_hash(text: str) -> bytes:
    """A 16-byte BLAKE2b digest of ``text``'s UTF-8 bytes (collisions: about 2**-64 per pair)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def exact_dedup(docs: Sequence[str]) -> list[int]:
    """Indices of the documents to keep: the first of each group of byte-identical documents."""
    seen: set[bytes] = set()
    keep = []
    for i, doc in enumerate(docs):
        h = doc_hash(doc)
        if h not in seen:
            seen.add(h)
            keep.append(i)
    return keep


def _line_key(line: str) -> bytes:
    return hashlib.blake2b(line.encode("utf-8"), digest_size=8).digest()


def line_counts(docs: Sequence[str]) -> Counter[bytes]:
    """How many times each line (by an 8-byte hash) occurs across ``docs``."""
    counts: Counter[bytes] = Counter()
    for doc in docs:
        counts.update(_line_key(line) for line in doc.split("\n"))
    return counts


def line_dedup(docs: Sequence[str], counts: Counter[bytes] | None = None) -> list[str]:
    """Each document with every line that occurs more than once in the corpus removed (all copies,
    so repeated boilerplate disappears everywhere); empty lines are kept only between kept lines.
    ``counts`` may come from :func:`line_counts` over a larger corpus (e.g. all files)."""
    counts = counts if counts is not None else line_counts(docs)
    out = []
    for doc in docs:
        lines = [line for line in doc.split("\n") if counts[_line_key(line)] == 1 or not line.strip()]
        out.append("\n".join(lines).strip("\n"))
    return out
