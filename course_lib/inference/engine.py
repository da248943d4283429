"""Continuous batching (Orca, Yu et al. 2022) over the paged KV cache, as vLLM schedules it.

Every :meth:`Engine.step`:

1. **admission**: waiting requests join the running batch, first come first served, while the batch
   has room and the allocator has the blocks their prompt needs (after the prefix cache's hits); each
   newcomer is prefilled (only the tokens past its cached prefix) and samples its first token;
2. **decode**: every other running request advances one token in one batched forward. A request
   whose next token starts a new block gets one; when none is free, the most recently admitted
   request is **preempted**: its blocks are freed and it waits to be recomputed from its tokens.

Finished requests leave the batch at once and their slots go to the next in line: no request waits
for the longest one of its batch, which is what static batching costs.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from course_lib.inference.generate import ends_with_stop
from course_lib.inference.kv_cache import forward_with_cache, fuse_weights
from course_lib.inference.paged import PagedKVCache, block_keys
from course_lib.inference.sampling import SamplingParams, process_logits

__all__ = ["Request", "RequestOutput", "Engine"]


@dataclass
class Request:
    """A generation request and its state inside the engine."""

    request_id: Hashable
    prompt: list[int]
    max_tokens: int
    sampling: SamplingParams = SamplingParams()
    eos_id: int | None = None
    stop: Sequence[Sequence[int]] = ()
    generator: torch.Generator | None = None
    output: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    num_computed: int = 0  # tokens whose cache entries are in ``blocks``
    num_named: int = 0  # leading full blocks registered in the prefix cache
    num_cached_prompt: int = 0  # prompt tokens served by the prefix cache at the last admission
    preemptions: int = 0
    finish_reason: str | None = None

    @property
    def tokens(self) -> list[int]:
        return self.prompt + self.output


@dataclass(frozen=True)
class RequestOutput:
    """What one step produced for one request: its new ``token``, and whether it has ``finished``
    (``finish_reason`` "stop": EOS or a stop sequence; "length": ``max_tokens`` or the context)."""

    request_id: Hashable
    token: int
    finished: bool
    finish_reason: str | None


class Engine:
    """Continuous-batching generation over a :class:`~course_lib.inference.paged.PagedKVCache`.

    ``num_blocks`` x ``block_size`` token slots are shared by at most ``max_batch_size`` running
    requests. Use :meth:`add_request` / :meth:`abort` and call :meth:`step` until
    :meth:`has_unfinished` is False, or :meth:`generate` for a whole list of prompts. The weights are
    copied once into the decoding layout (:func:`~course_lib.inference.kv_cache.fuse_weights`): build
    a new engine after changing them.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        num_blocks: int = 256,
        block_size: int = 16,
        max_batch_size: int = 16,
        prefix_caching: bool = True,
    ):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        self.model = model.eval()
        self.fused = fuse_weights(model)  # a copy of the weights laid out for decoding, taken now
        self.cache = PagedKVCache(model, num_blocks, block_size)
        self.block_size, self.max_batch_size, self.prefix_caching = block_size, max_batch_size, prefix_caching
        self.context_length = model.config.context_length
        self.waiting: deque[Request] = deque()
        self.running: list[Request] = []
        self._ids = itertools.count()
        self.num_preemptions = 0

    # -- requests ---------------------------------------------------------------------------------
    def add_request(
        self,
        prompt: Sequence[int],
        max_tokens: int,
        sampling: SamplingParams = SamplingParams(),
        *,
        request_id: Hashable | None = None,
        eos_id: int | None = None,
        stop: Sequence[Sequence[int]] = (),
        seed: int | None = None,
    ) -> Hashable:
        """Queue a request; returns its id. Raises ValueError for a prompt that can never be served."""
        prompt = [int(t) for t in prompt]
        vocab = self.model.config.vocab_size
        if not prompt or min(prompt) < 0 or max(prompt) >= vocab:
            raise ValueError(f"prompt must be a non-empty list of token ids in [0, {vocab})")
        if len(prompt) >= self.context_length:
            raise ValueError(f"prompt of {len(prompt)} tokens leaves no room in the context of {self.context_length}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        total = min(len(prompt) + max_tokens, self.context_length)
        if -(-total // self.block_size) > self.cache.allocator.num_blocks:
            raise ValueError(f"{total} tokens need more than the engine's {self.cache.allocator.num_blocks} blocks")
        request_id = next(self._ids) if request_id is None else request_id
        generator = None
        if seed is not None:
            generator = torch.Generator(device=self.cache.device).manual_seed(seed)
        self.waiting.append(Request(request_id, prompt, max_tokens, sampling, eos_id, stop, generator))
        return request_id

    def abort(self, request_id: Hashable) -> bool:
        """Drop a request wherever it is and free its blocks; False if it is not in the engine."""
        for queue in (self.running, self.waiting):
            for request in queue:
                if request.request_id == request_id:
                    queue.remove(request)
                    self._release(request)
                    return True
        return False

    def has_unfinished(self) -> bool:
        return bool(self.waiting or self.running)

    # -- block bookkeeping ------------------------------------------------------------------------
    def _release(self, request: Request) -> None:
        for block in request.blocks:
            self.cache.allocator.free(block)
        request.blocks, request.num_computed, request.num_named = [], 0, 0

    def _name_full_blocks(self, request: Request) -> None:
        if not self.prefix_caching:
            return
        full = request.num_computed // self.block_size
        if full > request.num_named:
            keys = block_keys(request.tokens[: full * self.block_size], self.block_size)
            for j in range(request.num_named, full):
                self.cache.allocator.register(request.blocks[j], keys[j])
            request.num_named = full

    def _try_admit(self, request: Request) -> bool:
        """Give ``request`` its cached prefix and the blocks for the rest of its tokens, or nothing."""
        allocator, tokens = self.cache.allocator, request.tokens
        blocks: list[int] = []
        if self.prefix_caching:  # the last token is always recomputed: its logits pick the next one
            for key in block_keys(tokens[: len(tokens) - 1], self.block_size):
                block = allocator.lookup(key)
                if block is None:
                    break
                blocks.append(block)
        needed = -(-len(tokens) // self.block_size) - len(blocks)
        if needed > allocator.num_free:
            for block in blocks:
                allocator.free(block)
            return False
        request.blocks = blocks + [allocator.allocate() for _ in range(needed)]
        request.num_computed, request.num_named = len(blocks) * self.block_size, len(blocks)
        request.num_cached_prompt = min(request.num_computed, len(request.prompt))
        return True

    def _preempt(self) -> Request:
        victim = self.running.pop()  # the most recently admitted
        self._release(victim)
        victim.preemptions += 1
        self.num_preemptions += 1
        self.waiting.appendleft(victim)
        return victim

    # -- one step ---------------------------------------------------------------------------------
    def _sample(self, request: Request, logits: torch.Tensor) -> RequestOutput:
        """Append the next token sampled from logits (vocab,) and decide whether the request is done."""
        previous = None
        if request.sampling.repetition_penalty != 1:
            previous = torch.tensor([request.tokens], device=logits.device)
        processed = process_logits(logits[None], request.sampling, previous)[0]
        if request.sampling.greedy:
            token = int(processed.argmax())
        else:
            token = int(torch.multinomial(processed.softmax(-1), 1, generator=request.generator))
        request.output.append(token)
        if (request.eos_id is not None and token == request.eos_id) or ends_with_stop(request.output, request.stop):
            request.finish_reason = "stop"
        elif len(request.output) >= request.max_tokens or len(request.tokens) >= self.context_length:
            request.finish_reason = "length"
        if request.finish_reason is not None:
            self.running.remove(request)
            self._release(request)
        return RequestOutput(request.request_id, token, request.finish_reason is not None, request.finish_reason)

    @torch.inference_mode()
    def step(self) -> list[RequestOutput]:
        """Admit and prefill what fits, then decode one token for every other running request."""
        outputs: list[RequestOutput] = []
        decoding = list(self.running)
        # 1. admission + prefill, one request at a time (its own forward of t = uncached tokens).
        while self.waiting and len(self.running) < self.max_batch_size and self._try_admit(self.waiting[0]):
            request = self.waiting.popleft()
            self.running.append(request)
            tokens = request.tokens
            new = tokens[request.num_computed :]
            positions = self.cache.prepare([request.blocks], [request.num_computed], len(new))
            ids = torch.tensor([new], device=self.cache.device)
            logits = forward_with_cache(self.model, ids, positions, self.cache, num_logits=1, fused=self.fused)[0, -1]
            request.num_computed = len(tokens)
            self._name_full_blocks(request)
            outputs.append(self._sample(request, logits))
        # 2. one batched decode step; every request needs a slot for its newest token.
        for request in decoding:
            if request not in self.running:
                continue  # preempted below while making room for an earlier one
            if request.num_computed == len(request.blocks) * self.block_size:
                while self.cache.allocator.num_free == 0:
                    if self._preempt() is request:
                        break
                if request in self.running:
                    request.blocks.append(self.cache.allocator.allocate())
        batch = [r for r in decoding if r in self.running]
        if batch:
            positions = self.cache.prepare([r.blocks for r in batch], [r.num_computed for r in batch], 1)
            ids = torch.tensor([[r.tokens[-1]] for r in batch], device=self.cache.device)
            logits = forward_with_cache(self.model, ids, positions, self.cache, fused=self.fused)[:, -1]
            for request, row in zip(batch, logits):
                request.num_computed += 1
                self._name_full_blocks(request)
                outputs.append(self._sample(request, row))
        return outputs

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        max_tokens: int,
        sampling: SamplingParams = SamplingParams(),
        *,
        eos_id: int | None = None,
        stop: Sequence[Sequence[int]] = (),
        seed: int | None = None,
    ) -> list[list[int]]:
        """Serve a list of prompts together -> each prompt's generated tokens (in order)."""
        ids = [
            self.add_request(p, max_tokens, sampling, eos_id=eos_id, stop=stop, seed=None if seed is None else seed + i)
            for i, p in enumerate(prompts)
        ]
        outputs: dict[Hashable, list[int]] = {i: [] for i in ids}
        while self.has_unfinished():
            for out in self.step():
                if out.request_id in outputs:
                    outputs[out.request_id].append(out.token)
        return [outputs[i] for i in ids]
