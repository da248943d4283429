"""The tokenizer's optional C accelerators: whether they are built, and which code a call runs.

Encoding and training are written in Python first (``pretokenize``, ``merge``, ``train``,
``tokenizer``): that is the code the lecture reads and the reference the tests trust. The same work
is also written in C (``_fast_encode.c``: GPT-2's pre-tokenizer and the merges; ``_fast_train.c``:
training's merge loop), built by ``pip install`` where a C compiler exists, with results identical
to the Python code's (the tests compare them on every corpus and on random text). ``backend="auto"`` uses C when it is built and
Python otherwise; ``"python"`` always runs the Python code; ``"c"`` insists on C.
"""

from __future__ import annotations

import array
import functools
import importlib
from types import ModuleType
from typing import Literal

import regex

__all__ = [
    "ACCELERATORS",
    "Backend",
    "accelerator",
    "built",
    "gpt2_char_classes",
    "CHAR_OTHER",
    "CHAR_LETTER",
    "CHAR_NUMBER",
    "CHAR_SPACE",
]

Backend = Literal["auto", "python", "c"]

ACCELERATORS = {"_fast_encode": "encoding", "_fast_train": "training"}
"""Each C module and what it speeds up."""
CHAR_OTHER, CHAR_LETTER, CHAR_NUMBER, CHAR_SPACE = 0, 1, 2, 3
_BUILD_HINT = "run `pip install -e .` (or `python setup.py build_ext --inplace`) with a C compiler installed"


def accelerator(name: str, backend: Backend) -> ModuleType | None:
    """The C module ``course_lib.tokenization.<name>`` for ``backend``, or None for the Python code.

    ``"auto"`` gives the module if it is built, ``"python"`` gives None, ``"c"`` raises
    ``RuntimeError`` (saying how to build it) when it is not built.
    """
    if backend not in ("auto", "python", "c"):
        raise ValueError(f"backend must be 'auto', 'python' or 'c', got {backend!r}")
    if backend == "python":
        return None
    module = _load(name)
    if module is None and backend == "c":
        raise RuntimeError(f"the C accelerator course_lib.tokenization.{name} is not built: {_BUILD_HINT}")
    return module


def built() -> dict[str, bool]:
    """For each accelerated part (``"encoding"``...), whether its C module is built here."""
    return {part: _load(name) is not None for name, part in ACCELERATORS.items()}


@functools.cache
def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"course_lib.tokenization.{name}")
    except ImportError:
        return None


@functools.cache
def gpt2_char_classes() -> bytes:
    """One byte per code point (0x110000 of them): how GPT-2's regex sees each character.

    ``CHAR_LETTER`` for ``\\p{L}``, ``CHAR_NUMBER`` for ``\\p{N}``, ``CHAR_SPACE`` for ``\\s``,
    ``CHAR_OTHER`` for the rest. Made by the ``regex`` module itself, over a string of every code
    point, so the C scanner agrees with the Python regex on every character (about 50 ms, once).
    """
    every = array.array("I", range(0x110000)).tobytes().decode("utf-32-le", "surrogatepass")
    table = bytearray(0x110000)
    for code, pattern in ((CHAR_LETTER, r"\p{L}+"), (CHAR_NUMBER, r"\p{N}+"), (CHAR_SPACE, r"\s+")):
        for match in regex.finditer(pattern, every):
            start, end = match.span()
            table[start:end] = bytes([code]) * (end - start)
    return bytes(table)
