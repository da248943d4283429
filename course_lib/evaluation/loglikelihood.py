"""Log-likelihood of continuations and of whole texts, batched.

Continuations (the basis of multiple-choice scoring)::

    results = loglikelihood(lm, [("Tom had a red", " ball"), ("Tom had a red", " sky")])
    results[0].logprob, results[0].is_greedy, results[0].num_tokens

Whole texts (perplexity), cut into windows of at most ``lm.max_length`` tokens::

    r = rolling_loglikelihood(lm, text, stride=128)
    r.token_perplexity, r.word_perplexity, r.byte_perplexity, r.bits_per_byte

Conventions are lm-evaluation-harness's, so the scores agree with it: trailing spaces of a context
move to the continuation, the continuation's ids are those of ``encode(context + continuation)``
after ``len(encode(context))``, an empty context becomes the end-of-text token, a context too long
for the model loses its oldest tokens, and a text is scored from the end-of-text token.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from course_lib.evaluation.lm import ScoringLM

__all__ = [
    "LoglikelihoodResult",
    "RollingResult",
    "encode_pair",
    "loglikelihood",
    "loglikelihood_tokens",
    "token_windows",
    "rolling_loglikelihood",
    "count_words",
]


@dataclass(frozen=True)
class LoglikelihoodResult:
    """``logprob``: log p(continuation | context) in nats; ``is_greedy``: every continuation token is
    the model's argmax; ``num_tokens``: tokens in the continuation."""

    logprob: float
    is_greedy: bool
    num_tokens: int


