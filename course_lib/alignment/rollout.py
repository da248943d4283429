"""Sampling responses from a policy (batch them for the losses with ``batch_from_ids``).

Prompts of different lengths are sampled in buckets of equal length, so no padding ever sits
before a real token (the course model has no attention mask). A response is cut after its first
end-of-sequence token, which it keeps: the policy is rewarded or penalised for stopping too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from course_lib.alignment._interop import decode, encode, eos_token_id, model_logits
from course_lib.inference import sample_next

__all__ = ["sample_responses"]


@torch.no_grad()
def sample_responses(
    model: nn.Module,
    tokenizer: Any,
    prompts: Sequence[str],
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[list[list[int]], list[list[int]], list[str]]:
    """Sample one response per prompt (``temperature=0``: greedy).

    Returns ``(prompt_ids, response_ids, response_texts)``, lists in the order of ``prompts``. Each
    response has 1 to ``max_new_tokens`` ids and ends at its first end-of-sequence id, if any.
    """
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    eos = eos_token_id(tokenizer)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    prompt_ids = [encode(tokenizer, p) for p in prompts]
    for i, ids in enumerate(prompt_ids):
        if not ids:
            raise ValueError(f"prompt {i} is empty")
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, ids in enumerate(prompt_ids):
        buckets[len(ids)].append(i)
    responses: list[list[int]] = [[] for _ in prompts]
    for length in sorted(buckets):
        rows = buckets[length]
        ids = torch.tensor([prompt_ids[i] for i in rows], device=device)
        done = torch.zeros(len(rows), dtype=torch.bool, device=device)
        for _ in range(max_new_tokens):
            nxt = sample_next(model_logits(model, ids)[:, -1, :], temperature, 1.0, generator)
            ids = torch.cat((ids, nxt[:, None]), dim=1)
            if eos is not None:
                done |= nxt == eos
                if bool(done.all()):
                    break
        for row, i in enumerate(rows):
            out = ids[row, length:].tolist()
            if eos is not None and eos in out:
                out = out[: out.index(eos) + 1]
            responses[i] = out
    model.train(was_training)
    return prompt_ids, responses, [decode(tokenizer, r) for r in responses]
