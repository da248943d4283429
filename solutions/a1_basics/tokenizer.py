"""Assignment 1, part 1: a byte-level BPE tokenizer, trained and used the way GPT-2's is.

You write two things, behind the API the handout (README.md) fixes:

- ``train_bpe(input_path, vocab_size, special_tokens)`` -> ``(vocab, merges)``
- ``Tokenizer(vocab, merges, special_tokens)`` with ``encode``, ``decode``, ``encode_iterable``,
  ``from_files`` and ``save``.

How you organise the inside is up to you; the helpers below (``pretoken_counts``, ``merge_word``,
``bpe``) are one reasonable split, and the tests never call them. Clarity first: ``course_lib``
holds the fast version, and your tokenizer must produce exactly the same merges and ids.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import regex

from course_lib.tokenization.files import bytes_to_unicode

# GPT-2's pre-tokenization regex (given): contractions, words, numbers, punctuation, whitespace.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def split_special(text: str, special_tokens: list[str]) -> list[str]:
    """Cut ``text`` around its special tokens; the special tokens stay in the list, whole.

    Where two special tokens could match at the same place, the longer one wins.
    ``split_special("a<|eot|>b", ["<|eot|>"]) == ["a", "<|eot|>", "b"]``.
    """
    # BEGIN SOLUTION: regex.split with a capturing group of the escaped tokens, longest first; drop "".
    if not special_tokens:
        return [text] if text else []
    alternatives = "|".join(regex.escape(t) for t in sorted(special_tokens, key=len, reverse=True))
    return [piece for piece in regex.split(f"({alternatives})", text) if piece]
    # END SOLUTION


def pretoken_counts(text: str, special_tokens: list[str]) -> Counter[tuple[bytes, ...]]:
    """Each distinct pre-token of ``text`` as a tuple of single bytes, with how often it occurs.

    Special tokens split the text and are not counted. ``"ab ab"`` gives
    ``{(b"a", b"b"): 1, (b" ", b"a", b"b"): 1}``.
    """
    # BEGIN SOLUTION: split_special, then GPT2_PATTERN's matches in each non-special piece, UTF-8 encoded.
    counts: Counter[tuple[bytes, ...]] = Counter()
    specials = set(special_tokens)
    for piece in split_special(text, special_tokens):
        if piece in specials:
            continue
        for match in regex.findall(GPT2_PATTERN, piece):
            counts[tuple(bytes([b]) for b in match.encode("utf-8"))] += 1
    return counts
    # END SOLUTION


def merge_word(word: tuple[bytes, ...], pair: tuple[bytes, bytes]) -> tuple[bytes, ...]:
    """Replace each occurrence of ``pair`` in ``word``, scanning left to right, by the joined token.

    ``merge_word((b"a", b"a", b"a"), (b"a", b"a")) == (b"aa", b"a")``.
    """
    # BEGIN SOLUTION: walk an index i; when word[i], word[i + 1] is the pair, emit the join and skip 2.
    out: list[bytes] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)
    # END SOLUTION


def train_bpe(
    input_path: str | os.PathLike[str], vocab_size: int, special_tokens: list[str]
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Train byte-level BPE on a UTF-8 text file.

    Returns ``vocab`` (id -> bytes: ids 0-255 the single bytes in byte order, then the merged tokens
    in merge order, then the special tokens) and ``merges`` (the merged pairs in creation order).
    Learn ``vocab_size - 256 - len(special_tokens)`` merges, or fewer when no pair is left. At each
    step merge the most frequent adjacent pair (counted with the pre-token counts, overlapping
    occurrences included); ties go to the lexicographically greater pair, comparing bytes.
    """
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(f"vocab_size must be at least 256 + len(special_tokens) = {256 + len(special_tokens)}")
    # BEGIN SOLUTION: keep pair counts up to date by re-counting only the words that hold the merged pair.
    text = Path(input_path).read_text(encoding="utf-8")
    words = pretoken_counts(text, special_tokens)
    vocab = {i: bytes([i]) for i in range(256)}
    merges: list[tuple[bytes, bytes]] = []

    pair_counts: Counter[tuple[bytes, bytes]] = Counter()
    for word, count in words.items():
        for pair in zip(word, word[1:]):
            pair_counts[pair] += count

    while len(merges) < vocab_size - 256 - len(special_tokens) and pair_counts:
        best = max(pair_counts, key=lambda pair: (pair_counts[pair], pair))
        merges.append(best)
        vocab[len(vocab)] = best[0] + best[1]
        changed = {word: count for word, count in words.items() if best in zip(word, word[1:])}
        for word, count in changed.items():
            del words[word]
            merged = merge_word(word, best)
            words[merged] += count
            for pair in zip(word, word[1:]):
                pair_counts[pair] -= count
            for pair in zip(merged, merged[1:]):
                pair_counts[pair] += count
        pair_counts = +pair_counts  # drop pairs whose count fell to zero
    # END SOLUTION
    for token in special_tokens:
        vocab[len(vocab)] = token.encode("utf-8")
    return vocab, merges


