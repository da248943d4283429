"""Checks of command-line values, shared by the ``course`` subcommands.

Each check returns ``None`` when the value is fine, or one line that names the option, the value
and what was expected; a command prints the lines (:func:`report`) and exits with status 2 before
doing any work.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["number_problem", "device_problem", "folder_problem", "text_problem", "report"]


def number_problem(
    option: str,
    value: float | None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> str | None:
    """A problem with a numeric option (``None`` when unset or fine): finite, and inside the bounds."""
    if value is None:
        return None
    wanted = [
        f">= {minimum:g}" if minimum is not None else "",
        f"> {above:g}" if above is not None else "",
        f"<= {maximum:g}" if maximum is not None else "",
    ]
    expected = " and ".join(w for w in wanted if w) or "finite"
    if (
        not math.isfinite(value)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
        or (above is not None and value <= above)
    ):
        return f"{option} must be a finite number {expected}, got {value!r}"
    return None


def device_problem(option: str, name: str | None) -> str | None:
    """A problem with a device name: unknown (``tpu``) or not available here (``cuda`` without a GPU)."""
    if name is None:
        return None
    from course_lib.env import pick_device

    try:
        pick_device(name)
    except RuntimeError as exc:
        reason = str(exc).splitlines()[0] if str(exc).strip() else "unknown device"
        return f"{option} {name!r}: {reason} (use cpu, cuda or mps, or leave it out for the best available)"
    return None


def folder_problem(option: str, path: Path) -> str | None:
    """A problem with a folder to write into: it cannot be made, or is not writable."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"{option} {path}: cannot create this folder ({exc.strerror or exc})"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{option} {path}: this folder is not writable"
    return None


def text_problem(option: str, text: str) -> str | None:
    """A problem with text from the command line: bytes that are not valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"{option} is not valid UTF-8 text (undecodable byte at position {exc.start})"
    return None


def report(problems: Sequence[str | None]) -> int:
    """Print each problem (``None`` entries are fine values) to stderr as ``error: ...``; return the
    exit status a command stops with, 2, when there is one, else 0."""
    found = [p for p in problems if p]
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if found else 0
