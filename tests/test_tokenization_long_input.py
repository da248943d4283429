"""course_lib.tokenization on pathological input: one very long word, and a dropped tokenizer.

- A word of ``n`` bytes is merged with a heap (encoding) or a linked list (training), so its time
  grows about linearly in ``n``, where rescanning every pair after each merge grows as ``n^2``.
  The tests bound the growth (10x the length in at most 20x the time), never an absolute time.
- The ids on long words equal tiktoken's and HF tokenizers', and training with long words gives the
  merges of the literal specification.
- A tokenizer holds no reference cycle: with the garbage collector off, dropping the last reference
  frees it (and its caches) at once.
"""

from __future__ import annotations

import gc
import random
import time
import weakref

import pytest

from course_lib.tokenization import Tokenizer, train_bpe, train_bpe_from_counts
from course_lib.tokenization.accelerate import accelerator
from course_lib.tokenization.interop import to_hf, to_tiktoken
from tests.tokenization_helpers import SPECIAL, reference_train_bpe, synthetic_corpus, write_corpus

tiktoken = pytest.importorskip("tiktoken")
pytest.importorskip("tokenizers")

BACKENDS = [
    "python",
    pytest.param("c", marks=pytest.mark.skipif(accelerator("_fast_encode", "auto") is None, reason="C not built")),
]
# BPE training's pure-Python merge loop and its C accelerator (where built).
TRAIN_BACKENDS = [
    "python",
    pytest.param("c", marks=pytest.mark.skipif(accelerator("_fast_train", "auto") is None, reason="C not built")),
]


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    path = write_corpus(tmp_path_factory.mktemp("corpus") / "corpus.txt", num_docs=600)
    vocab, merges = train_bpe(path, 1000, [SPECIAL], num_workers=1)
    return Tokenizer(vocab, merges, [SPECIAL])


def _word(num_bytes: int, seed: int = 0) -> str:
    """Story words glued together without spaces, in random order: one pre-token that many merges
    apply to, with no period (a repeated text would need far fewer distinct merges)."""
    words = sorted({w for w in synthetic_corpus(num_docs=60, seed=seed).split() if w.isalpha()})
    rng = random.Random(seed)
    letters = ""
    while len(letters) < num_bytes:
        letters += "".join(rng.choice(words) for _ in range(1000))
    return letters[:num_bytes]


def _best_time(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize(
    "text",
    [
        _word(5_000),
        "a" * 3_001,
        "ab" * 1_500 + "a",
        " " + _word(2_000, seed=1) + " and " + _word(700, seed=2) + SPECIAL + "x" * 999,
        "".join(random.Random(3).choice("abcdefgh") for _ in range(4_000)),
        # Lines without a space, longer than the caches keep: cut into their segments first.
        "Lists: "
        + "\n".join(["Afrikaans", "Ελληνικά", "日本語", "русский", "12,5", "x\t", "", "  y"] * 40)
        + " tail\n\nend",
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_long_words_match_tiktoken_and_hf(tok, text, backend):
    ids = Tokenizer(tok.vocab, tok.merges, tok.special_tokens, backend=backend).encode(text)
    assert ids == to_tiktoken(tok).encode(text, allowed_special="all")
    assert ids == to_hf(tok).encode(text).ids
    assert tok.decode(ids) == text


@pytest.mark.parametrize("backend", BACKENDS)
def test_encoding_time_grows_linearly_with_word_length(tok, backend):
    short, long = _word(5_000), _word(50_000)
    # A fresh tokenizer for each call: nothing cached. The heap's log factor and the caches of the
    # CPU make the time grow a little faster than the length (about 13x here), far from 100x.
    fresh = lambda word: Tokenizer(tok.vocab, tok.merges, backend=backend).encode(word)  # noqa: E731
    ratio = _best_time(lambda: fresh(long), repeats=5) / _best_time(lambda: fresh(short), repeats=5)
    assert ratio <= 20, f"10x longer word took {ratio:.1f}x the time (quadratic growth gives about 100x)"


@pytest.mark.parametrize("backend", TRAIN_BACKENDS)
def test_training_time_grows_linearly_with_word_length(backend):
    # One merge per 10 bytes: 10x the length also asks for 10x the merges, so rebuilding the word
    # at each merge would take about 100x the time.
    short, long = _word(2_000).encode(), _word(20_000).encode()
    train = lambda word: train_bpe_from_counts({word: 1}, len(word) // 10, backend=backend)  # noqa: E731
    ratio = _best_time(lambda: train(long), repeats=5) / _best_time(lambda: train(short), repeats=5)
    assert ratio <= 20, f"10x longer word took {ratio:.1f}x the time to train on (quadratic growth gives about 100x)"


@pytest.mark.parametrize("backend", TRAIN_BACKENDS)
def test_long_words_train_like_the_specification(tmp_path, backend):
    rng = random.Random(0)
    long_words = ["a" * 301, "ab" * 100, "".join(rng.choice("abc") for _ in range(400)), _word(500, seed=4)]
    text = synthetic_corpus(num_docs=40, seed=5) + SPECIAL + " ".join(long_words * 3) + SPECIAL + " " + long_words[2]
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    vocab, merges = train_bpe(path, 256 + 120 + 1, [SPECIAL], num_workers=1, backend=backend)
    assert merges == reference_train_bpe(text, 256 + 120 + 1, [SPECIAL])


@pytest.mark.parametrize("backend", TRAIN_BACKENDS)
def test_training_on_one_long_word_merges_it_into_one_token(backend):
    word = _word(3_000).encode()
    vocab, merges = train_bpe_from_counts({word: 1}, len(word), backend=backend)
    # While the word has two symbols, it has a pair to merge: training ends with it as one token.
    assert vocab[len(vocab) - 1] == word
    assert Tokenizer(vocab, merges).encode(word.decode()) == [len(vocab) - 1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_dropped_tokenizer_is_freed_at_once(tok, backend):
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        fresh = Tokenizer(tok.vocab, tok.merges, [SPECIAL], backend=backend)
        fresh.encode("Once upon a time,  a cat" + SPECIAL + _word(500) + "\n\n  x")  # fill every cache
        list(fresh.encode_iterable(["Lily ran ", "home."]))
        ref = weakref.ref(fresh)
        del fresh
        assert ref() is None, "a reference cycle keeps the dropped tokenizer alive until a garbage collection"
    finally:
        if was_enabled:
            gc.enable()
