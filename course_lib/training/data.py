"""Token data: random training windows from a (memory-mapped) token array, and a bigram baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

__all__ = ["get_batch", "save_tokens", "load_tokens", "bigram_loss"]


def get_batch(
    tokens: npt.NDArray[np.integer],
    batch_size: int,
    context_length: int,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample ``batch_size`` windows of ``context_length + 1`` consecutive tokens, uniformly.

    tokens: (n,) integer array (an ``np.memmap`` is read only where sampled).
    Returns ``(x, y)``, both (batch_size, context_length) int64 on ``device``, with ``y`` the
    next-token targets (``x`` shifted by one).
    """
    if tokens.ndim != 1:
        raise ValueError(f"expected a 1-D token array, got shape {tokens.shape}")
    n_starts = len(tokens) - context_length
    if n_starts < 1:
        raise ValueError(f"need more than context_length={context_length} tokens, got {len(tokens)}")
    starts = torch.randint(0, n_starts, (batch_size,), generator=generator).numpy()
    windows = np.asarray(tokens[starts[:, None] + np.arange(context_length + 1)], dtype=np.int64)
    batch = torch.from_numpy(windows).to(device)
    return batch[:, :-1], batch[:, 1:]


def save_tokens(ids: npt.ArrayLike, path: str | Path, vocab_size: int) -> Path:
    """Write token ids as a flat binary array (uint16 when the vocabulary fits, else int32)."""
    dtype = np.uint16 if vocab_size <= 2**16 else np.int32
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.asarray(ids, dtype=dtype).tofile(path)
    return path


def load_tokens(path: str | Path, vocab_size: int) -> np.memmap:
    """Memory-map a file written by :func:`save_tokens` (read-only)."""
    dtype = np.uint16 if vocab_size <= 2**16 else np.int32
    return np.memmap(path, dtype=dtype, mode="r")


def bigram_loss(
    train: npt.NDArray[np.integer],
    val: npt.NDArray[np.integer],
    vocab_size: int,
    smoothing: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0),
) -> float:
    """Cross-entropy (nats/token) on ``val`` of a bigram model counted on ``train``.

    ``p(b | a) = (count(a, b) + k * p_unigram(b)) / (count(a) + k)``, interpolating with the add-one
    unigram; the best ``k`` of ``smoothing`` is chosen on ``val`` itself, so the baseline is if
    anything optimistic.
    """
    train = np.asarray(train, dtype=np.int64)
    val = np.asarray(val, dtype=np.int64)
    unigram = (np.bincount(train, minlength=vocab_size) + 1.0) / (len(train) + vocab_size)
    pair_ids, pair_counts = np.unique(train[:-1] * vocab_size + train[1:], return_counts=True)
    context_counts = np.bincount(train[:-1], minlength=vocab_size).astype(np.float64)
    val_pairs = val[:-1] * vocab_size + val[1:]
    pos = np.searchsorted(pair_ids, val_pairs).clip(max=len(pair_ids) - 1)
    c_ab = np.where(pair_ids[pos] == val_pairs, pair_counts[pos], 0).astype(np.float64)
    c_a = context_counts[val[:-1]]
    p_b = unigram[val[1:]]
    return float(min(-np.mean(np.log((c_ab + k * p_b) / (c_a + k))) for k in smoothing))
