"""The model's hyperparameters in one dataclass, shared by the model, the accounting and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

__all__ = ["ModelConfig", "PositionEncoding", "POSITION_ENCODINGS"]

PositionEncoding = Literal["rope", "rope_interleaved", "nope"]
POSITION_ENCODINGS: tuple[str, ...] = ("rope", "rope_interleaved", "nope")


@dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes the shapes of a :class:`~course_lib.model.TransformerLM`.

    ``num_kv_heads`` below ``num_heads`` gives grouped-query attention (1 = multi-query); ``None``
    means ``num_heads`` (plain multi-head attention). ``num_experts`` > 0 replaces every dense
    SwiGLU feed-forward by a mixture of that many SwiGLU experts of hidden size ``d_ff``, of which
    each token uses ``top_k``; ``capacity_factor`` (``None``: no limit) caps the tokens per expert.

    ``position_encoding``: ``"rope"`` (rotary embeddings in Hugging Face's rotate-half layout),
    ``"rope_interleaved"`` (the same rotations on neighbouring pairs, as Meta's original Llama code)
    or ``"nope"`` (no position encoding: causal attention alone tells the tokens apart).
    ``fused`` runs PyTorch's fused kernels, ``F.scaled_dot_product_attention`` and ``F.silu`` (the
    default: fast); ``False`` runs the course's own :func:`~course_lib.model.scaled_dot_product_attention`
    and :func:`~course_lib.model.silu`, the same functions written out (nanoGPT's ``flash`` switch).

    The modules of the model are built from this config and take its checks as given: every
    argument check of the architecture is here.
    """

    vocab_size: int
    context_length: int
    d_model: int
    num_layers: int
    num_heads: int
    d_ff: int
    rope_theta: float = 10000.0
    num_kv_heads: int | None = None
    rms_norm_eps: float = 1e-5
    num_experts: int = 0
    top_k: int = 2
    capacity_factor: float | None = None
    position_encoding: PositionEncoding = "rope"
    fused: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context_length", "d_model", "num_layers", "num_heads", "d_ff"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.d_model % self.num_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by num_heads={self.num_heads}")
        if self.position_encoding not in POSITION_ENCODINGS:
            raise ValueError(f"position_encoding must be one of {POSITION_ENCODINGS}, got {self.position_encoding!r}")
        if self.uses_rope and self.head_dim % 2:
            raise ValueError(f"RoPE needs an even head dimension, got d_model/num_heads = {self.head_dim}")
        kv = self.kv_heads
        if kv <= 0 or self.num_heads % kv:
            raise ValueError(f"num_heads={self.num_heads} is not a multiple of num_kv_heads={self.num_kv_heads}")
        if self.num_experts < 0:
            raise ValueError(f"num_experts must be >= 0 (0 = dense), got {self.num_experts}")
        if self.num_experts and not 1 <= self.top_k <= self.num_experts:
            raise ValueError(f"top_k must be in [1, num_experts={self.num_experts}], got {self.top_k}")
        if self.capacity_factor is not None and self.capacity_factor <= 0:
            raise ValueError(f"capacity_factor must be positive or None, got {self.capacity_factor}")
        if self.rope_theta <= 0 or self.rms_norm_eps <= 0:
            raise ValueError("rope_theta and rms_norm_eps must be positive")

    @property
    def head_dim(self) -> int:
        """Width of one attention head, ``d_model // num_heads``."""
        return self.d_model // self.num_heads

    @property
    def kv_heads(self) -> int:
        """Number of key/value heads (``num_kv_heads``, defaulting to ``num_heads``)."""
        return self.num_heads if self.num_kv_heads is None else self.num_kv_heads

    @property
    def uses_rope(self) -> bool:
        """Whether attention rotates queries and keys (``position_encoding`` other than ``"nope"``)."""
        return self.position_encoding != "nope"

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a dict (e.g. read from a checkpoint's JSON); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown ModelConfig fields: {sorted(unknown)}")
        return cls(**data)
