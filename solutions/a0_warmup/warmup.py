"""Assignment 0: PyTorch warm-up.

Five small exercises on the tensor skills every later assignment uses. Write each with tensor
operations only: no Python loops over elements, no ``torch.nn.functional`` shortcuts for the very
thing the exercise asks for.
"""

from __future__ import annotations

import torch


def pairwise_sq_distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distance between every row of ``x`` and every row of ``y``, by broadcasting.

    x: (n, d), y: (m, d) -> (n, m) with out[i, j] = sum_k (x[i, k] - y[j, k]) ** 2.
    """
    # BEGIN SOLUTION: raise ValueError naming both shapes unless x is (n, d) and y is (m, d) with the same d; then broadcast x as (n, 1, d) against y as (1, m, d) and reduce over d.
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"expected x (n, d) and y (m, d) with the same d, got {tuple(x.shape)} and {tuple(y.shape)}")
    diff = x[:, None, :] - y[None, :, :]
    return (diff * diff).sum(dim=-1)
    # END SOLUTION


def batched_attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Dot products of queries with keys for every batch and head, with one ``torch.einsum``.

    q: (batch, heads, t_q, d), k: (batch, heads, t_k, d) -> (batch, heads, t_q, t_k).
    """
    # BEGIN SOLUTION: one einsum whose output subscripts are "bhqk".
    return torch.einsum("bhqd,bhkd->bhqk", q, k)
    # END SOLUTION


def gather_targets(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The logit of each target class, by advanced indexing (or ``torch.gather``).

    logits: (batch, classes), targets: (batch,) int64 -> (batch,) with out[i] = logits[i, targets[i]].
    """
    # BEGIN SOLUTION: index rows with torch.arange(batch) and columns with targets.
    return logits[torch.arange(logits.shape[0], device=logits.device), targets]
    # END SOLUTION


def log_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable log-softmax along ``dim``; same shape as ``x``.

    Must stay finite for logits as large as 1e4 (where exp overflows) and match
    ``torch.log_softmax`` to float32 precision.
    """
    # BEGIN SOLUTION: subtract the max along `dim` first, then use the log-sum-exp of what is left.
    shifted = x - x.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
    # END SOLUTION


def fit_line(x: torch.Tensor, y: torch.Tensor, steps: int = 500, lr: float = 0.1) -> tuple[float, float]:
    """Fit y ≈ w·x + b by gradient descent on the mean squared error, using autograd.

    x, y: (n,) float tensors. Start from w = b = 0, take ``steps`` plain gradient-descent steps of
    size ``lr`` (use ``loss.backward()``, update under ``torch.no_grad()``, zero the gradients), and
    return ``(w, b)`` as Python floats.
    """
    # BEGIN SOLUTION: w and b are tensors with requires_grad=True; loss = ((w * x + b - y) ** 2).mean().
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item()
    # END SOLUTION
