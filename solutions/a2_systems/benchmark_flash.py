"""Benchmark your FlashAttention-2 against PyTorch: the table the handout asks for.

    python -m assignments.a2_systems.benchmark_flash            # your implementation
    python -m assignments.a2_systems.benchmark_flash --causal

Times forward and forward + backward of naive attention (the full score matrix), your
``FlashAttention2Function``, your ``FlashAttention2TritonFunction`` (where Triton runs) and PyTorch's
``scaled_dot_product_attention``, with warm-up, synchronisation and medians (``course_lib.bench``),
and prints one Markdown row per (implementation, sequence length). On a CPU the sizes are small and
the Triton kernel runs in the interpreter, so its times say nothing about a GPU: say so in your write-up.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

import course_lib  # noqa: F401  (sets Triton's mode before triton is imported)
from course_lib.bench import time_fn
from course_lib.env import pick_device, triton_mode

from .flash_attention_pytorch import FlashAttention2Function


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool) -> torch.Tensor:
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if is_causal:
        s = s.masked_fill(torch.ones(s.shape[-2:], dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def implementations() -> dict[str, Callable[..., torch.Tensor]]:
    impls: dict[str, Callable[..., torch.Tensor]] = {
        "naive": naive_attention,
        "yours (PyTorch)": FlashAttention2Function.apply,
        "torch SDPA": lambda q, k, v, c: F.scaled_dot_product_attention(q, k, v, is_causal=c),
    }
    if triton_mode() != "unavailable":
        try:
            from .flash_attention_triton import FlashAttention2TritonFunction

            impls["yours (Triton)"] = FlashAttention2TritonFunction.apply
        except NotImplementedError:
            pass
    return impls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--head-dim", type=int, default=None)
    args = parser.parse_args(argv)
    device = pick_device()
    gpu = device.type == "cuda"
    dtype = torch.bfloat16 if gpu else torch.float32
    seqs = [256, 1024, 4096] if gpu else [64, 128]
    batch, heads, head_dim = (4, 16, args.head_dim or 64) if gpu else (1, 2, args.head_dim or 32)
    repeats = 10 if gpu else 3
    print(
        f"device {device} ({triton_mode()} Triton), {dtype}, batch {batch}, heads {heads}, head_dim {head_dim}, causal {args.causal}"
    )
    print("| implementation | seq | forward (ms) | forward + backward (ms) |")
    print("|---|---|---|---|")
    for n in seqs:
        g = torch.Generator().manual_seed(0)
        q, k, v = (
            torch.randn(batch, heads, n, head_dim, generator=g).to(device, dtype).requires_grad_() for _ in range(3)
        )
        for name, fn in implementations().items():
            try:
                fwd = time_fn(lambda: fn(q, k, v, args.causal), warmup=1, repeats=repeats, device=device)
                both = time_fn(
                    lambda: fn(q, k, v, args.causal).sum().backward(), warmup=1, repeats=repeats, device=device
                )
            except NotImplementedError:
                print(f"| {name} | {n} | not implemented | |")
                continue
            except torch.OutOfMemoryError:
                print(f"| {name} | {n} | out of memory | |")
                continue
            print(f"| {name} | {n} | {fwd.median * 1e3:.2f} | {both.median * 1e3:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
