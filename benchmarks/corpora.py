"""Corpus speed: how fast the embedded corpus is generated, and how fast its documents stream.

Run: ``python benchmarks/corpora.py``. Uses a temporary cache, so nothing is left behind.

- Generation: ``embedded_corpus`` at 2 MB and 20 MB, in MB/s (a pure-Python generator; the course
  needs 2 MB in about a second and 20 MB well under a minute).
- Reading: ``iter_documents`` (streamed, bounded memory) against the one-liner a learner would
  write instead, ``path.read_text().split(EOT)`` (whole file in memory), timed alternately.
- Vocabulary: distinct word types per megabyte, and the vocabulary size byte-level BPE from HF
  ``tokenizers`` reaches when asked for 10,000 tokens on 2 MB.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["COURSE_CACHE"] = cache
        from course_lib.bench import compare
        from course_lib.corpora import EOT, embedded_corpus, iter_documents

        for megabytes in (2.0, 20.0):
            start = time.perf_counter()
            path = embedded_corpus("train", megabytes)
            seconds = time.perf_counter() - start
            size = path.stat().st_size / 1e6
            print(f"generate {megabytes:>4.0f} MB: {seconds:6.2f} s  ({size / seconds:.1f} MB/s)")

        path = embedded_corpus("train", 20.0)
        streamed = lambda: sum(1 for _ in iter_documents(path))  # noqa: E731
        whole = lambda: sum(1 for d in Path(path).read_text(encoding="utf-8").split(EOT) if d.strip())  # noqa: E731
        assert streamed() == whole()
        result = compare(streamed, whole, warmup=1, repeats=5)
        print(
            f"read 20 MB: iter_documents {result.a.median:.3f} s, read_text().split {result.b.median:.3f} s, "
            f"ratio {result.ratio:.2f} (streamed / whole-file)"
        )

        word = re.compile(r"[A-Za-z]+(?:[-'][A-Za-z]+)*")
        for megabytes in (1.0, 2.0, 20.0):
            types = set(word.findall(embedded_corpus("train", megabytes).read_text(encoding="utf-8")))
            print(f"distinct word types in {megabytes:>4.0f} MB: {len(types):,}")

        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(
            vocab_size=10_000,
            special_tokens=[EOT],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tokenizer.train_from_iterator(iter_documents(embedded_corpus("train", 2.0)), trainer)
        print(f"HF byte-level BPE asked for 10,000 tokens on 2 MB: learned {tokenizer.get_vocab_size():,}")


if __name__ == "__main__":
    main()
