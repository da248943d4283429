"""One BPE merge applied to a sequence of token ids: the step both training and encoding repeat."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["merge_pair"]


def merge_pair(ids: Sequence[int], left: int, right: int, merged_id: int) -> list[int]:
    """``ids`` with every adjacent ``(left, right)`` replaced by ``merged_id``, scanning left to right
    (so ``a a a`` merged as ``(a, a)`` gives ``aa a``, as GPT-2 does)."""
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i + 1 < n and ids[i] == left and ids[i + 1] == right:
            out.append(merged_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
