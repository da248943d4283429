"""Every Triton kernel compiles for an H100 (sm_90), FlashAttention-2 also for an A100 (sm_80), without a GPU.

The CPU test suite runs the kernels through Triton's interpreter, which executes their Python code
but never compiles them. Triton can compile ahead of time for a named GPU (down to a cubin, with the
``ptxas`` bundled in its wheel) without that GPU being present, so this test compiles each kernel
with the configurations the library launches on a GPU (bf16, the autotuning spaces, the backward
tiles) and checks that each fits in the shared memory of one SM. It runs in a subprocess because
Triton's mode (``TRITON_INTERPRET``) is fixed when triton is first imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_lib.kernels import HAS_TRITON

ROOT = Path(__file__).resolve().parents[1]
MAX_SHARED = {"H100": 232448, "A100": 166912}  # bytes of shared memory one block may use (opt-in maximum)

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    import torch
    import course_lib.kernels  # noqa: F401
    from course_lib.kernels._triton import row_launch_config
    fa = sys.modules["course_lib.kernels.flash_attention"]
    mm = sys.modules["course_lib.kernels.matmul"]
    sm = sys.modules["course_lib.kernels.softmax"]
    rn = sys.modules["course_lib.kernels.rmsnorm"]
    va = sys.modules["course_lib.kernels.vector_add"]

    def compile_for(gpu, target, name, kernel, types, constexprs, num_warps=4, num_stages=3):
        sig = {arg: "constexpr" if arg in constexprs else types.get(arg, "i32") for arg in kernel.arg_names}
        compiled = triton.compile(
            ASTSource(fn=kernel, signature=sig, constexprs=constexprs),
            target=target, options={"num_warps": num_warps, "num_stages": num_stages},
        )
        assert "cubin" in compiled.asm
        print(json.dumps({"gpu": gpu, "kernel": name, "config": str(constexprs), "shared": compiled.metadata.shared}))

    bf16, f32 = "*bf16", "*fp32"
    h100, a100 = GPUTarget("cuda", 90, 32), GPUTarget("cuda", 80, 32)
    compile_for("H100", h100, "add", va.add_kernel, dict(x_ptr=bf16, y_ptr=bf16, out_ptr=bf16), dict(BLOCK_SIZE=1024))
    block, warps = row_launch_config("softmax", 16384)
    compile_for("H100", h100, "softmax fwd", sm.softmax_fwd_kernel, dict(x_ptr=bf16, y_ptr=bf16), dict(BLOCK=block), warps)
    compile_for("H100", h100, "softmax bwd", sm.softmax_bwd_kernel, dict(y_ptr=bf16, dy_ptr=bf16, dx_ptr=bf16), dict(BLOCK=block), warps)
    block, warps = row_launch_config("rms_norm", 4096)
    types = dict(x_ptr=bf16, w_ptr=bf16, y_ptr=bf16, dy_ptr=bf16, dx_ptr=bf16, rstd_ptr=f32, dw_partial_ptr=f32, eps="fp32")
    compile_for("H100", h100, "rms_norm fwd", rn.rmsnorm_fwd_kernel, types, dict(BLOCK=block), warps)
    compile_for("H100", h100, "rms_norm bwd", rn.rmsnorm_bwd_kernel, types, dict(BLOCK=block), warps)
    for cfg in (mm._matmul_autotuned.configs[0], mm._matmul_autotuned.configs[-1]):  # the largest and smallest tiles
        compile_for("H100", h100, "matmul", mm.matmul_kernel, dict(a_ptr=bf16, b_ptr=bf16, c_ptr=bf16), cfg.kwargs, cfg.num_warps, cfg.num_stages)
    types = dict(Q=bf16, K=bf16, V=bf16, O=bf16, DO=bf16, DQ=bf16, DK=bf16, DV=bf16, LSE=f32, DELTA=f32, qk_scale="fp32", sm_scale="fp32")
    fwd_configs = fa._fwd_autotuned.configs
    largest = max(fwd_configs, key=lambda c: c.kwargs["BLOCK_M"] * c.kwargs["BLOCK_N"])
    for gpu, target, head_dims in (("H100", h100, (64, 96, 128)), ("A100", a100, (128,))):
        for head_dim in head_dims:
            dims = dict(HEAD_DIM=head_dim, BLOCK_D=fa._head_block(head_dim), PAD_D=fa._head_block(head_dim) != head_dim, IS_CAUSAL=True)
            for cfg in fwd_configs if (gpu, head_dim) == ("H100", 64) else (largest,):
                compile_for(gpu, target, f"flash fwd d{head_dim}", fa.flash_fwd_kernel, types, {**dims, **cfg.kwargs}, cfg.num_warps, cfg.num_stages)
            big, small, warps, stages = fa._bwd_config(torch.bfloat16, head_dim)
            compile_for(gpu, target, f"flash bwd dkdv d{head_dim}", fa.flash_bwd_dkdv_kernel, types, {**dims, "BLOCK_M": small, "BLOCK_N": big}, warps, stages)
            compile_for(gpu, target, f"flash bwd dq d{head_dim}", fa.flash_bwd_dq_kernel, types, {**dims, "BLOCK_M": big, "BLOCK_N": small}, warps, stages)
    """
)


def _nvidia_backend_available() -> bool:
    if not HAS_TRITON:
        return False
    import triton.backends

    return "nvidia" in triton.backends.backends


@pytest.mark.slow  # 23 compilations: ~25 s on 2 cores (seconds once in Triton's cache)
@pytest.mark.skipif(not _nvidia_backend_available(), reason="needs triton with its NVIDIA backend (Linux wheels)")
def test_every_kernel_compiles_for_gpus_and_fits_in_shared_memory():
    env = {**os.environ, "TRITON_INTERPRET": "0", "TRITON_DEFAULT_FP_FUSION": "1"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    compiled = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    kernels = {c["kernel"] for c in compiled}
    assert {"add", "softmax fwd", "softmax bwd", "rms_norm fwd", "rms_norm bwd", "matmul"} <= kernels
    assert {f"flash {part} d{d}" for part in ("fwd", "bwd dkdv", "bwd dq") for d in (64, 96, 128)} <= kernels
    # Every launch must fit in one SM's shared memory (autotuning would skip a forward configuration
    # that does not, but these all should).
    for c in compiled:
        assert c["shared"] <= MAX_SHARED[c["gpu"]], (
            f"{c['gpu']} {c['kernel']} {c['config']}: {c['shared']} bytes of shared memory"
        )
    assert {(c["gpu"], c["kernel"]) for c in compiled} >= {
        ("A100", "flash fwd d128"),
        ("A100", "flash bwd dkdv d128"),
        ("A100", "flash bwd dq d128"),
    }
