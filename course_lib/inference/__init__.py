"""Inference: sampling, the KV cache and ``generate``, speculative decoding, a continuous-batching
engine over a paged KV cache, and weight-only quantization. One concept per module:

* :mod:`~course_lib.inference.sampling`: temperature, top-k, top-p, min-p, repetition penalty.
* :mod:`~course_lib.inference.kv_cache`: what each attention variant caches; the cached forward.
* :mod:`~course_lib.inference.generate`: ``generate`` / ``stream_generate`` (batched, stop conditions).
"""

from course_lib.inference.generate import StepOutput, ends_with_stop, generate, left_pad, stream_generate
from course_lib.inference.kv_cache import KVCache, cache_width, forward_with_cache, kv_bytes_per_token
from course_lib.inference.sampling import (
    SamplingParams,
    apply_repetition_penalty,
    min_p_filter,
    process_logits,
    sample_next,
    top_k_filter,
    top_p_filter,
)
