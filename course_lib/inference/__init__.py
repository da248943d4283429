"""Inference: sampling, the KV cache and ``generate``, speculative decoding, a continuous-batching
engine over a paged KV cache, weight-only quantization, and an OpenAI-compatible server. One
concept per module:

* :mod:`~course_lib.inference.sampling`: temperature, top-k, top-p, min-p, repetition penalty.
* :mod:`~course_lib.inference.kv_cache`: what each attention variant caches (MHA/GQA/MQA: keys and
  values; MLA: the latent); the cached forward pass; the preallocated :class:`KVCache`.
* :mod:`~course_lib.inference.generate`: ``generate`` / ``stream_generate`` (batched, stop conditions).
* :mod:`~course_lib.inference.speculative`: ``speculative_generate`` (draft model or prompt lookup).
* :mod:`~course_lib.inference.paged`: the paged KV cache, block allocator and prefix caching.
* :mod:`~course_lib.inference.engine`: the continuous-batching :class:`Engine` (admission, preemption).
* :mod:`~course_lib.inference.quantization`: int8 per-channel and int4 group-wise linear layers.
* :mod:`~course_lib.inference.server`: ``course serve``'s FastAPI app (imported on demand: it needs FastAPI).
"""

from course_lib.inference.engine import Engine, Request, RequestOutput
from course_lib.inference.generate import StepOutput, ends_with_stop, generate, left_pad, stream_generate
from course_lib.inference.kv_cache import (
    FusedLayer,
    FusedWeights,
    KVCache,
    cache_width,
    forward_with_cache,
    fuse_weights,
    kv_bytes_per_token,
)
from course_lib.inference.paged import BlockAllocator, PagedKVCache, block_keys
from course_lib.inference.quantization import Int4Linear, Int8Linear, quantize_model, weight_bytes
from course_lib.inference.sampling import (
    SamplingParams,
    apply_repetition_penalty,
    min_p_filter,
    process_logits,
    sample_next,
    top_k_filter,
    top_p_filter,
)
from course_lib.inference.speculative import (
    PromptLookup,
    SpeculativeResult,
    accept_or_resample,
    expected_tokens_per_round,
    speculative_generate,
)

__all__ = [
    "SamplingParams",
    "top_k_filter",
    "top_p_filter",
    "min_p_filter",
    "apply_repetition_penalty",
    "process_logits",
    "sample_next",
    "KVCache",
    "FusedLayer",
    "FusedWeights",
    "fuse_weights",
    "cache_width",
    "forward_with_cache",
    "kv_bytes_per_token",
    "StepOutput",
    "left_pad",
    "ends_with_stop",
    "stream_generate",
    "generate",
    "PromptLookup",
    "SpeculativeResult",
    "accept_or_resample",
    "expected_tokens_per_round",
    "speculative_generate",
    "BlockAllocator",
    "PagedKVCache",
    "block_keys",
    "Engine",
    "Request",
    "RequestOutput",
    "Int8Linear",
    "Int4Linear",
    "quantize_model",
    "weight_bytes",
]
