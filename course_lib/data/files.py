"""File-level APIs: one document per file in, the surviving documents out under the same names.

    report = filter_files(paths, "out/", lambda text: text if keep(text) else None)
    report = exact_line_dedup_files(paths, "out/")
    report = minhash_dedup_files(paths, "out/", num_hashes=128, num_bands=16, ngram=5, jaccard_threshold=0.8)
    report.written, report.dropped, report.bad       # paths written; inputs removed; {path: why}

Inputs must be UTF-8 text. A binary file (a NUL byte), invalid UTF-8 or an unreadable file is
counted in ``report.bad`` with the reason (``on_error="skip"``, the default) or raises a
``ValueError`` naming it (``on_error="raise"``); an empty document is dropped, never written.
Each output is written to a temporary name and renamed, one file at a time, so an interrupted run
keeps every file it finished and leaves no half-written one; ``resume=True`` skips outputs that
already exist.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.data.dedup import exact_dedup, line_counts, line_dedup
from course_lib.data.minhash import minhash_dedup

__all__ = [
    "FileReport",
    "read_document",
    "write_document",
    "filter_files",
    "exact_dedup_files",
    "exact_line_dedup_files",
    "minhash_dedup_files",
]


@dataclass
class FileReport:
    """What a file-level run did: outputs ``written``, inputs ``dropped`` (filtered out, empty or
    duplicates), inputs ``bad`` (unreadable, binary, invalid UTF-8) with the reason, and
    ``skipped`` (already written, with ``resume=True``)."""

    written: list[Path] = field(default_factory=list)
    dropped: list[Path] = field(default_factory=list)
    bad: dict[Path, str] = field(default_factory=dict)
    skipped: list[Path] = field(default_factory=list)


def read_document(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of ``path``; ``ValueError`` naming the file when it is binary (holds a NUL
    byte) or not valid UTF-8, ``OSError`` when it cannot be read."""
    data = Path(path).read_bytes()
    if b"\x00" in data:
        raise ValueError(f"{path}: binary file (contains NUL bytes), expected UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not valid UTF-8 (byte {e.start}: {e.reason})") from e


def write_document(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, then a rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _prepare(paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str]) -> tuple[list[Path], Path]:
    paths = [Path(p) for p in paths]
    out = Path(out_dir)
    names: dict[str, Path] = {}
    for p in paths:
        if p.name in names:
            raise ValueError(
                f"two inputs share the name {p.name!r} ({names[p.name]} and {p}): outputs keep input names"
            )
        names[p.name] = p
        if p.resolve().parent == out.resolve():
            raise ValueError(f"input {p} is inside the output directory {out}: it would be overwritten")
    out.mkdir(parents=True, exist_ok=True)
    return paths, out


def _read_all(paths: list[Path], report: FileReport, on_error: str) -> dict[Path, str]:
    if on_error not in ("skip", "raise"):
        raise ValueError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
    texts = {}
    for p in paths:
        try:
            texts[p] = read_document(p)
        except (OSError, ValueError) as e:
            if on_error == "raise":
                raise ValueError(f"cannot use input {p}: {e}") from e
            report.bad[p] = str(e)
    return texts


def filter_files(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    transform: Callable[[str], str | None],
    *,
    on_error: str = "skip",
    resume: bool = False,
) -> FileReport:
    """Apply ``transform`` (text -> new text, or ``None`` to drop) to each file and write what
    survives to ``out_dir`` under the input's name, one file at a time."""
    paths, out = _prepare(paths, out_dir)
    report = FileReport()
    for p in paths:
        target = out / p.name
        if resume and target.exists():
            report.skipped.append(p)
            continue
        texts = _read_all([p], report, on_error)
        if p not in texts:
            continue
        result = transform(texts[p]) if texts[p].strip() else None
        if result is None or not result.strip():
            report.dropped.append(p)
        else:
            report.written.append(write_document(target, result))
    return report


def _write_kept(
    paths: list[Path],
    texts: dict[Path, str],
    keep: set[Path],
    out: Path,
    report: FileReport,
    new_text: dict[Path, str] | None = None,
) -> FileReport:
    for p in paths:
        if p in report.bad:
            continue
        text = (new_text or texts)[p]
        if p in keep and text.strip():
            report.written.append(write_document(out / p.name, text))
        else:
            report.dropped.append(p)
    return report


def exact_dedup_files(
    paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *, on_error: str = "skip"
) -> FileReport:
    """Write the first of each group of byte-identical documents (in ``paths`` order)."""
    paths, out = _prepare(paths, out_dir)
    report = FileReport()
    texts = _read_all(paths, report, on_error)
    order = [p for p in paths if p in texts]
    keep = {order[i] for i in exact_dedup([texts[p] for p in order])}
    return _write_kept(paths, texts, keep, out, report)


def exact_line_dedup_files(
    paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *, on_error: str = "skip"
) -> FileReport:
    """Rewrite each document without the lines that occur more than once across all the files
    (two passes: count every line's hash, then rewrite); a document left empty is dropped."""
    paths, out = _prepare(paths, out_dir)
    report = FileReport()
    texts = _read_all(paths, report, on_error)
    order = [p for p in paths if p in texts]
    counts = line_counts([texts[p] for p in order])
    new_text = dict(zip(order, line_dedup([texts[p] for p in order], counts)))
    return _write_kept(paths, texts, set(order), out, report, new_text)


def minhash_dedup_files(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    num_hashes: int = 128,
    num_bands: int = 16,
    ngram: int = 5,
    jaccard_threshold: float = 0.8,
    workers: int = 1,
    on_error: str = "skip",
) -> FileReport:
    """Write one document of each near-duplicate cluster (the first in ``paths`` order): MinHash
    with ``num_hashes`` functions over word ``ngram``-grams, LSH with ``num_bands`` bands of
    ``num_hashes // num_bands`` rows, pairs kept at estimated Jaccard >= ``jaccard_threshold``."""
    if num_hashes < 1 or not 1 <= num_bands <= num_hashes:
        raise ValueError(f"need 1 <= num_bands <= num_hashes, got num_bands={num_bands}, num_hashes={num_hashes}")
    if not 0 < jaccard_threshold <= 1:
        raise ValueError(f"jaccard_threshold must be in (0, 1], got {jaccard_threshold}")
    paths, out = _prepare(paths, out_dir)
    report = FileReport()
    texts = _read_all(paths, report, on_error)
    order = [p for p in paths if p in texts]
    kept = minhash_dedup([texts[p] for p in order], num_hashes, num_bands, ngram, jaccard_threshold, workers=workers)
    return _write_kept(paths, texts, {order[i] for i in kept}, out, report)
