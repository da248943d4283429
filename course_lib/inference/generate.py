"""Autoregressive generation with a preallocated KV cache: prefill once, then one token per step.

:func:`stream_generate` yields each step's tokens as they are sampled; :func:`generate` collects them.
Prompts of different lengths are left-padded into one batch; the cache's mask hides the padding and
each row's positions start at its first real token, so every row computes what it would alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import torch
from torch import nn

from course_lib.inference.kv_cache import KVCache, forward_with_cache, fuse_weights
from course_lib.inference.sampling import SamplingParams, process_logits

__all__ = ["StepOutput", "left_pad", "stream_generate", "generate", "ends_with_stop"]


@dataclass(frozen=True)
class StepOutput:
    """One decoding step of a batch. ``tokens`` (batch,) int64: the token each row produced
    (``pad_id`` for rows that had already stopped); ``active`` (batch,) bool: the row produced a real
    token this step; ``finished`` (batch,) bool: the row has stopped (after this step)."""

    tokens: torch.Tensor
    active: torch.Tensor
    finished: torch.Tensor


def left_pad(prompts: Sequence[Sequence[int]], device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Right-align prompts of different lengths -> ids (batch, max_len) int64 and pad (batch,) int64
    (the number of padding slots in front of each row). Padding repeats each row's first token, a
    real token id that the mask hides and the repetition penalty has already seen."""
    if not prompts or any(len(p) == 0 for p in prompts):
        raise ValueError("need at least one prompt, and every prompt needs at least one token")
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[p[0]] * (width - len(p)) + list(p) for p in prompts], dtype=torch.long, device=device)
    pad = torch.tensor([width - len(p) for p in prompts], dtype=torch.long, device=device)
    return ids, pad


def ends_with_stop(generated: Sequence[int], stop: Sequence[Sequence[int]]) -> bool:
    """Whether the generated tokens end with one of the ``stop`` token sequences."""
    return any(len(s) and len(generated) >= len(s) and list(generated[-len(s) :]) == list(s) for s in stop)


def _check_ids(model: nn.Module, ids: torch.Tensor) -> None:
    vocab = model.config.vocab_size
    if ids.numel() and (int(ids.max()) >= vocab or int(ids.min()) < 0):
        raise ValueError(f"token ids must lie in [0, {vocab}), got min {int(ids.min())}, max {int(ids.max())}")


