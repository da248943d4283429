"""Assignment 1, part 2: sampling training batches from a token array."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch


def get_batch(
    tokens: npt.NDArray[np.integer], batch_size: int, context_length: int, device: str | torch.device = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` windows starting at uniformly random positions of the 1-D token array ``tokens``
    (which may be an ``np.memmap``: read only the windows you need).

    Returns ``(inputs, targets)``, both (batch_size, context_length) int64 on ``device``, where
    ``targets[i, j] == tokens[start_i + j + 1]`` and ``inputs[i, j] == tokens[start_i + j]``. Every
    start position from 0 to ``len(tokens) - context_length - 1`` must be possible.
    """
    # BEGIN SOLUTION: draw starts with np.random.randint, index tokens with starts[:, None] + np.arange(context_length + 1)
    starts = np.random.randint(0, len(tokens) - context_length, size=batch_size)
    windows = torch.from_numpy(np.asarray(tokens[starts[:, None] + np.arange(context_length + 1)], dtype=np.int64))
    windows = windows.to(device)
    return windows[:, :-1], windows[:, 1:]
    # END SOLUTION
