"""Speculative decoding (Leviathan et al. 2023; Chen et al. 2023) and prompt-lookup decoding.

A cheap *draft* proposes ``k`` tokens one by one; the *target* scores all of them in one forward
pass (one weight read instead of ``k``). Draft token ``d`` proposed with probability ``q(d)`` is
accepted with probability ``min(1, p(d) / q(d))``, where ``p`` is the target's distribution; at the
first rejection the token is resampled from the normalised residual ``max(0, p - q)``; if all ``k``
are accepted the target's distribution after them gives one more token for free. Every emitted
token is then distributed exactly as the target alone would sample it, and greedy decoding
(``temperature=0``, one-hot ``p`` and ``q``) reproduces the target's greedy output.

*Prompt lookup* (Saxena 2023) needs no draft model: it proposes the tokens that followed the last
earlier occurrence of the sequence's final n-gram, a deterministic draft (``q`` one-hot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from course_lib.inference.kv_cache import KVCache, forward_with_cache, fuse_weights
from course_lib.inference.sampling import SamplingParams, process_logits

__all__ = [
    "PromptLookup",
    "SpeculativeResult",
    "accept_or_resample",
    "speculative_generate",
    "expected_tokens_per_round",
]


@dataclass(frozen=True)
class PromptLookup:
    """The draft-free proposer: match the last ``max_ngram`` .. ``min_ngram`` tokens earlier in the sequence."""

    max_ngram: int = 3
    min_ngram: int = 1

    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
        """Up to ``k`` tokens that followed the most recent earlier match of the longest trailing n-gram."""
        n_tokens = len(tokens)
        for n in range(min(self.max_ngram, n_tokens - 1), self.min_ngram - 1, -1):
            tail = list(tokens[n_tokens - n :])
            for start in range(n_tokens - n - 1, -1, -1):
                if list(tokens[start : start + n]) == tail:
                    return list(tokens[start + n : start + n + k])
        return []


@dataclass(frozen=True)
class SpeculativeResult:
    """``tokens``: the generated tokens; ``proposed`` / ``accepted``: draft tokens offered and kept;
    ``rejected``: rounds that ended with a rejection; ``target_calls``: target forward passes
    (prefill included); ``draft_calls``: draft forward passes."""

    tokens: list[int]
    proposed: int
    accepted: int
    rejected: int
    target_calls: int
    draft_calls: int

    @property
    def acceptance_rate(self) -> float:
        """The per-token acceptance probability alpha of Leviathan et al.: accepted over examined draft
        tokens (the tokens after a round's first rejection are never examined)."""
        examined = self.accepted + self.rejected
        return self.accepted / examined if examined else 0.0


def expected_tokens_per_round(alpha: float, k: int) -> float:
    """Tokens one target pass yields when each draft token is accepted independently with
    probability ``alpha``: ``(1 - alpha^(k+1)) / (1 - alpha)`` (Leviathan et al., eq. 1)."""
    return float(k + 1) if alpha >= 1 else (1 - alpha ** (k + 1)) / (1 - alpha)


def _distribution(logits: torch.Tensor, sampling: SamplingParams) -> torch.Tensor:
    """Probabilities (..., vocab) after the sampling filters; one-hot argmax when greedy."""
    processed = process_logits(logits, sampling)
    if sampling.greedy:
        return torch.nn.functional.one_hot(processed.argmax(-1), processed.shape[-1]).float()
    return processed.softmax(-1)


def accept_or_resample(
    p: torch.Tensor, q: torch.Tensor, drafts: Sequence[int], generator: torch.Generator | None = None
) -> tuple[int, int]:
    """The acceptance rule. p: (k + 1, vocab) target probabilities at each draft position and one past;
    q: (k, vocab) draft probabilities; drafts: the k proposed tokens -> (number accepted, next token)."""
    for i, d in enumerate(drafts):
        ratio = p[i, d] / q[i, d] if q[i, d] > 0 else torch.tensor(0.0)
        if torch.rand((), generator=generator, device=p.device) < ratio:  # min(1, .) is implied
            continue
        residual = (p[i] - q[i]).clamp_min(0)
        if residual.sum() <= 0:  # p == q: any rejection is measure-zero; fall back to p
            residual = p[i]
        return i, int(torch.multinomial(residual / residual.sum(), 1, generator=generator))
    return len(drafts), int(torch.multinomial(p[len(drafts)], 1, generator=generator))


class _Cached:
    """A model and its cache holding every token of the sequence but the newest."""

    def __init__(self, model: nn.Module, max_len: int):
        self.model, self.cache, self.calls = model, KVCache(model, 1, max_len), 0
        self.fused = fuse_weights(model)

    def feed(self, tokens: Sequence[int], num_logits: int = 1) -> torch.Tensor:
        """Run the tokens the cache lacks (those from ``cache.length`` on) -> logits (num_logits, vocab)
        of the last positions."""
        new = list(tokens[self.cache.length :])
        device = self.model.token_embeddings.weight.device
        positions = self.cache.advance(len(new))
        self.calls += 1
        ids = torch.tensor([new], device=device)
        return forward_with_cache(self.model, ids, positions, self.cache, num_logits=num_logits, fused=self.fused)[0]


@torch.inference_mode()
def speculative_generate(
    target: nn.Module,
    draft: nn.Module | PromptLookup,
    prompt: Sequence[int],
    max_new_tokens: int,
    *,
    k: int = 4,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
    eos_id: int | None = None,
    generator: torch.Generator | None = None,
) -> SpeculativeResult:
    """Generate up to ``max_new_tokens`` tokens after ``prompt`` (one sequence) with ``k`` draft tokens
    per round; ``draft`` is a smaller model with the target's vocabulary, or a :class:`PromptLookup`.
    Sampling knobs apply to both models' distributions (``temperature=0``: the target's greedy output).
    """
    prompt = [int(t) for t in prompt]
    if not prompt:
        raise ValueError("the prompt needs at least one token")
    if k < 1 or max_new_tokens < 1:
        raise ValueError(f"need k >= 1 and max_new_tokens >= 1, got k={k}, max_new_tokens={max_new_tokens}")
    max_len = len(prompt) + max_new_tokens + k
    for model in (target, draft):
        if isinstance(model, nn.Module):
            if model.config.vocab_size != target.config.vocab_size:
                raise ValueError(f"draft vocab {model.config.vocab_size} != target vocab {target.config.vocab_size}")
            if max_len > model.config.context_length:
                raise ValueError(
                    f"prompt + max_new_tokens + k = {max_len} exceeds the context {model.config.context_length}"
                )
            model.eval()
    sampling = SamplingParams(temperature, top_k, top_p, min_p)
    tgt = _Cached(target, max_len)
    drf = _Cached(draft, max_len) if isinstance(draft, nn.Module) else None
    seq, proposed, accepted, rejected = list(prompt), 0, 0, 0
    vocab = target.config.vocab_size
    while len(seq) - len(prompt) < max_new_tokens:
        n = len(seq)
        if drf is not None:
            drafts, q_rows = [], []
            logits = drf.feed(seq)[-1]
            for i in range(k):
                q = _distribution(logits, sampling)
                drafts.append(int(torch.multinomial(q, 1, generator=generator)))
                q_rows.append(q)
                if i < k - 1:
                    logits = drf.feed(seq + drafts)[-1]
            q = torch.stack(q_rows)
        else:
            drafts = draft.propose(seq, k)
            q = torch.nn.functional.one_hot(torch.tensor(drafts, dtype=torch.long), vocab).float()
        p = _distribution(tgt.feed(seq + drafts, len(drafts) + 1), sampling)
        n_ok, token = accept_or_resample(p, q, drafts, generator)
        proposed, accepted, rejected = proposed + len(drafts), accepted + n_ok, rejected + (n_ok < len(drafts))
        seq += drafts[:n_ok] + [token]
        tgt.cache.truncate(n + n_ok)  # the newest token is never cached: the next round feeds it
        if drf is not None:
            drf.cache.truncate(min(drf.cache.length, n + n_ok))
        if eos_id is not None and eos_id in seq[n:]:
            seq = seq[: seq.index(eos_id, n) + 1]
            break
    tokens = seq[len(prompt) : len(prompt) + max_new_tokens]
    return SpeculativeResult(tokens, proposed, accepted, rejected, tgt.calls, drf.calls if drf else 0)
