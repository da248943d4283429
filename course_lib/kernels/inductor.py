"""Reading the code ``torch.compile`` writes: the kernels inside the module Inductor generates.

``torch._inductor.utils.run_and_get_code(compiled_fn, *args)`` returns the Python module Inductor
wrote for a compiled function. Each kernel sits inside it as a string handed to ``async_compile``:
a Triton kernel on a GPU (``async_compile.triton(name, '''...''')``), a C++ function on a CPU
(``async_compile.cpp_pybinding([...], r'''...''')``).
"""

from __future__ import annotations

import re

_KERNEL = re.compile(r"async_compile\.\w+\(.*?r?'''(.*?)'''", re.S)


def generated_kernels(module_source: str) -> list[str]:
    """The source of every kernel in an Inductor-generated module, in the order they appear.

    ``module_source`` is one of the strings ``run_and_get_code`` returns. A module with no kernel
    (everything lowered to library calls such as cuBLAS) gives an empty list.
    """
    if not isinstance(module_source, str):
        raise TypeError(
            f"module_source must be the generated module's source (a str), not {type(module_source).__name__}"
        )
    return [kernel.strip("\n") for kernel in _KERNEL.findall(module_source)]


def memory_ops(kernel_source: str) -> tuple[int, int]:
    """``(loads, stores)`` written in a kernel's source: ``tl.load``/``tl.store`` in Triton,
    ``loadu``/``.store(`` in Inductor's vectorised C++."""
    loads = kernel_source.count("tl.load(") + kernel_source.count("::loadu(")
    stores = kernel_source.count(".store(")  # Triton's tl.store( and the C++ vectors' .store( alike
    return loads, stores
