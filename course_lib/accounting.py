"""Resource accounting: parameters, FLOPs and memory of a Transformer, and the napkin math on top.

Every formula here is checked against a measurement in ``tests/test_accounting.py`` and in
lecture 02: parameter counts against ``sum(p.numel())``, FLOPs against PyTorch's
``FlopCounterMode``, memory against the bytes of the real tensors (and of the tensors autograd
saves for the backward pass).

Conventions: a multiply-add is 2 FLOPs, so ``(m, k) @ (k, n)`` costs ``2 m k n``. Attention FLOPs
count the full ``seq x seq`` score matrix (as ``FlopCounterMode`` does; a causal kernel can skip the
upper half). Norms, softmax and elementwise work are left out: they are a few percent of the FLOPs
but, being memory-bound, can take far more than a few percent of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from course_lib.model.config import ModelConfig

__all__ = [
    "ParameterCounts",
    "parameter_counts",
    "FlopCounts",
    "forward_flops",
    "training_flops",
    "six_n_d",
    "flop_counter",
    "MemoryBreakdown",
    "BYTES_PER_PARAMETER",
    "training_memory",
    "activation_bytes",
    "measure_saved_bytes",
    "kv_cache_bytes_per_token",
    "mla_cache_bytes_per_token",
    "GPU",
    "GPUS",
    "gpu_spec",
    "training_days",
    "mfu",
    "PublishedModel",
    "PUBLISHED_MODELS",
]


# ----------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class ParameterCounts:
    """Parameters by role. ``active`` counts only the experts a token uses (equal to ``total`` when dense)."""

    embedding: int
    attention: int
    feed_forward: int
    router: int
    norms: int
    lm_head: int
    active_feed_forward: int

    @property
    def total(self) -> int:
        return self.embedding + self.attention + self.feed_forward + self.router + self.norms + self.lm_head

    @property
    def active(self) -> int:
        return self.total - self.feed_forward + self.active_feed_forward

    @property
    def non_embedding(self) -> int:
        """Everything but the input embedding table (the ``N`` of Kaplan et al.'s scaling laws)."""
        return self.total - self.embedding


def parameter_counts(config: ModelConfig) -> ParameterCounts:
    """Parameter counts of ``TransformerLM.from_config(config)``, by role."""
    c = config
    d, dh = c.d_model, c.head_dim
    attention = d * c.num_heads * dh * 2 + d * c.kv_heads * dh * 2  # q, o and k, v
    expert = 3 * d * c.d_ff  # SwiGLU: w1, w2, w3
    experts = max(c.num_experts, 1)
    return ParameterCounts(
        embedding=c.vocab_size * d,
        attention=c.num_layers * attention,
        feed_forward=c.num_layers * experts * expert,
        router=c.num_layers * c.num_experts * d,
        norms=(2 * c.num_layers + 1) * d,
        lm_head=c.vocab_size * d,
        active_feed_forward=c.num_layers * (c.top_k if c.is_moe else 1) * expert,
    )


# ----------------------------------------------------------------------------------------------
# FLOPs


@dataclass(frozen=True)
class FlopCounts:
    """Forward FLOPs of one batch: ``matmul`` (every weight matrix, 2 FLOPs per active parameter per
    token) and ``attention`` (``q k^T`` and ``scores v``)."""

    matmul: int
    attention: int

    @property
    def total(self) -> int:
        return self.matmul + self.attention


def forward_flops(config: ModelConfig, batch: int, seq: int) -> FlopCounts:
    """Forward-pass FLOPs of ``TransformerLM`` on ``batch`` sequences of ``seq`` tokens.

    Matmuls: ``2 * tokens * (active parameters - embedding table)`` (the embedding is a lookup, the
    norms are elementwise); with experts, the router's ``2 * tokens * d_model * num_experts`` is
    included. Attention: ``4 * batch * seq^2 * num_heads * head_dim`` per layer.
    """
    counts = parameter_counts(config)
    tokens = batch * seq
    matmul = 2 * tokens * (counts.active - counts.embedding - counts.norms)
    attention = config.num_layers * 4 * batch * seq * seq * config.num_heads * config.head_dim
    return FlopCounts(matmul=matmul, attention=attention)


def training_flops(config: ModelConfig, batch: int, seq: int, *, recompute_attention: bool = True) -> int:
    """FLOPs of one forward + backward pass.

    The backward of a matmul is two matmuls of the same size (gradients of the input and of the
    weight), so the matmul part costs 3x its forward. A fused (flash) attention kernel recomputes the
    scores in the backward, which costs 2.5x its forward (``recompute_attention=True``, what
    PyTorch's fused kernels and ``FlopCounterMode`` do); without recomputation it is 2x.
    """
    f = forward_flops(config, batch, seq)
    return 3 * f.matmul + int((3.5 if recompute_attention else 3.0) * f.attention)


def six_n_d(num_parameters: float, tokens: float) -> float:
    """The rule of thumb for training FLOPs: 6 per parameter per token (2 forward, 4 backward)."""
    return 6.0 * num_parameters * tokens


def flop_counter(display: bool = False) -> torch.utils.flop_counter.FlopCounterMode:
    """``FlopCounterMode`` that also counts PyTorch's fused CPU attention kernel.

    PyTorch registers FLOP formulas for the CUDA attention kernels but not (yet) for
    ``_scaled_dot_product_flash_attention_for_cpu``; this adds PyTorch's own formulas for it, so the
    same count comes out on a laptop and on a GPU. Grouped-query attention's keys and values (fewer
    heads than the queries, which some PyTorch versions pass to the kernel as they are) count once per
    query head.
    """
    from torch.utils import flop_counter as fc

    def query_heads(q: Any, kv: Any) -> Any:
        # Grouped-query attention: keys and values hold fewer heads, each shared by several query
        # heads; the scores and the weighted sum are computed per query head, so count those.
        return (kv[0], q[1], *kv[2:]) if len(kv) == 4 and kv[1] != q[1] else kv

    def forward(q: Any, k: Any, v: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
        return fc.sdpa_flop_count(q, query_heads(q, k), query_heads(q, v))

    def backward(grad_out: Any, q: Any, k: Any, v: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
        return fc.sdpa_backward_flop_count(grad_out, q, query_heads(q, k), query_heads(q, v))

    aten = torch.ops.aten
    mapping: dict[Any, Callable[..., int]] = {}
    for name, formula in (
        ("_scaled_dot_product_flash_attention_for_cpu", forward),
        ("_scaled_dot_product_flash_attention_for_cpu_backward", backward),
    ):
        if hasattr(aten, name):
            mapping[getattr(aten, name)] = formula
    return fc.FlopCounterMode(display=display, custom_mapping=mapping)


# ----------------------------------------------------------------------------------------------
# Memory


BYTES_PER_PARAMETER: dict[str, dict[str, int]] = {
    # fp32 training: weights, gradients, AdamW's two moments, all fp32.
    "fp32": {"weights": 4, "gradients": 4, "optimizer": 8},
    # Mixed precision (Micikevicius et al. 2018; ZeRO's accounting): bf16/fp16 weights and gradients
    # for the matmuls, plus an fp32 master copy of the weights and fp32 moments in the optimizer.
    "mixed": {"weights": 2, "gradients": 2, "optimizer": 12},
}


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes of training state and activations for one step."""

    parameters: int
    gradients: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.parameters + self.gradients + self.optimizer + self.activations

    def gib(self) -> dict[str, float]:
        """Each component (and the total) in GiB."""
        names = ("parameters", "gradients", "optimizer", "activations", "total")
        return {name: getattr(self, name) / 2**30 for name in names}


def activation_bytes(config: ModelConfig, batch: int, seq: int, bytes_per_element: int = 4) -> int:
    """Bytes autograd keeps for the backward pass of ``TransformerLM`` plus a cross-entropy loss.

    Counted per token, from what each operation saves in the course model (dense feed-forward,
    PyTorch's fused attention, no activation checkpointing):

    * the embedding output (``d``) and the token ids (8 bytes);
    * per layer: the two residual-stream tensors the block creates (``2 d``); each RMSNorm's ``1/rms``,
      normalised input and output (``2 (2 d + 1)``); the rotated q and k, v, and the attention
      output (``2 d + 2 kv_dim``) plus the kernel's fp32 log-sum-exp (``num_heads``); SwiGLU's gate
      and up outputs, silu(gate) and their product (``4 d_ff``);
    * the final RMSNorm (``2 d + 1``) and the log-softmax of the logits (``vocab``).

    Exact in fp32 for the PyTorch this course pins (``tests/test_accounting.py`` measures it); the
    lesson is the shape of the formula: linear in batch, sequence and layers, dominated by ``d_ff``
    and ``vocab`` terms at small ``d``, and by the ``seq^2`` scores when attention is not fused.
    """
    if config.is_moe:
        raise ValueError("activation_bytes models the dense feed-forward only")
    c = config
    d, kv = c.d_model, c.kv_heads * c.head_dim
    per_layer = 2 * d + 2 * (2 * d + 1) + (2 * d + 2 * kv) + 4 * c.d_ff
    elements = d + c.num_layers * per_layer + (2 * d + 1) + c.vocab_size
    fixed = 8 + c.num_layers * c.num_heads * 4  # int64 ids, fp32 log-sum-exp
    return batch * seq * (elements * bytes_per_element + fixed)


def training_memory(
    config: ModelConfig, batch: int, seq: int, precision: str = "fp32", activation_bytes_per_element: int | None = None
) -> MemoryBreakdown:
    """Training memory of one step: weights, gradients, AdamW states (``BYTES_PER_PARAMETER[precision]``)
    and activations (:func:`activation_bytes`, 4 bytes per element for fp32, 2 for mixed precision)."""
    if precision not in BYTES_PER_PARAMETER:
        raise ValueError(f"precision must be one of {sorted(BYTES_PER_PARAMETER)}, got {precision!r}")
    n = parameter_counts(config).total
    per = BYTES_PER_PARAMETER[precision]
    element = activation_bytes_per_element or (4 if precision == "fp32" else 2)
    return MemoryBreakdown(
        parameters=n * per["weights"],
        gradients=n * per["gradients"],
        optimizer=n * per["optimizer"],
        activations=activation_bytes(config, batch, seq, element),
    )


@contextmanager
def measure_saved_bytes(exclude: list[torch.Tensor] | None = None) -> Iterator[dict[str, int]]:
    """Count the bytes of the tensors autograd saves for backward inside the ``with`` block.

    Tensors sharing storage are counted once; those sharing storage with ``exclude`` (pass the
    model's parameters and buffers) are not counted. Yields a dict whose ``"bytes"`` is filled in
    as the block runs::

        with measure_saved_bytes(list(model.parameters()) + list(model.buffers())) as saved:
            loss = model(x).sum()
        saved["bytes"]
    """
    excluded = {t.untyped_storage().data_ptr() for t in (exclude or [])}
    seen: set[int] = set()
    result = {"bytes": 0, "tensors": 0}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key not in excluded and key not in seen:
            seen.add(key)
            result["bytes"] += storage.nbytes()
            result["tensors"] += 1
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        yield result


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_element: int = 2) -> int:
    """KV-cache bytes per token of context: a key and a value per KV head and layer."""
    return 2 * num_layers * num_kv_heads * head_dim * bytes_per_element


def mla_cache_bytes_per_token(num_layers: int, kv_rank: int, rope_dim: int, bytes_per_element: int = 2) -> int:
    """Multi-head latent attention's cache per token: one latent and one shared RoPE key per layer."""
    return num_layers * (kv_rank + rope_dim) * bytes_per_element


# ----------------------------------------------------------------------------------------------
# Hardware and napkin math


@dataclass(frozen=True)
class GPU:
    """Datasheet figures of an accelerator: dense peak FLOP/s per dtype (no sparsity), memory, bandwidth."""

    name: str
    peak_flops: dict[str, float]
    memory_bytes: float
    bandwidth_bytes_per_s: float
    source: str


GPUS: dict[str, GPU] = {
    "A100-SXM-80GB": GPU(
        name="A100-SXM-80GB",
        peak_flops={"fp32": 19.5e12, "tf32": 156e12, "bf16": 312e12, "fp16": 312e12},
        memory_bytes=80e9,
        bandwidth_bytes_per_s=2.039e12,
        source="NVIDIA A100 Tensor Core GPU datasheet (2021), dense figures",
    ),
    "H100-SXM": GPU(
        name="H100-SXM",
        peak_flops={"fp32": 67e12, "tf32": 494.5e12, "bf16": 989.5e12, "fp16": 989.5e12, "fp8": 1979e12},
        memory_bytes=80e9,
        bandwidth_bytes_per_s=3.35e12,
        source="NVIDIA H100 Tensor Core GPU datasheet (2023), SXM5, dense (the datasheet's headline doubles these with sparsity)",
    ),
    "H200-SXM": GPU(
        name="H200-SXM",
        peak_flops={"fp32": 67e12, "tf32": 494.5e12, "bf16": 989.5e12, "fp16": 989.5e12, "fp8": 1979e12},
        memory_bytes=141e9,
        bandwidth_bytes_per_s=4.8e12,
        source="NVIDIA H200 Tensor Core GPU datasheet (2024), SXM, dense",
    ),
}


def gpu_spec(device_name: str) -> GPU | None:
    """The datasheet entry matching a CUDA device name (e.g. ``"NVIDIA H100 80GB HBM3"``), if any."""
    for key, gpu in GPUS.items():
        if key.split("-")[0].lower() in device_name.lower():
            return gpu
    return None


def training_days(num_parameters: float, tokens: float, num_gpus: int, peak_flops_per_gpu: float, mfu: float) -> float:
    """Days to train with ``6 N D`` FLOPs on ``num_gpus`` GPUs running at ``mfu`` of their peak."""
    if not 0 < mfu <= 1:
        raise ValueError(f"mfu must be in (0, 1], got {mfu}")
    return six_n_d(num_parameters, tokens) / (num_gpus * peak_flops_per_gpu * mfu) / 86400.0


def mfu(flops: float, seconds: float, peak_flops_per_s: float) -> float:
    """Model FLOPs utilisation: achieved ``flops / seconds`` as a fraction of the peak."""
    if seconds <= 0 or peak_flops_per_s <= 0:
        raise ValueError("seconds and peak_flops_per_s must be positive")
    return flops / seconds / peak_flops_per_s


# ----------------------------------------------------------------------------------------------
# Published configurations


@dataclass(frozen=True)
class PublishedModel:
    """Shape hyperparameters of a published decoder-only model (from its paper or released config).

    ``ffn`` is ``"swiglu"`` or ``"geglu"`` (3 matrices) or ``"gelu"`` (2 matrices). MoE models give ``num_experts``
    and ``top_k``; MLA models give ``kv_rank`` and ``rope_dim``.
    """

    name: str
    d_model: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    d_ff: int
    vocab_size: int
    ffn: str = "swiglu"
    tied_embeddings: bool = False
    num_experts: int = 0
    top_k: int = 0
    kv_rank: int = 0
    rope_dim: int = 0
    source: str = ""

    @property
    def attention_kind(self) -> str:
        if self.kv_rank:
            return "MLA"
        if self.num_kv_heads == 1:
            return "MQA"
        return "GQA" if self.num_kv_heads < self.num_heads else "MHA"

    def kv_cache_bytes_per_token(self, bytes_per_element: int = 2) -> int:
        if self.kv_rank:
            return mla_cache_bytes_per_token(self.num_layers, self.kv_rank, self.rope_dim, bytes_per_element)
        return kv_cache_bytes_per_token(self.num_layers, self.num_kv_heads, self.head_dim, bytes_per_element)

    def parameters(self, *, active: bool = False) -> int:
        """Approximate parameter count (weights of embeddings, attention, feed-forward; norms and
        biases are a rounding error). MLA models are not covered (their projections differ)."""
        if self.kv_rank:
            raise ValueError(f"{self.name}: parameters() does not model MLA projections")
        attention = self.d_model * self.head_dim * (2 * self.num_heads + 2 * self.num_kv_heads)
        matrices = 2 if self.ffn == "gelu" else 3
        experts = (self.top_k if active else self.num_experts) if self.num_experts else 1
        ffn = experts * matrices * self.d_model * self.d_ff + self.num_experts * self.d_model
        embeddings = self.vocab_size * self.d_model * (1 if self.tied_embeddings else 2)
        return self.num_layers * (attention + ffn) + embeddings


PUBLISHED_MODELS: list[PublishedModel] = [
    PublishedModel(
        name="GPT-3 175B",
        d_model=12288,
        num_layers=96,
        num_heads=96,
        num_kv_heads=96,
        head_dim=128,
        d_ff=49152,
        vocab_size=50257,
        ffn="gelu",
        tied_embeddings=True,
        source="Brown et al. 2020, Table 2.1",
    ),
    PublishedModel(
        name="Llama-2-7B",
        d_model=4096,
        num_layers=32,
        num_heads=32,
        num_kv_heads=32,
        head_dim=128,
        d_ff=11008,
        vocab_size=32000,
        source="Touvron et al. 2023; meta-llama/Llama-2-7b-hf config.json",
    ),
    PublishedModel(
        name="Llama-2-70B",
        d_model=8192,
        num_layers=80,
        num_heads=64,
        num_kv_heads=8,
        head_dim=128,
        d_ff=28672,
        vocab_size=32000,
        source="Touvron et al. 2023; meta-llama/Llama-2-70b-hf config.json",
    ),
    PublishedModel(
        name="Llama-3-8B",
        d_model=4096,
        num_layers=32,
        num_heads=32,
        num_kv_heads=8,
        head_dim=128,
        d_ff=14336,
        vocab_size=128256,
        source="Llama 3 model card; meta-llama/Meta-Llama-3-8B config.json",
    ),
    PublishedModel(
        name="Llama-3-70B",
        d_model=8192,
        num_layers=80,
        num_heads=64,
        num_kv_heads=8,
        head_dim=128,
        d_ff=28672,
        vocab_size=128256,
        source="Llama 3 model card; meta-llama/Meta-Llama-3-70B config.json",
    ),
    PublishedModel(
        name="Mistral-7B",
        d_model=4096,
        num_layers=32,
        num_heads=32,
        num_kv_heads=8,
        head_dim=128,
        d_ff=14336,
        vocab_size=32000,
        source="Jiang et al. 2023, Table 1",
    ),
    PublishedModel(
        name="Mixtral-8x7B",
        d_model=4096,
        num_layers=32,
        num_heads=32,
        num_kv_heads=8,
        head_dim=128,
        d_ff=14336,
        vocab_size=32000,
        num_experts=8,
        top_k=2,
        source="Jiang et al. 2024, Table 1",
    ),
    PublishedModel(
        name="Falcon-7B",
        d_model=4544,
        num_layers=32,
        num_heads=71,
        num_kv_heads=1,
        head_dim=64,
        d_ff=18176,
        vocab_size=65024,
        ffn="gelu",
        tied_embeddings=True,
        source="tiiuae/falcon-7b config.json",
    ),
    PublishedModel(
        name="Gemma-7B",
        d_model=3072,
        num_layers=28,
        num_heads=16,
        num_kv_heads=16,
        head_dim=256,
        d_ff=24576,
        vocab_size=256000,
        ffn="geglu",
        tied_embeddings=True,
        source="Gemma Team 2024, Table 1; google/gemma-7b config.json",
    ),
    PublishedModel(
        name="Qwen2-7B",
        d_model=3584,
        num_layers=28,
        num_heads=28,
        num_kv_heads=4,
        head_dim=128,
        d_ff=18944,
        vocab_size=152064,
        source="Yang et al. 2024, Table 1; Qwen/Qwen2-7B config.json",
    ),
    PublishedModel(
        name="DeepSeek-V2",
        d_model=5120,
        num_layers=60,
        num_heads=128,
        num_kv_heads=128,
        head_dim=128,
        d_ff=1536,
        vocab_size=102400,
        num_experts=160,
        top_k=6,
        kv_rank=512,
        rope_dim=64,
        source="DeepSeek-AI 2024, Section 3.1",
    ),
]
"""Published shapes used by lectures 02 and 03 (``head_dim`` times ``num_heads`` need not equal
``d_model``, e.g. Gemma-7B). ``d_ff`` of an MoE model is one expert's hidden size."""
