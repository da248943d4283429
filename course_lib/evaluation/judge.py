"""LLM-as-judge, and how to catch its biases: ask in both orders, compare like with like.

A judge model reads a prompt holding two answers and names the better one; here the verdict is the
judge's log-probability of `` A`` against `` B`` after the prompt. Asking again with the answers
swapped exposes *position bias* (a verdict that follows the slot, not the answer); pairs that
differ only in length expose *length bias*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_lib.evaluation.lm import ScoringLM
from course_lib.evaluation.loglikelihood import loglikelihood

__all__ = ["JUDGE_TEMPLATE", "JudgeVerdicts", "judge_pairs"]

JUDGE_TEMPLATE = "Which story is better?\nStory A: {a}\nStory B: {b}\nThe better story is Story"


@dataclass(frozen=True)
class JudgeVerdicts:
    """Verdicts on pairs ``(x, y)``, each asked as (A=x, B=y) and as (A=y, B=x).

    ``margin_xy``, ``margin_yx``: (pairs,) log p(" A") - log p(" B") for each order.
    """

    margin_xy: np.ndarray
    margin_yx: np.ndarray

    @property
    def prefers_x(self) -> np.ndarray:
        """(pairs,) the verdict when both orders are pooled: x wins if its total margin is positive."""
        return self.margin_xy - self.margin_yx > 0

    @property
    def first_slot_rate(self) -> float:
        """How often the answer in slot A wins, over all 2 x pairs questions (0.5 = no position bias)."""
        return float(np.mean(np.concatenate([self.margin_xy > 0, self.margin_yx > 0])))

    @property
    def consistency(self) -> float:
        """The fraction of pairs whose verdict survives swapping the order."""
        return float(np.mean((self.margin_xy > 0) == (self.margin_yx < 0)))


def judge_pairs(
    lm: ScoringLM, pairs: Sequence[tuple[str, str]], template: str = JUDGE_TEMPLATE, batch_size: int = 16
) -> JudgeVerdicts:
    """Ask ``lm`` to judge every pair ``(x, y)`` in both orders with ``template`` (``{a}``, ``{b}``)."""
    if not pairs:
        raise ValueError("no pairs to judge")
    if "{a}" not in template or "{b}" not in template:
        raise ValueError("the judge template needs both {a} and {b} slots")
    requests = []
    for x, y in pairs:
        for a, b in ((x, y), (y, x)):
            prompt = template.format(a=a, b=b)
            requests += [(prompt, " A"), (prompt, " B")]
    lp = np.array([r.logprob for r in loglikelihood(lm, requests, batch_size)]).reshape(len(pairs), 2, 2)
    margins = lp[:, :, 0] - lp[:, :, 1]
    return JudgeVerdicts(margins[:, 0], margins[:, 1])
