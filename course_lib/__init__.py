"""course_lib: the companion library of "Language models from scratch".

One module per lecture topic (see the syllabus in README.md). Importing the package configures
Triton's execution mode first (compiled on CUDA, interpreter elsewhere), because Triton reads that
setting once, when it is first imported.
"""

from course_lib.env import configure_triton_mode as _configure_triton_mode

_configure_triton_mode()

__version__ = "0.1.0"
