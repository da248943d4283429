"""The course's corpus file format: UTF-8 text, each document followed by ``<|endoftext|>`` and a newline.

A file holding documents ``d1, d2, d3`` reads ``d1<|endoftext|>\\nd2<|endoftext|>\\nd3<|endoftext|>\\n``.
Documents carry no leading or trailing whitespace and never contain ``<|endoftext|>`` themselves, so
``text.split(EOT)`` recovers them (up to the newline that starts every document after the first).
Files are written to a temporary name and renamed into place, so no reader ever sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["EOT", "iter_documents", "split_stream", "write_documents"]

EOT = "<|endoftext|>"
_CHUNK = 1 << 20  # characters read at a time by iter_documents


def iter_documents(path: str | os.PathLike[str]) -> Iterator[str]:
    """The documents of a corpus file, one at a time (memory bounded by the longest document).

    Splits on ``<|endoftext|>``, strips surrounding whitespace and skips empty pieces, so it also
    reads files in the TinyStories layout (``story\\n<|endoftext|>\\nstory...``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no corpus file at {path}")
    with path.open(encoding="utf-8", newline="") as f:
        yield from split_stream(f)


def split_stream(stream: TextIO) -> Iterator[str]:
    """The EOT-separated documents of an open text stream, stripped, empty ones skipped."""
    buffer = ""
    while chunk := stream.read(_CHUNK):
        probe = buffer[len(buffer) - len(EOT) + 1 :] + chunk  # a separator may straddle the boundary
        buffer += chunk
        if EOT not in probe:
            continue  # a long document: don't rescan what was already searched
        *pieces, buffer = buffer.split(EOT)
        for piece in pieces:
            if doc := piece.strip():
                yield doc
    if doc := buffer.strip():
        yield doc


def write_documents(path: Path, documents: Iterable[str]) -> tuple[int, int]:
    """Write ``documents`` to ``path`` atomically in the format above; returns (documents, bytes).

    Each document must already be stripped and free of EOT (``ValueError`` otherwise).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    count = size = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            batch: list[str] = []
            for doc in documents:
                if EOT in doc or doc != doc.strip() or not doc:
                    raise ValueError(f"document {count} is empty, has surrounding whitespace or contains {EOT!r}")
                record = doc + EOT + "\n"
                batch.append(record)
                count += 1
                size += len(record.encode("utf-8"))
                if len(batch) >= 512:
                    f.write("".join(batch))
                    batch.clear()
            f.write("".join(batch))
        os.chmod(tmp, 0o644)  # mkstemp makes files private (0600); a corpus is ordinary data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count, size
