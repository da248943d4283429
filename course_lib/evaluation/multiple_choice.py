"""Multiple choice by log-likelihood: score every choice as a continuation, pick the likeliest.

Three rules pick the answer from the same log-likelihoods (lm-evaluation-harness's metrics):

* ``acc``: the largest total log-likelihood; favours short choices (fewer tokens, fewer penalties);
* ``acc_norm``: the largest log-likelihood per character of the choice;
* ``acc_bytes``: the largest log-likelihood per UTF-8 byte of the choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_lib.evaluation.lm import ScoringLM
from course_lib.evaluation.loglikelihood import loglikelihood

__all__ = ["MultipleChoiceItem", "MultipleChoiceResult", "score_multiple_choice", "choose"]


@dataclass(frozen=True)
class MultipleChoiceItem:
    """A question: the ``context``, its ``choices`` (continuations, with their leading space) and the
    index of the right one, ``gold``."""

    context: str
    choices: tuple[str, ...]
    gold: int

    def __post_init__(self) -> None:
        if len(self.choices) < 2:
            raise ValueError(f"a multiple-choice item needs at least 2 choices, got {len(self.choices)}")
        if any(not c for c in self.choices):
            raise ValueError(f"empty choice in {self.choices!r}")
        if not 0 <= self.gold < len(self.choices):
            raise ValueError(f"gold index {self.gold} is outside the {len(self.choices)} choices")


def choose(logprobs: Sequence[float], choices: Sequence[str], rule: str = "acc") -> int:
    """The index picked by ``rule`` (``"acc"``, ``"acc_norm"`` or ``"acc_bytes"``) from per-choice
    log-likelihoods."""
    lls = np.asarray(logprobs, dtype=np.float64)
    if rule == "acc":
        return int(np.argmax(lls))
    if rule == "acc_norm":
        return int(np.argmax(lls / np.array([len(c) for c in choices], dtype=np.float64)))
    if rule == "acc_bytes":
        return int(np.argmax(lls / np.array([len(c.encode("utf-8")) for c in choices], dtype=np.float64)))
    raise ValueError(f"unknown rule {rule!r}: expected 'acc', 'acc_norm' or 'acc_bytes'")


@dataclass(frozen=True)
class MultipleChoiceResult:
    """Per-item log-likelihoods and correctness under each rule.

    ``logprobs[i]``: the log-likelihood of each choice of item ``i``; ``correct[rule]``: (items,)
    0/1 array.
    """

    logprobs: list[list[float]]
    correct: dict[str, np.ndarray]

    def accuracy(self, rule: str = "acc") -> float:
        return float(self.correct[rule].mean())


def score_multiple_choice(
    lm: ScoringLM, items: Sequence[MultipleChoiceItem], batch_size: int = 16
) -> MultipleChoiceResult:
    """Score every choice of every item in one batched pass; return all three accuracies."""
    if not items:
        raise ValueError("no items to score")
    requests = [(item.context, choice) for item in items for choice in item.choices]
    flat = [r.logprob for r in loglikelihood(lm, requests, batch_size)]
    logprobs, pos = [], 0
    for item in items:
        logprobs.append(flat[pos : pos + len(item.choices)])
        pos += len(item.choices)
    correct = {
        rule: np.array(
            [choose(lls, item.choices, rule) == item.gold for lls, item in zip(logprobs, items)], dtype=float
        )
        for rule in ("acc", "acc_norm", "acc_bytes")
    }
    return MultipleChoiceResult(logprobs, correct)
