"""The real corpora the field trains on, in their public formats, normalised to the course's format.

- ``tinystories``: TinyStories V2 (GPT-4 generated children's stories), the plain-text files on the
  Hugging Face hub, stories separated by ``<|endoftext|>`` lines.
- ``owt``: the OpenWebText sample of Stanford CS336, gzipped plain text, documents separated by
  ``<|endoftext|>``.

``real_corpus`` downloads the public file once (or reads a local copy given as ``source``) and
writes it to the cache in the course's format (each document followed by ``<|endoftext|>`` and a
newline; see ``course_lib.corpora.textfile``). Local sources may also be JSON Lines with a ``"text"``
(or ``"story"``) field, TinyStories' original JSON shards (arrays of objects with a ``"story"``
field), a folder of such files or a ``.tar.gz`` of them; any of these may be gzipped.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import os
import tarfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Literal

from tqdm.auto import tqdm

from course_lib.corpora.embedded import SPLITS
from course_lib.corpora.textfile import EOT, split_stream, write_documents
from course_lib.tools.paths import cache_dir

__all__ = ["CORPUS_URLS", "CorpusDownloadError", "real_corpus", "read_documents"]

CORPUS_URLS: dict[str, dict[str, str]] = {
    "tinystories": {
        "train": "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-train.txt",
        "validation": "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-valid.txt",
    },
    "owt": {
        "train": "https://huggingface.co/datasets/stanford-cs336/owt-sample/resolve/main/owt_train.txt.gz",
        "validation": "https://huggingface.co/datasets/stanford-cs336/owt-sample/resolve/main/owt_valid.txt.gz",
    },
}
_SUFFIXES = (".txt", ".json", ".jsonl")  # each optionally followed by .gz


class CorpusDownloadError(RuntimeError):
    """A real corpus could not be downloaded (offline, blocked, or the server refused)."""


def real_corpus(
    name: Literal["tinystories", "owt"],
    split: Literal["train", "validation"] = "train",
    *,
    source: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
) -> Path:
    """The path of a real corpus in the course's format, in ``cache_dir()/corpora``.

    ``source`` is where it comes from: ``None`` (the public URL in ``CORPUS_URLS``), another
    ``http(s)://`` URL, or a local file or folder (see the module docstring for the formats). The
    normalised file is written once and reused (a download goes to ``corpora/downloads`` first and is
    deleted once normalised); a local source is cached under a name derived from
    its path, size and modification time, so an edited file is read again. Text is decoded as UTF-8,
    undecodable bytes replaced by U+FFFD. Raises ``CorpusDownloadError`` when the download fails
    (the message points to ``embedded_corpus()`` and to ``source=``), ``FileNotFoundError`` for a
    missing local source and ``ValueError`` for an unknown name or split or an unreadable format.
    """
    if name not in CORPUS_URLS:
        raise ValueError(f"unknown corpus {name!r}: expected one of {tuple(CORPUS_URLS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {SPLITS}")
    folder = cache_dir() / "corpora"
    url = CORPUS_URLS[name][split] if source is None else str(source)
    if url.startswith(("http://", "https://")):
        key = "" if source is None else "-" + _digest(url)
        path = folder / f"{name}-{split}{key}.txt"
        if not path.is_file():
            raw = _download(url, folder / "downloads", name, split, timeout)
            try:
                _normalise(raw, path)
            finally:
                raw.unlink(missing_ok=True)
        return path
    local = Path(source).expanduser()  # type: ignore[arg-type]  # source is not None here
    if not local.exists():
        raise FileNotFoundError(
            f"no file or folder at {local}: pass the path of a corpus file (.txt separated by {EOT}, "
            f".jsonl with a 'text' field, TinyStories .json shards, optionally .gz) or a folder of them"
        )
    path = folder / f"{name}-{split}-local-{_digest(_fingerprint(local))}.txt"
    if not path.is_file():
        _normalise(local, path)
    return path


def _normalise(source: Path, path: Path) -> None:
    try:
        documents = read_documents(source)
        first = next(documents, None)
        if first is None:
            raise ValueError(f"{source} holds no documents")
        write_documents(path, itertools.chain([first], documents))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:  # a corrupt or truncated file
        path.unlink(missing_ok=True)
        raise ValueError(f"{source} could not be read (corrupt or truncated?): {type(exc).__name__}: {exc}") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def read_documents(source: str | os.PathLike[str]) -> Iterator[str]:
    """The documents of a local corpus file, folder or ``.tar.gz`` archive, stripped and EOT-free.

    A document that itself contains ``<|endoftext|>`` is split there (the marker is a separator in
    every format the course reads).
    """
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and _known(p.name))
        if not files:
            raise ValueError(f"no corpus files ({', '.join(_SUFFIXES)}, optionally .gz) in folder {source}")
        for file in files:
            yield from read_documents(file)
        return
    if source.name.endswith((".tar.gz", ".tgz", ".tar")):
        yield from _read_archive(source)
        return
    with _open_binary(source) as raw:
        yield from _parse(raw, _format(source.name), str(source))


def _read_archive(source: Path) -> Iterator[str]:
    with tarfile.open(source) as archive:
        members = sorted((m for m in archive.getmembers() if m.isfile() and _known(m.name)), key=lambda m: m.name)
        if not members:
            raise ValueError(f"no corpus files ({', '.join(_SUFFIXES)}, optionally .gz) in archive {source}")
        for member in members:
            extracted = archive.extractfile(member)
            assert extracted is not None  # a regular file
            with extracted:
                raw = gzip.GzipFile(fileobj=extracted) if member.name.endswith(".gz") else extracted
                yield from _parse(raw, _format(member.name), f"{source}:{member.name}")


def _known(filename: str) -> bool:
    return filename.removesuffix(".gz").endswith(_SUFFIXES)


def _format(filename: str) -> str:
    """'text', 'json' or 'jsonl' from a file name (anything that is not JSON is read as text)."""
    base = filename.removesuffix(".gz")
    return "jsonl" if base.endswith(".jsonl") else "json" if base.endswith(".json") else "text"


def _open_binary(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")


def _parse(raw: IO[bytes], fmt: str, where: str) -> Iterator[str]:
    text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)
    if fmt == "text":
        yield from split_stream(text)
        return
    first = text.read(1)
    while first.isspace():
        first = text.read(1)
    if fmt == "json" and first == "[":  # TinyStories shard: one JSON array of objects
        try:
            records = json.loads(first + text.read())
        except json.JSONDecodeError as e:
            raise ValueError(f"{where} is not valid JSON: {e}") from None
        yield from _texts(records, where)
        return
    # JSON Lines (also accepted under a .json name): one object per line
    yield from _texts(_json_lines(first + text.readline(), text, where), where)


def _json_lines(first_line: str, rest: Iterable[str], where: str) -> Iterator[object]:
    for number, line in enumerate(_chain(first_line, rest), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{where}, line {number}: not a JSON object per line ({e})") from None


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _texts(records: object, where: str) -> Iterator[str]:
    if not isinstance(records, list) and not isinstance(records, Iterator):
        raise ValueError(f"{where}: expected a JSON array of objects with a 'text' or 'story' field")
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict) and isinstance(record.get("text"), str):
            value = record["text"]
        elif isinstance(record, dict) and isinstance(record.get("story"), str):
            value = record["story"]
        else:
            found = sorted(record) if isinstance(record, dict) else type(record).__name__
            raise ValueError(f"{where}, record {number}: expected a 'text' or 'story' string field, found {found}")
        for piece in value.split(EOT):
            if doc := piece.strip():
                yield doc


def _download(url: str, folder: Path, name: str, split: str, timeout: float) -> Path:
    """Fetch ``url`` into ``folder`` (via a .part file); ``CorpusDownloadError`` with advice on failure."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (url.rstrip("/").rsplit("/", 1)[-1] or "download")
    partial = target.with_name(target.name + ".part")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "llm-course (course_lib.corpora)"})
        with urllib.request.urlopen(request, timeout=timeout) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"{name} {split}", leave=False) as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as e:
        partial.unlink(missing_ok=True)
        reason = getattr(e, "reason", None) or e
        raise CorpusDownloadError(
            f"could not download the {name} {split} corpus from {url} ({reason}). "
            f"The course runs offline on its embedded default corpus: use "
            f"course_lib.corpora.embedded_corpus({split!r}) (or `course corpus`). To use {name}, "
            f"download the file on a machine with network access and pass it as "
            f"real_corpus({name!r}, {split!r}, source='path/to/{target.name}')."
        ) from e
    partial.replace(target)
    return target


def _fingerprint(path: Path) -> str:
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    stats = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return repr(stats)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
