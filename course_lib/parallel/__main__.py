"""Run one strategy's demonstration: ``python -m course_lib.parallel ring`` (no name: list them).

The same as ``python -m course_lib.parallel.ring``, without runpy's warning that the module was
already imported (``course_lib.parallel`` imports every module when it is imported itself).
"""

from __future__ import annotations

import runpy
import sys
import warnings

DEMOS = ("collectives", "ring", "ddp", "zero", "fsdp", "tensor_parallel", "pipeline", "expert_parallel", "planner")


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in DEMOS:
        print(f"usage: python -m course_lib.parallel {{{','.join(DEMOS)}}}", file=sys.stderr)
        return 0 if not argv else 2
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*found in sys.modules after import of package", category=RuntimeWarning
        )
        runpy.run_module(f"course_lib.parallel.{argv[0]}", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
