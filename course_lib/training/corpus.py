"""The embedded story corpus, BPE-tokenized once and cached as memory-mappable token files.

    corpus = tokenized_corpus(vocab_size=1024, megabytes=2.0)
    corpus.train, corpus.val        # np.memmap of uint16 token ids
    corpus.tokenizer.decode(corpus.val[:50])

The cache lives in ``cache_dir()/tokenized/<corpus file>-bpe<vocab>/``: ``vocab.json`` and
``merges.txt`` (GPT-2's format), ``train.bin`` and ``val.bin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.corpora import EOT, embedded_corpus
from course_lib.tokenization import Tokenizer, train_bpe
from course_lib.tools.paths import cache_dir
from course_lib.training.data import load_tokens, save_tokens

__all__ = ["TokenizedCorpus", "tokenized_corpus", "load_tokenizer"]


@dataclass
class TokenizedCorpus:
    """A tokenizer and the train/validation token streams it produced."""

    tokenizer: Tokenizer
    train: np.memmap
    val: np.memmap
    directory: Path

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size


def load_tokenizer(directory: str | Path) -> Tokenizer:
    """The tokenizer saved in ``directory`` (``vocab.json`` + ``merges.txt``, with ``<|endoftext|>``)."""
    directory = Path(directory)
    return Tokenizer.from_files(directory / "vocab.json", directory / "merges.txt", [EOT])


def tokenized_corpus(
    vocab_size: int = 1024, megabytes: float = 2.0, val_megabytes: float | None = None
) -> TokenizedCorpus:
    """Train a BPE tokenizer of ``vocab_size`` ids (``<|endoftext|>`` included) on the embedded
    corpus's ``megabytes`` of training text and tokenize both splits, or reuse the cached result."""
    if vocab_size < 257:
        raise ValueError(f"vocab_size must be at least 257 (256 bytes + <|endoftext|>), got {vocab_size}")
    val_megabytes = val_megabytes if val_megabytes is not None else max(0.2, megabytes / 10)
    train_path = embedded_corpus("train", megabytes)
    val_path = embedded_corpus("validation", val_megabytes)
    directory = cache_dir() / "tokenized" / f"{train_path.stem}-{val_path.stem}-bpe{vocab_size}"
    done = directory / "val.bin"
    if not done.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        vocab, merges = train_bpe(train_path, vocab_size, [EOT])
        tokenizer = Tokenizer(vocab, merges, [EOT])
        tokenizer.save(directory)
        for split, path in (("train", train_path), ("val", val_path)):
            ids = tokenizer.encode(path.read_text(encoding="utf-8"))
            tmp = save_tokens(ids, directory / f"{split}.bin.tmp", tokenizer.vocab_size)
            tmp.replace(directory / f"{split}.bin")
    tokenizer = load_tokenizer(directory)
    return TokenizedCorpus(
        tokenizer=tokenizer,
        train=load_tokens(directory / "train.bin", tokenizer.vocab_size),
        val=load_tokens(directory / "val.bin", tokenizer.vocab_size),
        directory=directory,
    )
