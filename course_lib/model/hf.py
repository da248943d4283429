"""Conversion to and from Hugging Face ``transformers.LlamaForCausalLM`` (same weights, same logits).

The architectures are the same function: pre-norm RMSNorm blocks, RoPE in the "rotate half"
layout (so q/k weights need no permutation; a model with ``position_encoding="rope_interleaved"``
is converted to that layout first, :func:`~course_lib.model.convert_rope_layout`), SwiGLU, untied
output head, no biases. A model without position encoding (NoPE) has no Llama counterpart. The
names map as

=====================================  ==============================================
course_lib                             transformers (``LlamaForCausalLM``)
=====================================  ==============================================
token_embeddings.weight                model.embed_tokens.weight
layers.{i}.ln1.weight                  model.layers.{i}.input_layernorm.weight
layers.{i}.attn.q_proj.weight          model.layers.{i}.self_attn.q_proj.weight
layers.{i}.attn.k_proj.weight          model.layers.{i}.self_attn.k_proj.weight
layers.{i}.attn.v_proj.weight          model.layers.{i}.self_attn.v_proj.weight
layers.{i}.attn.output_proj.weight     model.layers.{i}.self_attn.o_proj.weight
layers.{i}.ln2.weight                  model.layers.{i}.post_attention_layernorm.weight
layers.{i}.ffn.w1.weight               model.layers.{i}.mlp.gate_proj.weight
layers.{i}.ffn.w2.weight               model.layers.{i}.mlp.down_proj.weight
layers.{i}.ffn.w3.weight               model.layers.{i}.mlp.up_proj.weight
ln_final.weight                        model.norm.weight
lm_head.weight                         lm_head.weight
=====================================  ==============================================

``transformers`` is imported inside the functions: it is a development dependency, not a runtime one.
Nothing is downloaded; the HF model is built from a config.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from course_lib.model.config import ModelConfig
from course_lib.model.transformer import TransformerLM, convert_rope_layout

if TYPE_CHECKING:
    from transformers import LlamaConfig, LlamaForCausalLM

__all__ = ["to_hf_config", "to_hf_llama", "from_hf_llama", "hf_name", "course_name"]

_LAYER_NAMES = {
    "ln1.weight": "input_layernorm.weight",
    "attn.q_proj.weight": "self_attn.q_proj.weight",
    "attn.k_proj.weight": "self_attn.k_proj.weight",
    "attn.v_proj.weight": "self_attn.v_proj.weight",
    "attn.output_proj.weight": "self_attn.o_proj.weight",
    "ln2.weight": "post_attention_layernorm.weight",
    "ffn.w1.weight": "mlp.gate_proj.weight",
    "ffn.w2.weight": "mlp.down_proj.weight",
    "ffn.w3.weight": "mlp.up_proj.weight",
}
_TOP_NAMES = {
    "token_embeddings.weight": "model.embed_tokens.weight",
    "ln_final.weight": "model.norm.weight",
    "lm_head.weight": "lm_head.weight",
}
_LAYER = re.compile(r"^layers\.(\d+)\.(.+)$")
_HF_LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)$")


def hf_name(name: str) -> str:
    """The ``LlamaForCausalLM`` parameter name of a ``TransformerLM`` parameter name."""
    if name in _TOP_NAMES:
        return _TOP_NAMES[name]
    match = _LAYER.match(name)
    if match and match[2] in _LAYER_NAMES:
        return f"model.layers.{match[1]}.{_LAYER_NAMES[match[2]]}"
    raise KeyError(f"no Llama counterpart for parameter {name!r}")


def course_name(name: str) -> str:
    """The ``TransformerLM`` parameter name of a ``LlamaForCausalLM`` parameter name."""
    for ours, theirs in _TOP_NAMES.items():
        if name == theirs:
            return ours
    match = _HF_LAYER.match(name)
    if match:
        for ours, theirs in _LAYER_NAMES.items():
            if match[2] == theirs:
                return f"layers.{match[1]}.{ours}"
    raise KeyError(f"no TransformerLM counterpart for parameter {name!r}")


def to_hf_config(config: ModelConfig, attn_implementation: Literal["eager", "sdpa"] = "sdpa") -> LlamaConfig:
    """The ``LlamaConfig`` describing the same architecture as ``config`` (dense models only)."""
    from transformers import LlamaConfig

    if config.is_moe:
        raise ValueError("a mixture-of-experts TransformerLM has no LlamaForCausalLM counterpart")
    if not config.uses_rope:
        raise ValueError("a TransformerLM without position encoding (NoPE) has no LlamaForCausalLM counterpart")
    hf_config = LlamaConfig(
        vocab_size=config.vocab_size,
        hidden_size=config.d_model,
        intermediate_size=config.d_ff,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.kv_heads,
        head_dim=config.head_dim,
        max_position_embeddings=config.context_length,
        rms_norm_eps=config.rms_norm_eps,
        rope_theta=config.rope_theta,
        hidden_act="silu",
        tie_word_embeddings=False,
        attention_bias=False,
        mlp_bias=False,
        attention_dropout=0.0,
    )
    hf_config._attn_implementation = attn_implementation
    return hf_config


def to_hf_llama(model: TransformerLM, attn_implementation: Literal["eager", "sdpa"] = "sdpa") -> LlamaForCausalLM:
    """A ``LlamaForCausalLM`` with ``model``'s weights (copied), giving the same logits."""
    from transformers import LlamaForCausalLM

    if model.config.position_encoding == "rope_interleaved":
        model = convert_rope_layout(model, "rope").train(model.training)

    hf = LlamaForCausalLM(to_hf_config(model.config, attn_implementation))
    state = {hf_name(name): tensor.detach().clone() for name, tensor in model.state_dict().items()}
    hf.load_state_dict(state, strict=True)
    hf.to(device=model.lm_head.weight.device, dtype=model.lm_head.weight.dtype)
    return hf.eval() if not model.training else hf