def encode_pair(lm: ScoringLM, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """The ids of ``context`` and of ``continuation`` after it (lm-evaluation-harness's split)."""
    if not continuation:
        raise ValueError(f"empty continuation for context {context[-40:]!r}: there is nothing to score")
    if not context:
        cont = lm.encode(continuation)
        return ([lm.eot_id], cont) if cont[0] != lm.eot_id else (cont[:1], cont[1:])
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
    whole = lm.encode(context + continuation)
    context_ids = lm.encode(context)
    return context_ids, whole[len(context_ids) :]


@torch.no_grad()
def loglikelihood_tokens(
    lm: ScoringLM, pairs: Sequence[tuple[list[int], list[int]]], batch_size: int = 16
) -> list[LoglikelihoodResult]:
    """Score ``(context_ids, continuation_ids)`` pairs in batches of similar length.

    Each input is ``(context + continuation)[-(max_length + 1):][:-1]``: the context is cut from the
    left when the two do not fit. A continuation longer than ``max_length`` is a ``ValueError``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for i, (ctx, cont) in enumerate(pairs):
        if not cont:
            raise ValueError(f"pair {i}: the continuation has no tokens")
        if len(cont) > lm.max_length:
            raise ValueError(
                f"pair {i}: the continuation has {len(cont)} tokens, more than the model's context of {lm.max_length}"
            )
        if not ctx:
            raise ValueError(f"pair {i}: the context has no tokens (use the end-of-text id)")
    order = sorted(range(len(pairs)), key=lambda i: -len(pairs[i][0]) - len(pairs[i][1]))
    results: list[LoglikelihoodResult | None] = [None] * len(pairs)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        inputs = [(pairs[i][0] + pairs[i][1])[-(lm.max_length + 1) :][:-1] for i in chunk]
        width = max(len(x) for x in inputs)
        ids = torch.full((len(chunk), width), lm.eot_id, dtype=torch.long)
        for row, x in enumerate(inputs):
            ids[row, : len(x)] = torch.tensor(x, dtype=torch.long)
        logp = lm.log_probs(ids)
        for row, i in enumerate(chunk):
            cont = pairs[i][1]
            end = len(inputs[row])
            scores = logp[row, end - len(cont) : end]
            target = torch.tensor(cont, dtype=torch.long)
            logprob = float(scores.gather(-1, target[:, None]).sum())
            results[i] = LoglikelihoodResult(logprob, bool((scores.argmax(-1) == target).all()), len(cont))
    return results  # type: ignore[return-value]


def loglikelihood(
    lm: ScoringLM, requests: Sequence[tuple[str, str]], batch_size: int = 16
) -> list[LoglikelihoodResult]:
    """log p(continuation | context) for each ``(context, continuation)`` pair of strings."""
    return loglikelihood_tokens(lm, [encode_pair(lm, ctx, cont) for ctx, cont in requests], batch_size)


def token_windows(num_tokens: int, max_length: int, stride: int) -> list[tuple[int, int, int]]:
    """How to score ``num_tokens`` tokens with a model that sees ``max_length`` at once.

    Returns ``(input_start, target_start, target_end)`` triples over the sequence ``[eot] + tokens``:
    each window feeds positions ``[input_start, target_end)`` and scores the tokens
    ``tokens[target_start:target_end]``. Every token is scored exactly once. The first window scores
    its ``max_length`` tokens; each later one the next ``stride``, after as much context as fits
    (lm-evaluation-harness's windows, with ``context_len = max_length - stride + 1``). ``stride == max_length``
    gives non-overlapping windows (each starting with almost no context); a smaller stride slides the
    window so every token after the first window sees at least ``max_length - stride`` tokens of context.
    """
    if not 1 <= stride <= max_length:
        raise ValueError(f"stride must be in [1, max_length={max_length}], got {stride}")
    if num_tokens < 1:
        return []
    windows = [(0, 0, min(max_length, num_tokens))]  # the first window fills the model
    for target_start in range(windows[0][2], num_tokens, stride):
        target_end = min(target_start + stride, num_tokens)
        windows.append((target_end - max_length, target_start, target_end))
    return windows


_WORDS = re.compile(r"\s+")


def count_words(text: str) -> int:
    """Words as lm-evaluation-harness counts them for word perplexity (split on whitespace runs)."""
    return len(_WORDS.split(text))


@dataclass(frozen=True)
class RollingResult:
    """The log-likelihood of a text with the counts every normalisation needs.

    ``token_logprobs``: (num_tokens,) float32, the log-probability of each token.
    """

    logprob: float
    num_tokens: int
    num_words: int
    num_bytes: int
    token_logprobs: torch.Tensor

    @property
    def token_perplexity(self) -> float:
        return math.exp(-self.logprob / self.num_tokens)

    @property
    def word_perplexity(self) -> float:
        return math.exp(-self.logprob / self.num_words)

    @property
    def byte_perplexity(self) -> float:
        return math.exp(-self.logprob / self.num_bytes)

    @property
    def bits_per_byte(self) -> float:
        return -self.logprob / (self.num_bytes * math.log(2))


@torch.no_grad()
def rolling_loglikelihood(lm: ScoringLM, text: str, *, stride: int | None = None, batch_size: int = 8) -> RollingResult:
    """The log-likelihood of ``text`` scored from the end-of-text token, window by window.

    ``stride=None`` (or ``lm.max_length``) uses non-overlapping windows, as lm-evaluation-harness
    does; a smaller stride gives each window ``max_length - stride`` tokens of extra context
    (``stride=1`` is exact and costs one forward per token).
    """
    if not text:
        raise ValueError("cannot score an empty text")
    tokens = lm.encode(text)
    seq = [lm.eot_id] + tokens
    windows = token_windows(len(tokens), lm.max_length, stride or lm.max_length)
    token_logprobs = torch.empty(len(tokens))
    for start in range(0, len(windows), batch_size):
        chunk = windows[start : start + batch_size]
        width = max(end - inp for inp, _, end in chunk)
        ids = torch.full((len(chunk), width), lm.eot_id, dtype=torch.long)
        for row, (inp, _, end) in enumerate(chunk):
            ids[row, : end - inp] = torch.tensor(seq[inp:end], dtype=torch.long)
        logp = lm.log_probs(ids)
        for row, (inp, t0, t1) in enumerate(chunk):
            # tokens[t] sits at seq[t + 1]; it is predicted at window position t - inp.
            target = torch.tensor(tokens[t0:t1], dtype=torch.long)
            token_logprobs[t0:t1] = logp[row, t0 - inp : t1 - inp].gather(-1, target[:, None])[:, 0]
    return RollingResult(
        logprob=float(token_logprobs.double().sum()),
        num_tokens=len(tokens),
        num_words=count_words(text),
        num_bytes=len(text.encode("utf-8")),
        token_logprobs=token_logprobs,
    )
