"""Benchmark the Triton kernels of ``course_lib.kernels`` against PyTorch on a CUDA GPU.

    python benchmarks/kernels.py            # every kernel
    python benchmarks/kernels.py --only flash_attention softmax

Each kernel is timed against its PyTorch reference in the same run, interleaved (A, B, A, B, ...),
after warm-up, with the GPU synchronised around each call (``course_lib.bench.compare``), and the
medians are reported as milliseconds, TFLOP/s (compute-bound kernels) or GB/s (memory-bound ones),
and a ratio: ``speed`` = reference time / our time (above 1: ours is faster).

Targets on an H100 (checked and marked in the last column):
- FlashAttention-2 forward >= 0.8x PyTorch SDPA's flash backend (bf16, seq 4096, head_dim 64, causal);
- fused softmax >= 80% of the GPU's nominal HBM bandwidth.

The Triton interpreter (the only way to run the kernels without a GPU) is thousands of times slower
than compiled code, so without CUDA this script says so and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import course_lib  # noqa: E402,F401  (sets Triton's mode before triton is imported)
from course_lib.bench import Comparison, compare  # noqa: E402

NOMINAL_HBM_GBPS = {
    "H100 PCIe": 2000.0,
    "H100 NVL": 3900.0,
    "H100": 3350.0,
    "H200": 4800.0,
    "A100-SXM4-80GB": 2039.0,
    "A100 80GB PCIe": 1935.0,
    "A100-SXM4-40GB": 1555.0,
    "A100-PCIE-40GB": 1555.0,
}
"""Spec-sheet HBM bandwidth (GB/s) by the first fragment found in ``torch.cuda.get_device_name()``."""


@dataclass(frozen=True)
class Setup:
    """Where and how to measure. ``smoke``: tiny sizes on the CPU interpreter, to check the script only."""

    device: str
    dtype: torch.dtype
    repeats: int
    smoke: bool = False

    def size(self, gpu: int, smoke: int) -> int:
        return smoke if self.smoke else gpu


@dataclass(frozen=True)
class Row:
    kernel: str
    shape: str
    comparison: Comparison
    work: float  # FLOPs or bytes per call
    unit: str  # "TFLOP/s" or "GB/s"
    target: str = ""

    def rate(self, seconds: float) -> float:
        return self.work / seconds / (1e12 if self.unit == "TFLOP/s" else 1e9)

    def cells(self) -> list[str]:
        ours, ref = self.comparison.a.median, self.comparison.b.median
        return [
            self.kernel,
            self.shape,
            f"{ours * 1e3:.3f}",
            f"{ref * 1e3:.3f}",
            f"{self.rate(ours):.1f}",
            f"{self.rate(ref):.1f}",
            self.unit,
            f"{ref / ours:.2f}x",
            self.target,
        ]


def nominal_bandwidth_gbps() -> float | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(0)
    for fragment, gbps in NOMINAL_HBM_GBPS.items():
        if fragment in name:
            return gbps
    return None


def _timed(
    setup: Setup, name: str, shape: str, ours: Callable[[], object], ref: Callable[[], object], work: float, unit: str
) -> Row:
    warmup = 1 if setup.smoke else 5
    return Row(name, shape, compare(ours, ref, warmup=warmup, repeats=setup.repeats, device=setup.device), work, unit)


def _randn(setup: Setup, *shape: int, requires_grad: bool = False) -> torch.Tensor:
    return torch.randn(*shape, device=setup.device, dtype=setup.dtype, requires_grad=requires_grad)


def bench_add(setup: Setup) -> list[Row]:
    from course_lib.kernels import add

    n = setup.size(1 << 28, 1000)
    x, y = _randn(setup, n), _randn(setup, n)
    return [_timed(setup, "vector add", f"{n:,}", lambda: add(x, y), lambda: x + y, 3 * n * x.element_size(), "GB/s")]


def bench_softmax(setup: Setup) -> list[Row]:
    from course_lib.kernels import softmax

    rows = []
    peak = nominal_bandwidth_gbps()
    for m, n in ((16384, 4096), (4096, 16384)):
        m, n = setup.size(m, 8), setup.size(n, 100)
        x = _randn(setup, m, n)
        row = _timed(
            setup,
            "softmax fwd",
            f"{m}x{n}",
            lambda: softmax(x),
            lambda: torch.softmax(x, -1),
            2 * x.numel() * x.element_size(),
            "GB/s",
        )
        if peak is not None:
            share = row.rate(row.comparison.a.median) / peak
            row = replace(
                row, target=f"{share:.0%} of {peak:.0f} GB/s (target 80%) {'OK' if share >= 0.8 else 'MISSED'}"
            )
        rows.append(row)
    return rows


def bench_rms_norm(setup: Setup) -> list[Row]:
    from course_lib.kernels import rms_norm

    m, d = setup.size(16384, 8), setup.size(4096, 100)
    x, w = _randn(setup, m, d, requires_grad=True), _randn(setup, d, requires_grad=True)
    dy = torch.randn_like(x)
    size = x.numel() * x.element_size()
    fwd = _timed(
        setup,
        "rms_norm fwd",
        f"{m}x{d}",
        lambda: rms_norm(x, w),
        lambda: F.rms_norm(x, (d,), w, 1e-6),
        2 * size,
        "GB/s",
    )
    # Forward + backward moves x, y, x, dy, dx at least: five passes over the matrix.
    both = _timed(
        setup,
        "rms_norm fwd+bwd",
        f"{m}x{d}",
        lambda: torch.autograd.grad(rms_norm(x, w), (x, w), dy),
        lambda: torch.autograd.grad(F.rms_norm(x, (d,), w, 1e-6), (x, w), dy),
        5 * size,
        "GB/s",
    )
    return [fwd, both]


def bench_matmul(setup: Setup) -> list[Row]:
    from course_lib.kernels import matmul

    rows = []
    for m, k, n in ((4096, 4096, 4096), (8192, 8192, 8192), (4000, 5000, 3000)):
        m, k, n = setup.size(m, 40), setup.size(k, 50), setup.size(n, 30)
        a, b = _randn(setup, m, k), _randn(setup, k, n)
        rows.append(
            _timed(
                setup,
                "matmul (vs cuBLAS)",
                f"{m}x{k}x{n}",
                lambda: matmul(a, b),
                lambda: a @ b,
                2.0 * m * n * k,
                "TFLOP/s",
            )
        )
    return rows


def bench_flash_attention(setup: Setup) -> list[Row]:
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from course_lib.kernels import flash_attention

    def sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    rows = []
    configs = [(4096, 64, True), (4096, 64, False), (4096, 128, True), (1024, 64, True), (16384, 64, True)]
    for seq, head_dim, causal in configs[:2] if setup.smoke else configs:
        seq, head_dim = setup.size(seq, 40), setup.size(head_dim, 16)
        batch, heads = setup.size(max(1, 16384 // seq), 1), setup.size(16, 2)
        q, k, v = (_randn(setup, batch, heads, seq, head_dim, requires_grad=True) for _ in range(3))
        do = torch.randn_like(q)
        flops = 4.0 * batch * heads * seq * seq * head_dim * (0.5 if causal else 1.0)
        shape = f"b{batch} h{heads} n{seq} d{head_dim}{' causal' if causal else ''}"
        with torch.no_grad():
            fwd = _timed(
                setup,
                "flash_attention fwd (vs SDPA flash)",
                shape,
                lambda: flash_attention(q, k, v, causal),
                lambda: sdpa(q, k, v, causal),
                flops,
                "TFLOP/s",
            )
        if (seq, head_dim, causal) == (4096, 64, True):
            ratio = fwd.comparison.b.median / fwd.comparison.a.median
            fwd = replace(fwd, target=f"target 0.80x {'OK' if ratio >= 0.8 else 'MISSED'}")
        # The backward pass does 2.5x the forward's matmul FLOPs (5 matmuls against 2).
        both = _timed(
            setup,
            "flash_attention fwd+bwd",
            shape,
            lambda: torch.autograd.grad(flash_attention(q, k, v, causal), (q, k, v), do),
            lambda: torch.autograd.grad(sdpa(q, k, v, causal), (q, k, v), do),
            3.5 * flops,
            "TFLOP/s",
        )
        rows += [fwd, both]
    return rows


BENCHES = {
    "add": bench_add,
    "softmax": bench_softmax,
    "rms_norm": bench_rms_norm,
    "matmul": bench_matmul,
    "flash_attention": bench_flash_attention,
}


def print_table(rows: list[Row]) -> None:
    header = ["kernel", "shape", "ours ms", "torch ms", "ours", "torch", "unit", "speed", "target"]
    table = [header] + [row.cells() for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Triton kernels vs PyTorch on a CUDA GPU (ratios measured in one run)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="run only these kernels")
    parser.add_argument("--dtype", choices=("bfloat16", "float16"), default="bfloat16")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="without a GPU: run every benchmark at tiny sizes through the interpreter (float32) to check the script; the figures mean nothing",
    )
    args = parser.parse_args(argv)
    from course_lib.env import triton_mode

    if args.smoke:
        if triton_mode() != "interpreter":
            print(f"benchmarks/kernels.py --smoke needs Triton's CPU interpreter; Triton is {triton_mode()!r} here")
            return 1
        setup = Setup("cpu", torch.float32, repeats=2, smoke=True)
        print("SMOKE RUN on the CPU interpreter: checks the script; these figures say nothing about speed")
    elif not torch.cuda.is_available():
        print(
            "benchmarks/kernels.py: no CUDA GPU here, nothing to measure. Without a GPU the kernels run in "
            "Triton's CPU interpreter, which checks correctness (pytest tests/test_kernels*.py) but says "
            "nothing about speed. Run this on a CUDA machine (or add --smoke to check the script)."
        )
        return 0
    elif triton_mode() != "compiled":
        print(
            f"benchmarks/kernels.py: Triton is in {triton_mode()!r} mode, not compiled; unset TRITON_INTERPRET and install triton."
        )
        return 1
    else:
        setup = Setup("cuda", getattr(torch, args.dtype), repeats=args.repeats)
        peak = nominal_bandwidth_gbps()
        print(
            f"GPU: {torch.cuda.get_device_name(0)} (nominal HBM {f'{peak:.0f} GB/s' if peak else 'unknown'}), torch {torch.__version__}, dtype {args.dtype}"
        )
    rows: list[Row] = []
    for name in args.only or list(BENCHES):
        rows += BENCHES[name](setup)
        if setup.device == "cuda":
            torch.cuda.empty_cache()
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
