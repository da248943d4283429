"""The course's Transformer language model, one concept per module, read in this order:

1. :mod:`~course_lib.model.config`: :class:`ModelConfig`, the hyperparameters, and every check on them.
2. :mod:`~course_lib.model.layers`: ``Linear``, ``Embedding``, ``RMSNorm``, ``SwiGLU``, ``silu``, ``softmax``
   (sizes as arguments, with ``torch.nn``'s names and assignment 1's signatures).
3. :mod:`~course_lib.model.rope`: rotary position embeddings, in the rotate-half and interleaved layouts.
4. :mod:`~course_lib.model.attention`: scaled dot-product attention (the course's, or PyTorch's fused
   one), causal self-attention MHA/GQA/MQA, and MLA.
5. :mod:`~course_lib.model.transformer`: the pre-norm block and :class:`TransformerLM` (state-dict names).

Then the variations: :mod:`~course_lib.model.moe` (the top-k router and the mixture-of-experts
feed-forward) and :mod:`~course_lib.model.hf` (``to_hf_llama`` / ``from_hf_llama``: the same logits
in Hugging Face ``transformers``). The modules of the model (attention, mixture of experts, block)
are built from a :class:`ModelConfig`, like nanoGPT's ``CausalSelfAttention(config)``.
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
from course_lib.model.rope import (
    RotaryPositionalEmbedding,
    apply_rope,
    half_to_interleaved,
    interleaved_to_half,
    rotate_half,
    rotate_pairs,
)
from course_lib.model.transformer import TransformerBlock, TransformerLM, convert_rope_layout

__all__ = [
    "ModelConfig",
    "Linear",
    "Embedding",
    "RMSNorm",
    "SwiGLU",
    "silu",
    "softmax",
    "RotaryPositionalEmbedding",
    "apply_rope",
    "rotate_half",
    "rotate_pairs",
    "interleaved_to_half",
    "half_to_interleaved",
    "CausalSelfAttention",
    "MultiHeadLatentAttention",
    "scaled_dot_product_attention",
    "causal_mask",
    "TransformerBlock",
    "TransformerLM",
    "convert_rope_layout",
    "TopKRouter",
    "MoEFeedForward",
    "Routing",
    "load_balancing_loss",
    "to_hf_llama",
    "from_hf_llama",
    "to_hf_config",
]
