"""Benchmark: course_lib's bucketed DistributedDataParallel against torch's, and the
all-reduce bus bandwidth against message size, on 2 gloo ranks of this machine, in one run.

    python benchmarks/parallel.py [--width 512] [--depth 8] [--repeats 30]

Both wrappers train copies of the same MLP on the same data with the same bucket cap (25 MB, torch's
default); a step is forward + backward + gradient synchronisation. The two are timed alternately
(``course_lib.bench.compare``) inside the ranks, so drifts of a shared machine hit both alike. The
target is a ratio of at most 1.1 (ours / torch's).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch import nn  # noqa: E402

from course_lib.bench import compare  # noqa: E402
from course_lib.parallel import DistributedDataParallel, bus_bandwidth, launch, time_all_reduce  # noqa: E402

TARGET = 1.1
SIZES = [2**k for k in range(10, 25, 2)]  # 4 KB ... 64 MB of float32


def _model(width: int, depth: int) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(width, width), nn.GELU())], nn.Linear(width, 10))


def _bench(width: int, depth: int, batch: int, repeats: int, bucket_mb: float) -> dict:
    rank = dist.get_rank()
    ours = DistributedDataParallel(_model(width, depth), bucket_size_mb=bucket_mb)
    theirs = nn.parallel.DistributedDataParallel(_model(width, depth), bucket_cap_mb=bucket_mb)
    g = torch.Generator().manual_seed(rank)
    x, y = torch.randn(batch, width, generator=g), torch.randint(0, 10, (batch,), generator=g)

    def step_ours() -> None:
        nn.functional.cross_entropy(ours(x), y).backward()
        ours.finish_gradient_synchronization()
        ours.zero_grad(set_to_none=False)

    def step_theirs() -> None:
        nn.functional.cross_entropy(theirs(x), y).backward()
        theirs.zero_grad(set_to_none=False)

    comparison = compare(step_ours, step_theirs, warmup=3, repeats=repeats)
    for a, b in zip(ours.module.parameters(), theirs.module.parameters()):  # same gradients, or the timing is moot
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-6)
    return {
        "ours": comparison.a.median,
        "theirs": comparison.b.median,
        "ratio": comparison.ratio,
        "ours_iqr": comparison.a.iqr,
        "theirs_iqr": comparison.b.iqr,
        "params": sum(p.numel() for p in ours.parameters()),
        "buckets": len(ours.buckets),
        "all_reduce": time_all_reduce(SIZES, repeats=max(5, repeats // 3), warmup=2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32, help="sequences per rank")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--bucket-mb", type=float, default=25.0)
    args = parser.parse_args()
    r = launch(
        _bench, world_size=2, args=(args.width, args.depth, args.batch, args.repeats, args.bucket_mb), timeout=600
    )[0]
    print(
        f"2 gloo ranks, 1 thread each; MLP {args.depth}x{args.width} ({r['params'] / 1e6:.2f} M params, "
        f"{r['params'] * 4 / 1e6:.1f} MB of gradients), batch {args.batch} per rank, {args.bucket_mb:g} MB buckets ({r['buckets']})"
    )
    print(
        f"step (fwd+bwd+sync)  course_lib DistributedDataParallel {r['ours'] * 1e3:7.2f} ms ± {r['ours_iqr'] / 2 * 1e3:.2f}"
    )
    print(f"                     torch DDP               {r['theirs'] * 1e3:7.2f} ms ± {r['theirs_iqr'] / 2 * 1e3:.2f}")
    verdict = "meets" if r["ratio"] <= TARGET else "MISSES"
    print(f"ratio ours/torch = {r['ratio']:.3f}  ({verdict} the target of <= {TARGET})")
    print("\nall-reduce (float32, 2 ranks):   size        time    bus bandwidth")
    for numel, seconds in zip(SIZES, r["all_reduce"]):
        nbytes = numel * 4
        print(
            f"{'':32s} {nbytes / 1e6:8.3f} MB {seconds * 1e3:8.3f} ms {bus_bandwidth('all_reduce', nbytes, seconds, 2) / 1e9:8.3f} GB/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
