"""The course's Transformer language model, one concept per module.

* :mod:`~course_lib.model.config`: :class:`ModelConfig`, the hyperparameters.
* :mod:`~course_lib.model.layers`: ``Linear``, ``Embedding``, ``RMSNorm``, ``SwiGLU``, ``silu``, ``softmax``.
* :mod:`~course_lib.model.rope`: rotary position embeddings (Llama's "rotate half" layout).
* :mod:`~course_lib.model.attention`: scaled dot-product attention, MHA/GQA/MQA, MLA.
* :mod:`~course_lib.model.moe`: the top-k router and the mixture-of-experts feed-forward.
* :mod:`~course_lib.model.transformer`: the pre-norm block and :class:`TransformerLM` (state-dict names).
* :mod:`~course_lib.model.hf`: ``to_hf_llama`` / ``from_hf_llama``.
"""

from course_lib.model.attention import (
    CausalSelfAttention,
    MultiHeadLatentAttention,
    causal_mask,
    scaled_dot_product_attention,
)
from course_lib.model.config import ModelConfig
from course_lib.model.hf import from_hf_llama, to_hf_config, to_hf_llama
from course_lib.model.layers import Embedding, Linear, RMSNorm, SwiGLU, silu, softmax
from course_lib.model.moe import MoEFeedForward, Routing, TopKRouter, load_balancing_loss
from course_lib.model.rope import RotaryEmbedding, apply_rope, rotate_half
from course_lib.model.transformer import TransformerBlock, TransformerLM

__all__ = [
    "ModelConfig", "TransformerLM", "TransformerBlock",
    "Linear", "Embedding", "RMSNorm", "SwiGLU", "silu", "softmax",
    "RotaryEmbedding", "apply_rope", "rotate_half",
    "CausalSelfAttention", "MultiHeadLatentAttention", "scaled_dot_product_attention", "causal_mask",
    "TopKRouter", "MoEFeedForward", "Routing", "load_balancing_loss",
    "to_hf_llama", "from_hf_llama", "to_hf_config",
]  # fmt: skip
