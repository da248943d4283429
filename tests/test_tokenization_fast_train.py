"""The C accelerator of BPE training (``_fast_train``) against its Python twin in train.py.

The pure-Python merge loop is the reference: on every input, the C code must give the same merges
and vocabulary (stories, installed real text, generated counts with ties, prefixes, repeated and
arbitrary bytes, huge counts), stop at the same point, and name bad input. Where a C compiler is
available the extension must be built, so that a broken build cannot silently fall back to Python.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.tokenization import accelerate, count_pretokens, train_bpe_from_counts

fast = accelerate.accelerator("_fast_train", "auto")
needs_c = pytest.mark.skipif(fast is None, reason="C accelerator not built (python setup.py build_ext --inplace)")


def _both(word_counts, num_merges):
    c = train_bpe_from_counts(word_counts, num_merges, backend="c")
    python = train_bpe_from_counts(word_counts, num_merges, backend="python")
    return c, python


def _word_counts(text: str) -> dict[bytes, int]:
    counts = count_pretokens(text, ["<|endoftext|>"], backend="python")
    return {word.encode("utf-8"): count for word, count in counts.items()}


def test_extension_is_built_where_a_compiler_is():
    compiler = (sysconfig.get_config_var("CC") or "").split()
    if not compiler or shutil.which(compiler[0]) is None:
        pytest.skip(f"no C compiler found (sysconfig CC = {sysconfig.get_config_var('CC')!r})")
    assert fast is not None, (
        f"{compiler[0]} is installed but course_lib.tokenization._fast_train is not built: "
        "`pip install -e .` or `python setup.py build_ext --inplace`"
    )


@needs_c
def test_same_as_python_on_the_embedded_stories():
    from course_lib.corpora import embedded_corpus

    text = embedded_corpus("train", megabytes=0.3).read_text(encoding="utf-8")
    (c_vocab, c_merges), (vocab, merges) = _both(_word_counts(text), 2_000)
    assert c_merges == merges and c_vocab == vocab
    assert len(merges) == 2_000


@needs_c
@pytest.mark.parametrize("name", ["english-docs", "python-code", "multilingual"])
def test_same_as_python_on_installed_real_text(name):
    from course_lib.corpora.installed import installed_corpus

    text = installed_corpus(name, 5.0).read_text(encoding="utf-8")[:300_000]
    (c_vocab, c_merges), (vocab, merges) = _both(_word_counts(text), 1_500)
    assert c_merges == merges and c_vocab == vocab
    assert len(merges) == 1_500


_symbols = st.sampled_from([0x00, 0x20, 0x61, 0x62, 0x80, 0xE4, 0xFF])
_words = st.one_of(
    st.lists(_symbols, max_size=12).map(bytes),  # few symbols: ties, prefixes, repeats
    st.binary(max_size=10),  # any byte
    st.tuples(_symbols, st.integers(1, 40)).map(lambda t: bytes([t[0]]) * t[1]),  # aaaa...
    st.integers(2, 200).map(lambda n: bytes(range(256)) * (n // 256) + bytes(range(n % 256))),
)
_counts = st.one_of(st.integers(-2, 4), st.integers(1, 2**40), st.just(2**58), st.integers(2**63 - 2, 2**63 - 1))


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_words, _counts, max_size=25), st.integers(0, 150))
def test_same_as_python_on_generated_counts(word_counts, num_merges):
    total = sum(count * (len(word) - 1) for word, count in word_counts.items() if count > 0 and len(word) > 1)
    if total >= 2**63:  # a pair's count could leave the C code's int64: it refuses, "auto" runs Python
        with pytest.raises(OverflowError):
            train_bpe_from_counts(word_counts, num_merges, backend="c")
        assert train_bpe_from_counts(word_counts, num_merges) == train_bpe_from_counts(
            word_counts, num_merges, backend="python"
        )
        return
    (c_vocab, c_merges), (vocab, merges) = _both(word_counts, num_merges)
    assert c_merges == merges
    assert c_vocab == vocab


@needs_c
def test_ties_prefixes_and_overlaps():
    cases = [
        {b"aaabdaaabac": 1},  # the textbook example: (aa, a) and (a, b) tie, the greater pair wins
        {b"aaaa": 3, b"aaa": 2, b"ab": 5, b"ba": 5},  # overlaps: a a a -> aa a
        {b"abab": 2, b"baba": 2, b"ab": 1},  # a b a b -> ab ab: the old (b, a) removed once
        {b"\x00\xff": 1, b"\xff\x00": 1, b"\xff\xff": 1, b"\x00\x00": 1},  # byte order, not sign
        {b"ab": 1, b"abc": 1, b"abcd": 1, b"b": 7, b"": 3, b"zz": 0, b"yy": -4},  # prefixes, ignored words
        {bytes(range(256)): 2, bytes(range(255, -1, -1)): 2},  # every byte
    ]
    for word_counts in cases:
        (c_vocab, c_merges), (vocab, merges) = _both(word_counts, 40)
        assert c_merges == merges and c_vocab == vocab, word_counts


@needs_c
def test_stops_early_like_python():
    word_counts = Counter({b"hello": 3, b"world": 2, b"hi": 1, b"x": 9})
    (c_vocab, c_merges), (vocab, merges) = _both(word_counts, 1_000)
    assert c_merges == merges and c_vocab == vocab
    assert len(merges) == 4 + 4 + 1  # every pair merged until each word is one token
    assert train_bpe_from_counts({}, 10, backend="c") == ({i: bytes([i]) for i in range(256)}, [])
    assert train_bpe_from_counts(word_counts, 0, backend="c")[1] == []


@needs_c
def test_counts_beyond_64_bits():
    huge = {b"ab": 2**63, b"abc": 1}
    with pytest.raises(OverflowError, match="64-bit"):
        train_bpe_from_counts(huge, 5, backend="c")
    # The sum of the pair counts overflows though each count fits.
    with pytest.raises(OverflowError, match="64-bit"):
        train_bpe_from_counts({b"abab": 2**62, b"ba": 2**62}, 5, backend="c")
    # "auto" runs the Python code instead: the same result as always.
    assert train_bpe_from_counts(huge, 5) == train_bpe_from_counts(huge, 5, backend="python")
    assert train_bpe_from_counts({b"ab": -(2**70), b"cd": 1}, 5, backend="c")[1] == [(b"c", b"d")]


@needs_c
def test_bad_input_is_named():
    train_merges = fast.train_merges
    with pytest.raises(TypeError, match=r"words\[1\] must be bytes, got str"):
        train_merges([b"ab", "cd"], [1, 1], 3)
    with pytest.raises(TypeError, match=r"counts\[0\] must be an int, got float"):
        train_merges([b"ab"], [1.5], 3)
    np = pytest.importorskip("numpy")
    # Integers of other types count as their value, as in the Python code.
    expected = train_bpe_from_counts({b"abc": 2, b"bc": 1, b"ca": 2}, 3, backend="python")
    assert train_bpe_from_counts({b"abc": np.int64(2), b"bc": True, b"ca": np.uint8(2)}, 3, backend="c") == expected
    with pytest.raises(ValueError, match="same length"):
        train_merges([b"ab"], [1, 2], 3)
    with pytest.raises(ValueError, match="num_merges"):
        train_merges([b"ab"], [1], -1)
    with pytest.raises(TypeError, match="sequence of bytes"):
        train_merges(5, [1], 3)
    with pytest.raises(TypeError, match="must be bytes"):
        train_bpe_from_counts({"ab": 1}, 3, backend="c")
    with pytest.raises(ValueError, match="num_merges"):
        train_bpe_from_counts({b"ab": 1}, -1, backend="c")


def test_backend_choice_is_checked(monkeypatch):
    with pytest.raises(ValueError, match="backend"):
        train_bpe_from_counts({b"ab": 1}, 3, backend="gpu")
    monkeypatch.setattr(accelerate, "_load", lambda name: None)  # as on a machine without a compiler
    with pytest.raises(RuntimeError, match="_fast_train is not built.*build_ext --inplace"):
        train_bpe_from_counts({b"ab": 1}, 3, backend="c")
    # Without the extension, "auto" is the Python code.
    assert train_bpe_from_counts({b"abab": 1}, 3)[1] == [(b"a", b"b"), (b"ab", b"ab")]


@needs_c
def test_no_memory_is_kept_between_calls():
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs Linux /proc")
    word_counts = {f" w{i}".encode(): 1 + i % 7 for i in range(40_000)}

    def rss_kib() -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

    for _ in range(3):
        train_bpe_from_counts(word_counts, 2_000, backend="c")
    before = rss_kib()
    for _ in range(30):
        train_bpe_from_counts(word_counts, 2_000, backend="c")
        with pytest.raises(TypeError):
            train_bpe_from_counts({**word_counts, "bad": 1}, 2_000, backend="c")
    # One call's arrays take several MB (16 bytes per byte of the words, the pairs' positions):
    # keeping them would add far more than this over 30 calls.
    assert rss_kib() - before < 16_000


@needs_c
def test_time_grows_linearly_with_word_length_on_long_words():
    from tests.test_tokenization_long_input import _best_time, _word

    # One merge per 100 bytes, 50,000 then 500,000 bytes (tests/test_tokenization_long_input.py
    # checks one merge per 10 bytes on shorter words). With one merge per 10 bytes of such a long
    # word, the late merges are ties between pairs seen once, and the tie rule keeps extending the
    # newest (greatest) token: the vocabulary's bytes then grow as the square of the length in both
    # backends, whatever the algorithm.
    short, long = _word(50_000).encode(), _word(500_000).encode()
    train = lambda word: train_bpe_from_counts({word: 1}, len(word) // 100, backend="c")  # noqa: E731
    ratio = _best_time(lambda: train(long), repeats=3) / _best_time(lambda: train(short), repeats=3)
    assert ratio <= 20, f"10x longer word took {ratio:.1f}x the time to train on (quadratic growth gives about 100x)"
