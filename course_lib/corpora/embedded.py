"""The embedded default corpus: generated children's stories, written once to the cache folder."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from course_lib.corpora.stories import iter_stories
from course_lib.corpora.textfile import EOT, write_documents
from course_lib.tools.paths import cache_dir

__all__ = ["embedded_corpus", "GENERATOR_VERSION", "SPLITS"]

# Bump when the generator's output changes, so cached files of the old version are not reused.
GENERATOR_VERSION = 2
SPLITS = ("train", "validation")
BYTES_PER_MB = 1_000_000


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {SPLITS}")


def _sized(stories: Iterator[str], target_bytes: int) -> Iterator[str]:
    """Whole stories until their records (story + EOT + newline) reach ``target_bytes``."""
    total = 0
    for story in stories:
        yield story
        total += len(story.encode("utf-8")) + len(EOT) + 1  # the record: story, EOT, newline
        if total >= target_bytes:
            return


def embedded_corpus(split: Literal["train", "validation"] = "train", megabytes: float = 2.0, *, seed: int = 0) -> Path:
    """The path of the embedded story corpus: generated on first use, then reused from the cache.

    The file is ``cache_dir()/corpora/stories-v{version}-{split}-seed{seed}-{megabytes}MB.txt``:
    UTF-8, each document (a story, paragraphs separated by a blank line) followed by
    ``"<|endoftext|>"`` and a newline, and nothing else. It holds whole stories and at least
    ``megabytes * 1_000_000`` bytes (at most one story more). The same arguments give a
    byte-identical file on every machine; ``train`` and ``validation`` come from different seeded
    streams, so they share no story in practice, and a smaller file is a prefix of a larger one with
    the same split and seed. Generation runs at several MB/s (20 MB in a few seconds), once: the
    file is written under a temporary name and renamed, so concurrent callers never see half a file.
    Raises ``ValueError`` for an unknown split or a size that is not positive and finite,
    ``TypeError`` for a seed that is not an int or a size that is not a number.
    """
    _check_split(split)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if isinstance(megabytes, bool) or not isinstance(megabytes, (int, float)):
        raise TypeError(f"megabytes must be a number, got {megabytes!r}")
    if not math.isfinite(megabytes) or megabytes <= 0:
        raise ValueError(f"megabytes must be a positive, finite number, got {megabytes!r}")
    name = f"stories-v{GENERATOR_VERSION}-{split}-seed{seed}-{float(megabytes)!r}MB.txt"
    path = cache_dir() / "corpora" / name
    if not path.is_file():
        stream = iter_stories(f"course_lib.corpora/v{GENERATOR_VERSION}/{split}/{seed}")
        write_documents(path, _sized(stream, math.ceil(megabytes * BYTES_PER_MB)))
    return path
