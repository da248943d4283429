"""GPT-2 / Hugging Face byte-level BPE files: ``vocab.json`` and ``merges.txt``.

Those files store tokens as text, not bytes: GPT-2's ``bytes_to_unicode`` table maps each of the
256 byte values to a printable character (printable ASCII and Latin-1 to themselves, the rest, such
as the space and control bytes, to characters from U+0100 on: the space becomes ``Ġ``, the newline
``Ċ``). A token is the string of its bytes' characters. ``vocab.json`` maps that string to the id,
``merges.txt`` lists one merge per line, the two tokens separated by a space, after an optional
``#version`` line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["bytes_to_unicode", "token_to_text", "text_to_token", "read_vocab_merges", "write_vocab_merges"]


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from the 256 byte values to printable characters."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


@lru_cache(maxsize=1)
def _unicode_to_bytes() -> dict[str, int]:
    return {c: b for b, c in bytes_to_unicode().items()}


def token_to_text(token: bytes) -> str:
    """A token's bytes as the printable string the files store (``b" the"`` -> ``"Ġthe"``)."""
    table = bytes_to_unicode()
    return "".join(table[b] for b in token)


def text_to_token(text: str) -> bytes:
    """The inverse of :func:`token_to_text`; raises ``ValueError`` on a character outside the table."""
    table = _unicode_to_bytes()
    try:
        return bytes(table[c] for c in text)
    except KeyError as exc:
        raise ValueError(f"{text!r} is not a byte-level token: {exc.args[0]!r} is not in GPT-2's byte table") from None


def _read_text(path: Path) -> str:
    """The UTF-8 text of a tokenizer file, or an error naming the file."""
    if not path.is_file():
        raise FileNotFoundError(f"no tokenizer file at {path}")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason}); is it a tokenizer file?"
        ) from None


def read_vocab_merges(
    vocab_path: str | os.PathLike[str],
    merges_path: str | os.PathLike[str],
    special_tokens: Sequence[str] = (),
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Read ``vocab.json`` and ``merges.txt`` into ``(vocab, merges)``, keeping the file's ids.

    Entries are decoded through GPT-2's byte table, except the ``special_tokens``, which such files
    store verbatim (their UTF-8 bytes are used). Raises ``ValueError`` naming the file and the entry
    when something is not a byte-level token.
    """
    vocab_path, merges_path = Path(vocab_path), Path(merges_path)
    text = _read_text(vocab_path)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError(f"{vocab_path}: the token {key!r} appears twice (ids {seen[key]!r} and {value!r})")
            seen[key] = value
        return seen

    try:
        raw = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{vocab_path} is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{vocab_path}: expected a JSON object mapping token -> id, got {type(raw).__name__}")
    specials = set(special_tokens)
    vocab: dict[int, bytes] = {}
    for text, token_id in raw.items():
        if not isinstance(token_id, int) or isinstance(token_id, bool) or token_id < 0:
            raise ValueError(f"{vocab_path}: the id of {text!r} must be a non-negative int, got {token_id!r}")
        if token_id in vocab:
            raise ValueError(f"{vocab_path}: id {token_id} is used twice")
        if text in specials:
            vocab[token_id] = text.encode("utf-8")
            continue
        try:
            vocab[token_id] = text_to_token(text)
        except ValueError as exc:
            raise ValueError(f"{vocab_path}: {exc} (pass it in special_tokens if it is a special token)") from None
    merges: list[tuple[bytes, bytes]] = []
    for number, line in enumerate(_read_text(merges_path).split("\n"), start=1):
        line = line.rstrip("\r\n")
        if not line or (number == 1 and line.startswith("#version")):
            continue
        parts = line.split(" ")
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"{merges_path}:{number}: expected two tokens separated by one space, got {line!r}")
        try:
            merges.append((text_to_token(parts[0]), text_to_token(parts[1])))
        except ValueError as exc:
            raise ValueError(f"{merges_path}:{number}: {exc}") from None
    return vocab, merges


def write_vocab_merges(
    directory: str | os.PathLike[str],
    vocab: Mapping[int, bytes],
    merges: Sequence[tuple[bytes, bytes]],
    special_tokens: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Write ``vocab.json`` and ``merges.txt`` into ``directory`` (created if missing); return their paths.

    Special tokens are written verbatim, as GPT-2's and HF's files do, every other token through
    GPT-2's byte table.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocab_path, merges_path = directory / "vocab.json", directory / "merges.txt"
    specials = {t.encode("utf-8"): t for t in special_tokens}
    entries = {specials.get(token) or token_to_text(token): token_id for token_id, token in sorted(vocab.items())}
    if len(entries) != len(vocab):
        raise ValueError("the vocabulary holds the same token under two ids; vocab.json cannot store that")
    with vocab_path.open("w", encoding="utf-8") as f:
        json.dump(entries, f, ensure_ascii=False, indent=0)
        f.write("\n")
    with merges_path.open("w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for left, right in merges:
            f.write(f"{token_to_text(left)} {token_to_text(right)}\n")
    return vocab_path, merges_path
