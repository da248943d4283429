"""Where the course's folders are: the repository root and the cache."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repo_root", "cache_dir"]


def repo_root() -> Path:
    """The course repository (the folder holding ``solutions/`` and ``tests/``).

    Found from the current directory upwards, then from this package's location (an editable
    install). Raises ``FileNotFoundError`` with what to do when neither is inside the repository.
    """
    candidates = [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]]
    for candidate in candidates:
        if (candidate / "tests").is_dir() and (candidate / "solutions").is_dir():
            return candidate
    raise FileNotFoundError(
        "cannot find the course repository (a folder with solutions/ and tests/): "
        "run this command from inside your clone of the course"
    )


def cache_dir() -> Path:
    """The course's cache (corpora, tokenized data, checkpoints): ``$COURSE_CACHE`` or ``~/.cache/llm-course``."""
    path = Path(os.environ.get("COURSE_CACHE", Path.home() / ".cache" / "llm-course")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path
