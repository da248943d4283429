"""Reading torch.compile's generated code: the kernels inside Inductor's module."""

from __future__ import annotations

import shutil

import pytest
import torch

from course_lib.kernels.inductor import generated_kernels, memory_ops
from course_lib.tools.paths import repo_root

H200_SAMPLE = repo_root() / "benchmarks/results/gpu_h200/gelu_chain_inductor.py.txt"


def test_committed_h200_module_holds_one_fused_triton_kernel():
    kernels = generated_kernels(H200_SAMPLE.read_text())
    assert len(kernels) == 1
    assert "@triton.jit\ndef triton_poi_fused_add_mul_tanh_0(" in kernels[0]
    assert memory_ops(kernels[0]) == (1, 1)  # x read once, y written once: the chain is fused


def test_cpp_and_triton_kernels_are_found_in_order():
    module = (
        "buf = 1\n"
        "cpp_fused_0 = async_compile.cpp_pybinding(['const float*', 'float*'], r'''\n"
        "void kernel(const float* in_ptr0, float* out_ptr0) {\n"
        "    auto tmp0 = at::vec::Vectorized<float>::loadu(in_ptr0 + x0, 16);\n"
        "    tmp0.store(out_ptr0 + x0);\n}\n''')\n"
        "triton_poi_fused_1 = async_compile.triton('triton_poi_fused_1', '''\n"
        "@triton.jit\ndef k(a, b):\n    tl.store(b, tl.load(a) + tl.load(a + 1))\n''', device_str='cuda')\n"
    )
    cpp, triton = generated_kernels(module)
    assert cpp.startswith("void kernel(") and memory_ops(cpp) == (1, 1)
    assert triton.startswith("@triton.jit") and memory_ops(triton) == (2, 1)
    assert generated_kernels("def call(args):\n    return extern_kernels.mm(*args)\n") == []


def test_rejects_what_is_not_source():
    with pytest.raises(TypeError, match="generated module's source"):
        generated_kernels(["not", "a", "string"])  # type: ignore[arg-type]


@pytest.mark.skipif(
    shutil.which("c++") is None and shutil.which("g++") is None, reason="torch.compile on a CPU needs a C++ compiler"
)
def test_a_live_cpu_compile_fuses_the_chain_into_one_pass():
    from torch._inductor.utils import run_and_get_code

    def gelu_chain(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1.0 + torch.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))

    x = torch.randn(1 << 12)
    out, modules = run_and_get_code(torch.compile(gelu_chain), x)
    torch.testing.assert_close(out, gelu_chain(x))
    kernels = [k for module in modules for k in generated_kernels(module)]
    assert len(kernels) == 1
    loads, stores = memory_ops(kernels[0])
    assert loads >= 1 and stores >= 1