def _rope_theta(hf_config: LlamaConfig) -> float:
    params = getattr(hf_config, "rope_parameters", None) or {}
    theta = params.get("rope_theta", getattr(hf_config, "rope_theta", None))
    rope_type = params.get("rope_type", "default")
    scaling = getattr(hf_config, "rope_scaling", None)
    if rope_type != "default" or (scaling and scaling.get("rope_type", "default") != "default"):
        raise ValueError(f"only plain RoPE is supported, this config uses rope_type={rope_type!r} / {scaling}")
    if theta is None:
        raise ValueError("the Llama config names no rope_theta")
    return float(theta)


def from_hf_llama(hf_model: LlamaForCausalLM) -> TransformerLM:
    """A ``TransformerLM`` with ``hf_model``'s weights (copied), giving the same logits.

    Raises ``ValueError`` for Llama features ``TransformerLM`` lacks (biases, tied embeddings,
    a head dimension other than ``hidden_size / num_heads``, scaled RoPE).
    """
    c = hf_model.config
    head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    problems = []
    if head_dim * c.num_attention_heads != c.hidden_size:
        problems.append(f"head_dim={head_dim} * num_heads={c.num_attention_heads} != hidden_size={c.hidden_size}")
    if getattr(c, "attention_bias", False) or getattr(c, "mlp_bias", False):
        problems.append("biases in attention or MLP")
    if getattr(c, "tie_word_embeddings", False):
        problems.append("tied input/output embeddings")
    if c.hidden_act != "silu":
        problems.append(f"activation {c.hidden_act!r} (need 'silu')")
    if problems:
        raise ValueError("cannot convert this Llama model: " + "; ".join(problems))
    model = TransformerLM(
        vocab_size=c.vocab_size,
        context_length=c.max_position_embeddings,
        d_model=c.hidden_size,
        num_layers=c.num_hidden_layers,
        num_heads=c.num_attention_heads,
        d_ff=c.intermediate_size,
        rope_theta=_rope_theta(c),
        num_kv_heads=c.num_key_value_heads,
        rms_norm_eps=c.rms_norm_eps,
    )
    state = {course_name(name): tensor.detach().clone() for name, tensor in hf_model.state_dict().items()}
    model.load_state_dict(state, strict=True)
    weight = hf_model.lm_head.weight
    return model.to(device=weight.device, dtype=weight.dtype)
