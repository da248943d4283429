"""Shared by the tokenization tests: a deterministic corpus and texts no tokenizer saw in training."""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import regex

from course_lib.tokenization import merge_word

SPECIAL = "<|endoftext|>"

_WORDS = [
    "the",
    "a",
    "an",
    "little",
    "big",
    "old",
    "young",
    "happy",
    "sad",
    "cat",
    "dog",
    "bird",
    "girl",
    "boy",
    "mom",
    "dad",
    "tree",
    "house",
    "park",
    "ball",
    "sun",
    "moon",
    "star",
    "river",
    "friend",
    "said",
    "saw",
    "ran",
    "jumped",
    "played",
    "looked",
    "found",
    "wanted",
    "liked",
    "went",
    "came",
    "was",
    "were",
    "is",
    "are",
    "had",
    "has",
    "and",
    "but",
    "so",
    "then",
    "because",
    "when",
    "very",
    "too",
    "not",
    "to",
    "of",
    "in",
    "on",
    "at",
    "with",
    "for",
    "from",
    "it",
    "she",
    "he",
    "they",
    "we",
    "you",
    "I",
    "her",
    "his",
    "their",
    "Lily",
    "Tom",
    "Max",
    "Sue",
    "Ben",
    "day",
    "night",
    "morning",
    "once",
    "upon",
    "time",
    "1",
    "2",
    "3",
    "10",
    "42",
    "2024",
]
_PUNCT = [".", ",", "!", "?", "'s", "'t", "'ll", ":", ";", '"', " -", "..."]

UNSEEN_TEXTS = [
    "Привет, мир! Как дела? Всё хорошо.",
    "你好，世界。我们今天去公园玩吧！",
    "こんにちは、世界。カタカナとひらがな。",
    "안녕하세요 세계 🌍 مرحبا بالعالم שלום עולם",
    "Emoji: 🤗🎉👩‍👩‍👧‍👦 🇫🇷 ❤️ and ZWJ sequences",
    "Combining marks: e\u0301 a\u0308 n\u0303 ﬁ ligature, Zalgo: Z\u0351\u0342a\u0315l\u0358g\u0301o",
    "def f(x):\n\treturn {'k': [x**2, x // 3]}  # comment\n\n\n    pass\r\n",
    "   leading spaces, trailing spaces   ",
    "\n\n\n\t\t  \u00a0\u2003 whitespace runs \u3000 done\n",
    f"{SPECIAL}starts with a special token and ends with one{SPECIAL}",
    f"adjacent{SPECIAL}{SPECIAL}specials, and a near miss <|endoftext| or <|endoftext",
    "numbers 3.14159 1,000,000 0xDEADBEEF 12345678901234567890",
    "don't can't I'll we've they're she'd I'M SHOUTING'S",
]


def synthetic_corpus(num_docs: int = 300, seed: int = 0) -> str:
    """Children's-story-like documents separated by the special token (the same on every platform)."""
    rng = random.Random(seed)
    docs = []
    for _ in range(num_docs):
        sentences = []
        for _ in range(rng.randint(2, 6)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 12))]
            words[0] = words[0].capitalize()
            sentence = " ".join(words) + rng.choice(_PUNCT)
            sentences.append(sentence)
        docs.append(rng.choice(["", "\n", "  "]).join(sentences) + rng.choice(["", "\n", "\n\n"]))
    return SPECIAL.join(docs)


_OTHER_SCRIPTS = [
    "Жили-были дед и баба, и была у них курочка Ряба.",
    "从前有座山，山里有座庙，庙里有个老和尚。",
    "むかしむかし、あるところにおじいさんとおばあさんがいました。",
    "옛날 옛적에 호랑이가 살았어요. 😀 😃 🙂 🐱 🐶",
    "Ελληνικά κείμενα και ένα μικρό παραμύθι. عربي وعبرית",
    "for i in range(10):\n    print(i * 2)\n\n",
]


def training_corpus(num_docs: int = 300, seed: int = 0) -> str:
    """The synthetic stories plus a few lines in other scripts and code, so merges form there too."""
    rng = random.Random(seed + 1)
    extra = [rng.choice(_OTHER_SCRIPTS) for _ in range(num_docs // 3)]
    return synthetic_corpus(num_docs, seed) + SPECIAL + SPECIAL.join(extra)


def write_corpus(path: Path, **kwargs: int) -> Path:
    path.write_text(training_corpus(**kwargs), encoding="utf-8")
    return path


GPT2 = regex.compile(r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def reference_train_bpe(text: str, vocab_size: int, special_tokens: list[str]) -> list[tuple[bytes, bytes]]:
    """The specification run literally: recount every pair before each merge (slow, obviously right)."""
    pieces = regex.split("|".join(regex.escape(t) for t in special_tokens), text) if special_tokens else [text]
    words = Counter(tuple(bytes([b]) for b in m.encode()) for piece in pieces for m in GPT2.findall(piece))
    merges = []
    while len(merges) < vocab_size - 256 - len(special_tokens):
        pairs: Counter[tuple[bytes, bytes]] = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = max(pairs, key=lambda p: (pairs[p], p))
        merges.append(best)
        new_words: Counter[tuple[bytes, ...]] = Counter()
        for word, count in words.items():
            new_words[merge_word(word, best)] += count
        words = new_words
    return merges


STREAM_LINE = "Once upon a time, a little cat saw the moon and ran to the park with Lily.\n"


def encode_stream_peak_memory(
    encode_iterable: Callable[[Iterable[str]], Iterator[int]], total_lines: int
) -> tuple[int, int]:
    """Stream ``total_lines`` lines (every 50th led by a special token) through ``encode_iterable``,
    produced lazily, and return (ids yielded, peak bytes traced by tracemalloc)."""

    def lines() -> Iterator[str]:
        for i in range(total_lines):
            yield STREAM_LINE if i % 50 else SPECIAL + STREAM_LINE

    tracemalloc.start()
    try:
        count = sum(1 for _ in encode_iterable(lines()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak
