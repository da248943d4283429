"""Weight-only quantization: int8 per output channel and int4 in groups, with activations kept in float.

* int8 per channel (LLM.int8()'s absmax, without its outlier split): row ``o`` of the weight is stored
  as ``round(w / s_o)`` in [-127, 127] with ``s_o = max|w_o| / 127``; ``y = (x @ q^T) * s``.
* int4 group-wise (as GPTQ/AWQ checkpoints store it): each run of ``group_size`` input weights of a
  row gets its own scale and zero point, ``w ~ (q - z) * s`` with ``q`` in [0, 15]; two 4-bit values
  are packed per byte.

Decoding is memory-bound, so reading 1 byte (or half a byte) per weight instead of 4 is where the
speedup comes from, when the matmul kernel dequantizes on the fly (in registers). These layers
dequantize in plain PyTorch (a cast, or an unpack, before a float matmul), which teaches the
formats and saves memory but not time; PyTorch's fused ``_weight_int8pack_mm`` was slower still on
the course's small shapes on CPU.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.model.layers import Linear

__all__ = ["Int8Linear", "Int4Linear", "quantize_model", "weight_bytes"]


class Int8Linear(nn.Module):
    """``y = x W^T`` with ``W`` stored as int8 per output channel. x: (..., d_in) -> (..., d_out).

    Buffers: ``qweight`` (d_out, d_in) int8, ``scale`` (d_out,) in the input's float dtype.
    """

    def __init__(self, qweight: torch.Tensor, scale: torch.Tensor):
        super().__init__()
        if qweight.dtype != torch.int8 or qweight.ndim != 2 or scale.shape != qweight.shape[:1]:
            raise ValueError(
                f"need qweight (d_out, d_in) int8 and scale (d_out,), got {qweight.dtype} "
                f"{tuple(qweight.shape)} and {tuple(scale.shape)}"
            )
        self.d_out, self.d_in = qweight.shape
        self.register_buffer("qweight", qweight)
        self.register_buffer("scale", scale)

    @classmethod
    def from_float(cls, weight: torch.Tensor) -> Int8Linear:
        """Quantize a float weight (d_out, d_in) by absmax per output row."""
        scale = weight.abs().amax(dim=1).clamp_min(1e-12) / 127
        qweight = torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8)
        return cls(qweight, scale.to(weight.dtype))

    def dequantize(self) -> torch.Tensor:
        """The float weight this layer computes with, (d_out, d_in)."""
        return self.qweight.to(self.scale.dtype) * self.scale[:, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The per-row scale commutes with the matmul: x (q s)^T = (x q^T) s.
        return F.linear(x, self.qweight.to(x.dtype)) * self.scale.to(x.dtype)

    def extra_repr(self) -> str:
        return f"d_in={self.d_in}, d_out={self.d_out}, int8 per channel"


class Int4Linear(nn.Module):
    """``y = x W^T`` with ``W`` stored as 4-bit codes, a scale and a zero point per group of
    ``group_size`` input weights. x: (..., d_in) -> (..., d_out).

    Buffers: ``packed`` (d_out, d_in // 2) uint8 (element ``2j`` in the low nibble, ``2j+1`` in the
    high one), ``scale`` and ``zero`` (d_out, d_in // group_size) float.
    """

    def __init__(self, packed: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, group_size: int):
        super().__init__()
        self.d_out, self.d_in, self.group_size = packed.shape[0], packed.shape[1] * 2, group_size
        if (
            packed.dtype != torch.uint8
            or scale.shape != (self.d_out, self.d_in // group_size)
            or zero.shape != scale.shape
        ):
            raise ValueError(
                f"inconsistent int4 buffers: packed {tuple(packed.shape)} {packed.dtype}, "
                f"scale {tuple(scale.shape)}, zero {tuple(zero.shape)}, group_size {group_size}"
            )
        self.register_buffer("packed", packed)
        self.register_buffer("scale", scale)
        self.register_buffer("zero", zero)

    @classmethod
    def from_float(cls, weight: torch.Tensor, group_size: int = 32) -> Int4Linear:
        """Quantize a float weight (d_out, d_in) with min/max per group; ``d_in`` must be a multiple of
        ``group_size`` (itself even)."""
        d_out, d_in = weight.shape
        if group_size < 2 or group_size % 2 or d_in % group_size:
            raise ValueError(f"d_in={d_in} must be a multiple of an even group_size, got group_size={group_size}")
        groups = weight.float().view(d_out, d_in // group_size, group_size)
        lo, hi = groups.amin(-1), groups.amax(-1)
        scale = ((hi - lo) / 15).clamp_min(1e-12)
        zero = torch.round(-lo / scale)
        codes = torch.round(groups / scale[..., None] + zero[..., None]).clamp(0, 15).to(torch.uint8).view(d_out, d_in)
        packed = codes[:, 0::2] | (codes[:, 1::2] << 4)
        return cls(packed, scale.to(weight.dtype), zero.to(weight.dtype), group_size)

    def codes(self) -> torch.Tensor:
        """The unpacked 4-bit codes, (d_out, d_in) uint8 in [0, 15]."""
        return torch.stack((self.packed & 15, self.packed >> 4), dim=-1).view(self.d_out, self.d_in)

    def dequantize(self) -> torch.Tensor:
        """The float weight this layer computes with, (d_out, d_in)."""
        groups = self.codes().view(self.d_out, -1, self.group_size).to(self.scale.dtype)
        return ((groups - self.zero[..., None]) * self.scale[..., None]).view(self.d_out, self.d_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.dequantize().to(x.dtype))

    def extra_repr(self) -> str:
        return f"d_in={self.d_in}, d_out={self.d_out}, int4, group_size={self.group_size}"


def quantize_model(model: nn.Module, bits: int = 8, *, group_size: int = 32, include_lm_head: bool = True) -> nn.Module:
    """A copy of ``model`` with every course :class:`~course_lib.model.Linear` replaced by
    :class:`Int8Linear` (``bits=8``) or :class:`Int4Linear` (``bits=4``). Embeddings and norms stay float."""
    if bits not in (4, 8):
        raise ValueError(f"bits must be 4 or 8, got {bits}")
    quantized = copy.deepcopy(model)
    for name, module in list(quantized.named_modules()):
        for child_name, child in list(module.named_children()):
            if not isinstance(child, Linear) or (
                not include_lm_head and f"{name}.{child_name}".lstrip(".") == "lm_head"
            ):
                continue
            weight = child.weight.detach()
            setattr(
                module,
                child_name,
                Int8Linear.from_float(weight) if bits == 8 else Int4Linear.from_float(weight, group_size),
            )
    return quantized


def weight_bytes(model: nn.Module) -> int:
    """Bytes of every parameter and buffer that is a weight (RoPE tables, being recomputable, are excluded)."""
    total = sum(p.numel() * p.element_size() for p in model.parameters())
    return total + sum(
        b.numel() * b.element_size() for name, b in model.named_buffers() if not name.endswith((".cos", ".sin"))
    )
