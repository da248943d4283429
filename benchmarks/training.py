"""Training speed: a course_lib training step against Hugging Face's LlamaForCausalLM, and MFU.

Run: ``python benchmarks/training.py [--size tiny|small] [--repeats N]``.

1. *Step throughput.* The same architecture and weights (``to_hf_llama``), the same batch, one full
   training step each: forward, cross-entropy, backward, gradient clipping, AdamW update
   (``course_lib.training.AdamW`` for ours, ``torch.optim.AdamW`` for HF, both with their default
   implementation on this device). Timed alternately with ``course_lib.bench.compare``; the ratio
   printed is HF's median step time over ours (>= 1.0: ours is at least as fast).
2. *MFU.* Model FLOPs (``accounting.training_flops``) per second of our step, against the peak:
   on a CUDA GPU the datasheet bf16 peak (the ``gpu`` preset's model, bf16 autocast); on a CPU the
   best fp32 matmul throughput measured here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from course_lib import accounting  # noqa: E402
from course_lib.bench import compare, time_fn  # noqa: E402
from course_lib.env import pick_device, seed_everything  # noqa: E402
from course_lib.model import TransformerLM, to_hf_llama  # noqa: E402
from course_lib.training import PRESETS, AdamW, clip_grad_norm_  # noqa: E402

SIZES = {
    "tiny": (PRESETS["tiny"].model, 16),
    "small": (PRESETS["small"].model, 8),
    "gpu": (PRESETS["gpu"].model, 16),
}


def _step_fn(model, optimizer, ids, clip, autocast):
    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            out = model(ids)
            logits = out if isinstance(out, torch.Tensor) else out.logits
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))
        loss.backward()
        clip(model.parameters(), 1.0)
        optimizer.step()

    return step


def _matmul_flops_per_s(n: int) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / time_fn(lambda: a @ b, warmup=2, repeats=10).best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default=None, help="default: tiny on CPU, gpu on CUDA")
    parser.add_argument("--repeats", type=int, default=30, help="timed steps of each, interleaved (default: %(default)s)")
    args = parser.parse_args()
    device = pick_device()
    size = args.size or ("gpu" if device.type == "cuda" else "tiny")
    config, batch = SIZES[size]
    seed_everything(0)
    ours = TransformerLM.from_config(config).to(device)
    theirs = to_hf_llama(ours, attn_implementation="sdpa").to(device).train()
    ids = torch.randint(0, config.vocab_size, (batch, config.context_length), device=device)
    bf16 = device.type == "cuda"

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)

    step_ours = _step_fn(ours, AdamW(ours.parameters(), lr=1e-4, weight_decay=0.1), ids, clip_grad_norm_, autocast)
    step_hf = _step_fn(theirs, torch.optim.AdamW(theirs.parameters(), lr=1e-4, weight_decay=0.1), ids,
                       torch.nn.utils.clip_grad_norm_, autocast)  # fmt: skip
    params = accounting.parameter_counts(config).total
    print(f"device {device}, model '{size}' ({params:,} parameters), batch {batch} x {config.context_length}, "
          f"{'bf16 autocast' if bf16 else 'fp32'}, torch threads {torch.get_num_threads()}")  # fmt: skip
    result = compare(step_ours, step_hf, warmup=2, repeats=args.repeats, device=device)
    print(f"course_lib step : {result.a}")
    print(f"HF Llama step   : {result.b}")
    print(f"throughput ratio (HF time / course_lib time): {result.speedup:.2f}x  (target >= 1.0)")

    flops = accounting.training_flops(config, batch, config.context_length)
    if device.type == "cuda":
        gpu = accounting.gpu_spec(torch.cuda.get_device_name(0))
        peak, what = (gpu.peak_flops["bf16"], f"{gpu.name} datasheet bf16 peak") if gpu else (None, "")
    else:  # the best fp32 matmul throughput over a few sizes (a shared CPU only ever lowers it)
        peak, what = max(_matmul_flops_per_s(n) for n in (512, 1024, 1536)), "measured fp32 matmul peak"
    if peak:
        print(f"MFU of our step : {accounting.mfu(flops, result.a.median, peak):.1%} of the {what} "
              f"({peak / 1e12:.3g} TFLOP/s); {flops / result.a.median / 1e12:.3g} TFLOP/s achieved")  # fmt: skip


if __name__ == "__main__":
    main()
