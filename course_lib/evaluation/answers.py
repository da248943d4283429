"""Generative answers checked by a verifier: normalised exact match, the last number, pass@k."""

from __future__ import annotations

import math
import re
import string

import numpy as np

__all__ = ["normalize_answer", "exact_match", "extract_last_number", "pass_at_k", "naive_pass_at_k"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def exact_match(prediction: str, reference: str) -> bool:
    """Whether the two answers are equal after :func:`normalize_answer`."""
    return normalize_answer(prediction) == normalize_answer(reference)


_NUMBER = re.compile(r"-?[$0-9.,]{2,}|-?[0-9]+")


def extract_last_number(text: str) -> str | None:
    """The last number in ``text`` (GSM8K's "flexible extract": ``-?[$0-9.,]{2,}|-?[0-9]+``), with
    ``$``, thousands commas and a trailing full stop removed; ``None`` when there is none."""
    for match in reversed(_NUMBER.findall(text)):
        number = match.replace("$", "").replace(",", "").rstrip(".")
        if any(ch.isdigit() for ch in number):
            return number
    return None


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimate of pass@k from ``n`` samples of which ``c`` pass (Chen et al., 2021):
    ``1 - C(n - c, k) / C(n, k)``, computed as a stable product."""
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def naive_pass_at_k(n: int, c: int, k: int) -> float:
    """The biased plug-in estimate ``1 - (1 - c/n)^k`` (for comparison; it underestimates pass@k)."""
    if not (0 <= c <= n and k >= 1 and n >= 1):
        raise ValueError(f"need 0 <= c <= n, n >= 1 and k >= 1, got n={n}, c={c}, k={k}")
    return 1.0 - math.pow(1.0 - c / n, k)
