"""Pre-tokenization: how text is cut into pieces before BPE ever sees it.

Byte-level BPE never merges across the pieces made here: first the text is split at special tokens
(``<|endoftext|>``...), which pass through whole; then each stretch between them is cut by GPT-2's
regular expression into words with their leading space, runs of digits, runs of punctuation and
runs of whitespace. Training counts those pieces (:func:`count_pretokens`), in parallel across
processes for a file (:func:`count_pretokens_in_file`); encoding looks them up in a cache.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import BinaryIO

import regex

from course_lib.tokenization.accelerate import Backend, accelerator, gpt2_char_classes

__all__ = [
    "GPT2_PATTERN",
    "GPT2_REGEX",
    "check_special_tokens",
    "special_token_regex",
    "split_on_special_tokens",
    "split_pretokens",
    "count_pretokens",
    "find_chunk_boundaries",
    "count_pretokens_in_file",
    "default_num_workers",
]

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
"""GPT-2's pre-tokenization regex: contractions, words, numbers, punctuation, whitespace runs.

``\\s+(?!\\S)`` leaves the last space of a run to start the next word, so ``"a   b"`` becomes
``["a", "  ", " b"]``. tiktoken's ``r50k_base``/``gpt2`` and HF's ``ByteLevel(use_regex=True)`` cut
text the same way.
"""

GPT2_REGEX = regex.compile(GPT2_PATTERN)


def check_special_tokens(special_tokens: Sequence[str] | None) -> list[str]:
    """The special tokens as a list, after checking they are non-empty, distinct strings."""
    if special_tokens is None:
        return []
    if isinstance(special_tokens, (str, bytes)):
        raise TypeError(
            f"special_tokens must be a list of strings, got the single {type(special_tokens).__name__} {special_tokens!r}"
        )
    tokens = list(special_tokens)
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(f"special tokens must be str, got {type(token).__name__} {token!r}")
        if not token:
            raise ValueError("a special token cannot be the empty string")
    duplicates = sorted({t for t in tokens if tokens.count(t) > 1})
    if duplicates:
        raise ValueError(f"special tokens must be distinct; repeated: {duplicates}")
    return tokens


def special_token_regex(special_tokens: Sequence[str]) -> regex.Pattern[str] | None:
    """A regex matching any special token, the longest first where several start at one place.

    Returns None when there are no special tokens.
    """
    if not special_tokens:
        return None
    ordered = sorted(special_tokens, key=lambda t: (-len(t), t))
    return regex.compile("|".join(regex.escape(t) for t in ordered))


def split_on_special_tokens(text: str, special_regex: regex.Pattern[str] | None) -> Iterator[tuple[str, bool]]:
    """Yield ``(piece, is_special)`` in order: the stretches of ordinary text and the special tokens.

    Empty stretches of ordinary text are skipped.
    """
    if special_regex is None:
        if text:
            yield text, False
        return
    start = 0
    for match in special_regex.finditer(text):
        if match.start() > start:
            yield text[start : match.start()], False
        yield match.group(), True
        start = match.end()
    if start < len(text):
        yield text[start:], False


def split_pretokens(text: str, special_tokens: Sequence[str] | None = None, *, backend: Backend = "auto") -> list[str]:
    """Cut ``text`` into pre-tokens: GPT-2's regex pieces, with special tokens kept whole.

    ``backend="auto"`` cuts with the C scanner when it is built (the same pieces,
    :mod:`~course_lib.tokenization.accelerate`).

    >>> split_pretokens("Hello, world!<|endoftext|>  Hi", ["<|endoftext|>"])
    ['Hello', ',', ' world', '!', '<|endoftext|>', ' ', ' Hi']
    """
    fast = accelerator("_fast_encode", backend)
    pieces: list[str] = []
    for piece, is_special in split_on_special_tokens(text, special_token_regex(check_special_tokens(special_tokens))):
        if is_special:
            pieces.append(piece)
        elif fast is None:
            pieces.extend(GPT2_REGEX.findall(piece))
        else:
            pieces.extend(fast.split_pretokens(piece, gpt2_char_classes()))
    return pieces


def count_pretokens(
    text: str, special_tokens: Sequence[str] | None = None, *, backend: Backend = "auto"
) -> Counter[str]:
    """How often each pre-token occurs in ``text``; special tokens are dropped, not counted.

    ``backend="auto"`` counts with the C scanner when it is built (the same counts).
    """
    fast = accelerator("_fast_encode", backend)
    counts: Counter[str] = Counter()
    for piece, is_special in split_on_special_tokens(text, special_token_regex(check_special_tokens(special_tokens))):
        if is_special:
            continue
        if fast is None:
            counts.update(GPT2_REGEX.findall(piece))
        else:
            fast.count_pretokens(piece, gpt2_char_classes(), counts)
    return counts


def default_num_workers() -> int:
    """The CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def find_chunk_boundaries(path: Path, num_chunks: int, split_tokens: Sequence[bytes]) -> list[int]:
    """Byte offsets ``[0, ..., size]`` cutting the file into about ``num_chunks`` pieces.

    Each inner boundary is moved forward to the start of the next occurrence of one of
    ``split_tokens`` (UTF-8 encoded special tokens) that no other occurrence overlaps, so no chunk
    cuts a document, a special token, a pre-token or a UTF-8 character in two, and each chunk
    pre-tokenizes exactly as it would inside the whole file. Without split tokens (or when none
    follows), the file is one chunk. Boundaries are sorted and distinct, so there may be fewer
    chunks than asked for.
    """
    size = path.stat().st_size
    if num_chunks < 1:
        raise ValueError(f"num_chunks must be >= 1, got {num_chunks}")
    if not split_tokens or num_chunks == 1 or size == 0:
        return [0, size]
    boundaries = [0]
    with path.open("rb") as f:
        for i in range(1, num_chunks):
            found = _next_clean_occurrence(f, max(size * i // num_chunks, boundaries[-1]), split_tokens)
            if found is None:
                break
            if found > boundaries[-1]:
                boundaries.append(found)
    boundaries.append(size)
    return sorted(set(boundaries))


def _next_occurrence(f: BinaryIO, position: int, tokens: Sequence[bytes]) -> int | None:
    """The offset of the first occurrence of any of ``tokens`` at or after ``position``."""
    longest = max(len(t) for t in tokens)
    f.seek(position)
    carry = b""
    offset = position
    while block := f.read(1 << 16):
        window = carry + block
        hits = [h for h in (window.find(t) for t in tokens) if h >= 0]
        if hits:
            return offset - len(carry) + min(hits)
        carry = window[len(window) - (longest - 1) :] if longest > 1 else b""
        offset += len(block)
    return None


def _next_clean_occurrence(f: BinaryIO, position: int, tokens: Sequence[bytes]) -> int | None:
    """Like :func:`_next_occurrence`, skipping occurrences that another occurrence overlaps (as
    ``b"b"`` inside ``b"ab"``, or the second ``b"aa"`` in ``b"aaa"``), where a cut could split a
    special token that the whole text would match."""
    longest = max(len(t) for t in tokens)
    while (found := _next_occurrence(f, position, tokens)) is not None:
        start = max(0, found - longest + 1)
        f.seek(start)
        window = f.read(found - start + longest)
        cut = found - start
        covered = any(
            window.startswith(t, s) and s < cut < s + len(t)
            for t in tokens
            for s in range(max(0, cut - len(t) + 1), cut)
        )
        if not covered:
            return found
        position = found + 1
    return None


def _count_chunk(args: tuple[str, int, int, list[str], Backend]) -> Counter[str]:
    """Worker: count the pre-tokens of bytes ``[start, end)`` of a file (run in a child process)."""
    path, start, end, special_tokens, backend = args
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not valid UTF-8 (byte {start + exc.start}): {exc.reason}") from None
    return count_pretokens(text, special_tokens, backend=backend)


def _pool_context() -> multiprocessing.context.BaseContext:
    """Worker processes that start fast and work from scripts, pytest and Jupyter alike.

    ``fork`` is the fastest (the workers inherit everything already imported), and it is safe while
    this process runs a single thread, as a script, pytest or ``course`` do. A Jupyter kernel runs
    several threads, and forking those is unsafe (a lock held by another thread stays locked in the
    child); there ``forkserver`` forks the workers from a clean single-threaded server instead, which
    imports this module once. Windows has only ``spawn``.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1 and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def count_pretokens_in_file(
    path: str | os.PathLike[str],
    special_tokens: Sequence[str] | None = None,
    *,
    num_workers: int | None = None,
    chunks_per_worker: int = 4,
    backend: Backend = "auto",
) -> Counter[str]:
    """Count the pre-tokens of a UTF-8 text file, in parallel across ``num_workers`` processes.

    The file is cut at special-token boundaries (:func:`find_chunk_boundaries`), each chunk counted
    in a worker, and the counts summed. ``num_workers=None`` uses every core; ``1`` stays in this
    process. The result does not depend on ``num_workers`` nor on ``backend`` (:func:`count_pretokens`).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no training text at {path}")
    tokens = check_special_tokens(special_tokens)
    workers = default_num_workers() if num_workers is None else num_workers
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"num_workers must be a positive int or None, got {num_workers!r}")
    split_tokens = [t.encode("utf-8") for t in tokens]
    boundaries = find_chunk_boundaries(path, workers * chunks_per_worker if workers > 1 else 1, split_tokens)
    if accelerator("_fast_encode", backend) is not None:  # (an unknown backend fails here, not in a worker)
        gpt2_char_classes()  # made once, before the workers fork
    jobs = [(str(path), a, b, tokens, backend) for a, b in zip(boundaries[:-1], boundaries[1:])]
    if workers == 1 or len(jobs) == 1:
        return _sum_counts(map(_count_chunk, jobs))
    # Objects that exist before the fork are frozen out of the garbage collector's reach, so its
    # passes in the workers do not write to (and so copy) every page they inherit.
    gc.freeze()
    try:
        # A worker that dies (killed, out of memory) raises BrokenProcessPool here instead of hanging.
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=_pool_context()) as pool:
            return _sum_counts(pool.map(_count_chunk, jobs))
    finally:
        gc.unfreeze()


def _sum_counts(counters: Iterable[Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in counters:
        total.update(counts)
    return total