def _next_token(
    logits: torch.Tensor, sampling: SamplingParams, seq: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """The next token of every row, (batch,) int64, from the last position's ``logits`` (batch, vocab):
    the argmax when greedy, else a sample; ``seq`` (batch, seq) is the text so far (repetition penalty)."""
    if sampling.greedy and sampling.repetition_penalty == 1:
        return logits.argmax(dim=-1)
    if sampling.greedy:
        return process_logits(logits, sampling, seq).argmax(dim=-1)
    probs = process_logits(logits, sampling, seq).softmax(dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@torch.inference_mode()
def stream_generate(
    model: nn.Module,
    ids: torch.Tensor,
    max_new_tokens: int,
    *,
    pad: torch.Tensor | None = None,
    sampling: SamplingParams = SamplingParams(),
    eos_id: int | None = None,
    stop: Sequence[Sequence[int]] = (),
    generator: torch.Generator | None = None,
    use_cache: bool = True,
) -> Iterator[StepOutput]:
    """Yield one :class:`StepOutput` per decoding step, up to ``max_new_tokens`` steps.

    ids: (batch, seq) int64, left-padded by ``pad`` (batch,) slots (see :func:`left_pad`; default none).
    A row stops at ``eos_id`` or when its generated tokens end with a ``stop`` sequence; the stream
    ends when every row has stopped. Rows that stopped produce ``eos_id`` (or 0) as padding.
    ``use_cache=False`` re-runs the model on the whole sequence each step (the baseline the cache
    beats). Past ``context_length`` the window slides: each step then re-runs the last
    ``context_length`` tokens without the cache (their positions shift), as the uncached loop does.
    """
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise ValueError(f"expected ids of shape (batch, seq) with seq >= 1, got {tuple(ids.shape)}")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    _check_ids(model, ids)
    b, s = ids.shape
    context = model.config.context_length
    padded = pad is not None and bool(pad.any())
    if padded and s + max_new_tokens > context:
        raise ValueError(f"padded prompts of width {s} plus {max_new_tokens} new tokens exceed the context {context}")
    if padded and not use_cache:
        raise ValueError("use_cache=False takes prompts of one length only (no pad)")
    was_training = model.training
    model.eval()
    try:
        pad_id = 0 if eos_id is None else eos_id
        finished = torch.zeros(b, dtype=torch.bool, device=ids.device)
        seq = ids
        cache, fused = None, fuse_weights(model) if use_cache else None
        if use_cache and s <= context:
            cache = KVCache(model, b, min(s + max_new_tokens, context), pad)
            logits = forward_with_cache(model, ids, cache.advance(s), cache, num_logits=1, fused=fused)[:, -1]
        else:
            logits = model(ids[:, -context:])[:, -1]
        generated: list[list[int]] = [[] for _ in range(b)]
        can_stop = eos_id is not None or bool(stop)
        for step in range(max_new_tokens):
            nxt = _next_token(logits, sampling, seq, generator)
            active = ~finished
            if can_stop:
                nxt = torch.where(finished, torch.full_like(nxt, pad_id), nxt)
            if eos_id is not None:
                finished = finished | (nxt == eos_id)
            if stop:
                for i, token in enumerate(nxt.tolist()):
                    if active[i]:
                        generated[i].append(token)
                        if ends_with_stop(generated[i], stop):
                            finished[i] = True
            seq = torch.cat((seq, nxt[:, None]), dim=1)
            yield StepOutput(nxt, active, finished.clone() if can_stop else finished)
            if step == max_new_tokens - 1 or (can_stop and bool(finished.all())):
                break
            if cache is not None and cache.length < cache.max_len:
                logits = forward_with_cache(model, nxt[:, None], cache.advance(1), cache, fused=fused)[:, -1]
            else:
                logits = model(seq[:, -context:])[:, -1]
    finally:
        model.train(was_training)


@overload
def generate(model: nn.Module, ids: torch.Tensor, max_new_tokens: int, **kwargs) -> torch.Tensor: ...
@overload
def generate(model: nn.Module, ids: Sequence[Sequence[int]], max_new_tokens: int, **kwargs) -> list[list[int]]: ...


def generate(
    model: nn.Module,
    ids: torch.Tensor | Sequence[Sequence[int]],
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_p: float = 1.0,
    top_k: int = 0,
    min_p: float = 0.0,
    repetition_penalty: float = 1.0,
    eos_id: int | None = None,
    stop: Sequence[Sequence[int]] = (),
    generator: torch.Generator | None = None,
    use_cache: bool = True,
) -> torch.Tensor | list[list[int]]:
    """Extend prompts by up to ``max_new_tokens`` sampled tokens (``temperature=0``: greedy).

    * ``ids`` a tensor (batch, seq) int64 -> (batch, seq + steps) int64; rows that stopped early are
      padded with ``eos_id`` (or 0).
    * ``ids`` a list of token lists of any lengths -> a list of token lists, each its prompt plus the
      tokens generated up to and including its stop token/sequence.

    Sampling knobs as in :func:`~course_lib.inference.sampling.sample_next`; stop conditions and the
    cache as in :func:`stream_generate`. ``generator`` must live on the model's device.
    """
    sampling = SamplingParams(temperature, top_k, top_p, min_p, repetition_penalty)
    kwargs = dict(sampling=sampling, eos_id=eos_id, stop=stop, generator=generator, use_cache=use_cache)
    if isinstance(ids, torch.Tensor):
        steps = [out.tokens for out in stream_generate(model, ids, max_new_tokens, **kwargs)]
        return torch.cat((ids, torch.stack(steps, dim=1)), dim=1) if steps else ids.clone()
    device = model.token_embeddings.weight.device
    padded, pad = left_pad(ids, device)
    rows = [list(p) for p in ids]
    for out in stream_generate(model, padded, max_new_tokens, pad=pad, **kwargs):
        for i in out.active.nonzero().flatten().tolist():
            rows[i].append(int(out.tokens[i]))
    return rows
