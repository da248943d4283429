"""Weight-only quantization: the stored codes, the reconstruction error bound, the quantized model."""

from __future__ import annotations

import pytest
import torch

from course_lib.inference import Int4Linear, Int8Linear, generate, quantize_model, weight_bytes
from tests.inference_helpers import tiny_model


def test_int8_per_channel_round_trip_and_forward():
    w = torch.randn(48, 64, generator=torch.Generator().manual_seed(0))
    layer = Int8Linear.from_float(w)
    scale = w.abs().amax(1) / 127
    torch.testing.assert_close(layer.scale, scale)
    assert layer.qweight.abs().amax(1).eq(127).all()  # each row's largest weight uses the full range
    assert ((layer.dequantize() - w).abs() <= scale[:, None] / 2 + 1e-6).all()
    x = torch.randn(3, 5, 64)
    torch.testing.assert_close(layer(x), torch.nn.functional.linear(x, layer.dequantize()), atol=1e-4, rtol=1e-4)


def test_int4_group_wise_packing_and_error_bound():
    w = torch.randn(16, 64, generator=torch.Generator().manual_seed(1))
    layer = Int4Linear.from_float(w, group_size=16)
    assert layer.packed.shape == (16, 32) and layer.packed.dtype == torch.uint8
    codes = layer.codes()
    assert codes.max() <= 15 and torch.equal(codes[:, 0::2], layer.packed & 15)
    groups = w.view(16, 4, 16)
    step = (groups.amax(-1) - groups.amin(-1)) / 15
    err = (layer.dequantize() - w).view(16, 4, 16).abs()
    assert (err <= step[..., None] * 0.5 + 1e-5).all()
    x = torch.randn(2, 64)
    torch.testing.assert_close(layer(x), x @ layer.dequantize().T)
    with pytest.raises(ValueError, match="group_size"):
        Int4Linear.from_float(w, group_size=24)


@pytest.mark.parametrize("bits", [8, 4])
def test_quantized_model_is_smaller_and_close(bits):
    model = tiny_model("gqa")
    quant = quantize_model(model, bits, group_size=16)
    assert not any(isinstance(m, torch.nn.Parameter) for m in quant.buffers())
    ratio = weight_bytes(quant) / weight_bytes(model)
    assert ratio < (0.45 if bits == 8 else 0.35)  # embeddings and norms stay fp32
    ids = torch.randint(0, 64, (2, 12), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref, out = model(ids).softmax(-1), quant(ids).softmax(-1)
    assert (ref - out).abs().max() < (0.02 if bits == 8 else 0.1)
    assert generate(quant, ids, 5, temperature=0.0).shape == (2, 17)  # the cache works on it too
    with pytest.raises(ValueError, match="bits"):
        quantize_model(model, 3)