class Tokenizer:
    """Encode text to ids and back with a trained byte-level BPE."""

    def __init__(
        self,
        vocab: dict[int, bytes],
        merges: list[tuple[bytes, bytes]],
        special_tokens: list[str] | None = None,
    ) -> None:
        """Keep the tables encoding needs. A special token missing from ``vocab`` gets a new id
        after the largest one."""
        # BEGIN SOLUTION: store vocab, an inverse (bytes -> id), merge ranks (pair -> index), and add missing specials.
        self.vocab = dict(vocab)
        self.merges = list(merges)
        self.special_tokens = list(special_tokens or [])
        self.ids = {token: token_id for token_id, token in self.vocab.items()}
        for token in self.special_tokens:
            if token.encode("utf-8") not in self.ids:
                new_id = max(self.vocab) + 1
                self.vocab[new_id] = token.encode("utf-8")
                self.ids[token.encode("utf-8")] = new_id
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.cache: dict[str, list[int]] = {}
        # END SOLUTION

    @classmethod
    def from_files(
        cls,
        vocab_path: str | os.PathLike[str],
        merges_path: str | os.PathLike[str],
        special_tokens: list[str] | None = None,
    ) -> Tokenizer:
        """Load GPT-2 / HF files: ``vocab.json`` (token text -> id) and ``merges.txt``.

        Tokens are written with ``bytes_to_unicode()``'s characters (a space is ``Ġ``); special
        tokens are written as themselves. Keep the ids of ``vocab.json``.
        """
        # BEGIN SOLUTION: invert bytes_to_unicode(); skip merges.txt's "#version" line and blank lines.
        specials = special_tokens or []
        char_to_byte = {char: byte for byte, char in bytes_to_unicode().items()}
        with open(vocab_path, encoding="utf-8") as f:
            raw = json.load(f)
        vocab = {
            token_id: text.encode("utf-8") if text in specials else bytes(char_to_byte[c] for c in text)
            for text, token_id in raw.items()
        }
        merges = []
        with open(merges_path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if not line or line.startswith("#version"):
                    continue
                left, right = line.split(" ")
                merges.append((bytes(char_to_byte[c] for c in left), bytes(char_to_byte[c] for c in right)))
        return cls(vocab, merges, specials)
        # END SOLUTION

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write ``vocab.json`` and ``merges.txt`` into ``directory`` in the format ``from_files``
        reads (and HF tokenizers' ``BPE.from_file`` too)."""
        # BEGIN SOLUTION: map each byte through bytes_to_unicode(); special tokens verbatim; "#version: 0.2" first.
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        table = bytes_to_unicode()
        specials = {token.encode("utf-8") for token in self.special_tokens}

        def text(token: bytes) -> str:
            return token.decode("utf-8") if token in specials else "".join(table[b] for b in token)

        with open(directory / "vocab.json", "w", encoding="utf-8") as f:
            json.dump({text(token): token_id for token_id, token in self.vocab.items()}, f, ensure_ascii=False)
        with open(directory / "merges.txt", "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            for left, right in self.merges:
                f.write(f"{text(left)} {text(right)}\n")
        # END SOLUTION

    def _encode_pretoken(self, pretoken: str) -> list[int]:
        """The ids of one pre-token: apply the merges, the lowest-ranked adjacent pair first."""
        # BEGIN SOLUTION: repeatedly find the adjacent pair with the smallest rank and merge_word it; cache results.
        if pretoken not in self.cache:
            word = tuple(bytes([b]) for b in pretoken.encode("utf-8"))
            while len(word) > 1:
                pairs = [pair for pair in zip(word, word[1:]) if pair in self.ranks]
                if not pairs:
                    break
                word = merge_word(word, min(pairs, key=self.ranks.__getitem__))
            self.cache[pretoken] = [self.ids[token] for token in word]
        return self.cache[pretoken]
        # END SOLUTION

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``. Special tokens are never split (the longest wins where they overlap)."""
        # BEGIN SOLUTION: split_special; a special token is one id; other pieces go through GPT2_PATTERN.
        ids: list[int] = []
        for piece in split_special(text, self.special_tokens):
            if piece in self.special_tokens:
                ids.append(self.ids[piece.encode("utf-8")])
            else:
                for pretoken in regex.findall(GPT2_PATTERN, piece):
                    ids.extend(self._encode_pretoken(pretoken))
        return ids
        # END SOLUTION

    def encode_iterable(self, iterable: Iterable[str]) -> Iterator[int]:
        """Yield the ids of ``"".join(iterable)`` lazily, holding only a bounded amount of text.

        Hint: a pre-token boundary that no later text can move lies just before a whitespace that
        follows a non-whitespace character; also keep back a tail that could begin a special token.
        """
        # BEGIN SOLUTION: buffer, encode up to the last safe cut (see the hint), keep the rest for the next round.
        buffer = ""
        for chunk in iterable:
            buffer += chunk
            if len(buffer) < 4096:
                continue
            end = len(buffer)
            for k in range(min(end, max((len(t) for t in self.special_tokens), default=1) - 1), 0, -1):
                if any(t.startswith(buffer[end - k :]) for t in self.special_tokens):
                    end -= k
                    break
            # Cut after the last special token, or later at a safe place in the text that follows it.
            pieces = split_special(buffer[:end], self.special_tokens)
            after = len(pieces[-1]) if pieces and pieces[-1] not in self.special_tokens else 0
            start = end - after
            cut = max(
                (m.start() + 1 for m in regex.finditer(r"\S(?=\s)", buffer, pos=start, endpos=end)), default=start
            )
            yield from self.encode(buffer[:cut])
            buffer = buffer[cut:]
        yield from self.encode(buffer)
        # END SOLUTION

    def decode(self, ids: list[int]) -> str:
        """The text of ``ids``. Bytes that are not valid UTF-8 become U+FFFD; an id that is not in
        the vocabulary raises ``ValueError`` naming it."""
        # BEGIN SOLUTION: join the tokens' bytes, then bytes.decode("utf-8", errors="replace").
        unknown = [token_id for token_id in ids if token_id not in self.vocab]
        if unknown:
            raise ValueError(f"unknown token id(s): {unknown[:5]}")
        return b"".join(self.vocab[token_id] for token_id in ids).decode("utf-8", errors="replace")
        # END SOLUTION
