"""course_lib: the companion library of "Language models from scratch".

One module per lecture topic (see the syllabus in README.md). Importing the package configures
Triton's execution mode first (compiled on CUDA, interpreter elsewhere), because Triton reads that
setting once, when it is first imported; and, when torch is not imported yet, OpenMP's wait
policy (passive: waiting threads sleep), which OpenMP also reads only once.
"""

import os as _os
import sys as _sys

if "torch" not in _sys.modules:
    # OpenMP threads that wait for each other sleep instead of spinning, so that other work on the
    # machine slows PyTorch down in proportion, not many times over (see course_lib.env). OpenMP
    # reads this once, when torch loads it; a value already set is kept.
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from course_lib.env import configure_triton_mode as _configure_triton_mode  # noqa: E402

_configure_triton_mode()

__version__ = "0.1.0"
