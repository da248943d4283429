"""The encoding accelerator (``_fast_encode.c``) against the Python code it replaces.

The C scanner must cut text exactly as ``GPT2_REGEX.findall`` does and the C encoder must give the
ids of the Python encoder (and so of tiktoken and HF tokenizers): on the stories, on real installed
text (English docs, Python source, dozens of scripts), on every code point, on random text, on long
words and with permuted byte ids. Where a C compiler exists the accelerator must be built, so that a
broken build cannot pass unnoticed as the (slower, still correct) Python fallback.
"""

from __future__ import annotations

import copy
import functools
import pickle
import random
import shutil
import sysconfig
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.corpora import embedded_corpus
from course_lib.corpora.installed import installed_corpus
from course_lib.tokenization import Tokenizer, accelerate, count_pretokens, split_pretokens, train_bpe_from_counts
from course_lib.tokenization.accelerate import accelerator, gpt2_char_classes
from course_lib.tokenization.interop import to_tiktoken
from course_lib.tokenization.pretokenize import GPT2_REGEX
from tests.tokenization_helpers import SPECIAL, UNSEEN_TEXTS, training_corpus

fast = accelerator("_fast_encode", "auto")
needs_c = pytest.mark.skipif(fast is None, reason="the C accelerator is not built (no C compiler at install)")


def test_accelerator_is_built_where_a_compiler_is():
    compiler = (sysconfig.get_config_var("CC") or "").split()
    if not compiler or shutil.which(compiler[0]) is None:
        pytest.skip("no C compiler on this machine: the Python code runs, as designed")
    assert fast is not None, (
        "a C compiler exists but course_lib.tokenization._fast_encode is not built: pip install -e ."
    )


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    """About 300 KB of each corpus: stories, English docs, Python source, multilingual text."""
    out = {"stories": embedded_corpus(megabytes=0.3).read_text(encoding="utf-8").replace(SPECIAL, "")}
    for name in ("english-docs", "python-code", "multilingual"):
        out[name] = installed_corpus(name, megabytes=0.3).read_text(encoding="utf-8")[:300_000]
    return out


@pytest.fixture(scope="module")
def vocab_merges(texts):
    counts = count_pretokens("".join(texts.values()), backend="python")
    return train_bpe_from_counts({w.encode("utf-8"): c for w, c in counts.items()}, 3_000)


def _every_code_point() -> str:
    return "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)


@needs_c
@pytest.mark.parametrize("name", ["stories", "english-docs", "python-code", "multilingual"])
def test_scanner_cuts_real_text_like_the_regex(texts, name):
    text = texts[name]
    assert split_pretokens(text, backend="c") == GPT2_REGEX.findall(text)


@needs_c
def test_scanner_agrees_on_every_code_point():
    every = _every_code_point()
    # Alone, after a space, and after an apostrophe and a space run, every class meets every other.
    for text in (every, " ".join(every), "'".join(every), "  ".join(every[::7]) + "\n \t"):
        assert fast.split_pretokens(text, gpt2_char_classes()) == GPT2_REGEX.findall(text)


_ALPHABET = st.sampled_from(
    list("aZé字ß1٣½ \t\n\r\x0b\x0c\x85\xa0\u2003\u3000\x1c'sdmtlvre.,!-_😀\u0301")
    + ["'s", "'ll", "'ve", "'re", "'d", "'m", "'t", "  ", " \n", "\n\n"]
)


@needs_c
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_scanner_agrees_on_random_text(text):
    assert split_pretokens(text, backend="c") == GPT2_REGEX.findall(text)
    assert count_pretokens(text, backend="c") == count_pretokens(text, backend="python")


@needs_c
@pytest.mark.parametrize("name", ["stories", "english-docs", "python-code", "multilingual"])
def test_encoder_gives_the_python_and_tiktoken_ids(texts, vocab_merges, name):
    vocab, merges = vocab_merges
    c, py = Tokenizer(vocab, merges, backend="c"), Tokenizer(vocab, merges, backend="python")
    assert (c.backend, py.backend) == ("c", "python")
    text = texts[name]
    ids = c.encode(text)
    assert ids == py.encode(text) == to_tiktoken(py).encode_ordinary(text)
    assert c.encode(text) == ids  # warm: from the cache
    assert c.decode(ids) == text


@needs_c
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET | st.sampled_from(["the", " cat", "Lily", SPECIAL]), max_size=60).map("".join))
def test_encoder_agrees_on_random_text(text):
    c, py = _small_tokenizers()
    assert c.encode(text) == py.encode(text)


def _class_boundaries() -> list[str]:
    """The code points where GPT-2's character class changes, with the one before each."""
    classes = gpt2_char_classes()
    changes = [cp for cp in range(1, len(classes)) if classes[cp] != classes[cp - 1]]
    return [chr(c) for cp in changes for c in (cp - 1, cp)]


_ANY_CHAR = (
    st.deferred(lambda: st.sampled_from(_class_boundaries()))
    | st.integers(0, 0x10FFFF).map(chr)  # any code point (on a lone surrogate both raise)
    | st.text(st.sampled_from("ab字"), min_size=60, max_size=200)  # words past the heap's 128 bytes
    | st.text(st.sampled_from("😀-"), min_size=33, max_size=100)
)


@needs_c
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET | _ANY_CHAR, max_size=30).map("".join))
def test_c_agrees_at_class_boundaries_and_on_any_code_point(text):
    assert split_pretokens(text, backend="c") == GPT2_REGEX.findall(text)
    c, py = _small_tokenizers()
    try:
        expected = py.encode(text)
    except UnicodeEncodeError:  # a lone surrogate
        with pytest.raises(UnicodeEncodeError):
            c.encode(text)
    else:
        assert c.encode(text) == expected


@functools.cache
def _small_tables() -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    counts = count_pretokens(training_corpus(200) + " ".join(UNSEEN_TEXTS), [SPECIAL], backend="python")
    vocab, merges = train_bpe_from_counts({w.encode("utf-8"): n for w, n in counts.items()}, 700)
    vocab[len(vocab)] = SPECIAL.encode("utf-8")
    return vocab, merges


@functools.cache
def _small_tokenizers() -> tuple[Tokenizer, Tokenizer]:
    vocab, merges = _small_tables()
    return Tokenizer(vocab, merges, [SPECIAL], backend="c"), Tokenizer(vocab, merges, [SPECIAL], backend="python")


@needs_c
@pytest.mark.parametrize(
    "text",
    [
        "a" * 3_001,
        "ab" * 1_500 + "a",
        "".join(random.Random(0).choice("abcdefgh") for _ in range(4_000)),  # merged with the heap
        "字" * 200 + " " + "😀" * 50,  # multibyte pieces over the short path's limit
        "x" * 127 + " " + "y" * 128 + " " + "z" * 129,  # around the heap's threshold
    ],
)
def test_long_pieces(text):
    c, py = _small_tokenizers()
    assert c.encode(text) == py.encode(text)


@needs_c
def test_permuted_byte_ids(vocab_merges, texts):
    # GPT-2's own files do not give byte b the id b: the encoder maps bytes through byte_ids.
    vocab, merges = vocab_merges
    order = list(vocab)
    random.Random(1).shuffle(order)
    permuted = {new: vocab[old] for new, old in zip(range(len(order)), order)}
    text = texts["multilingual"][:20_000]
    assert Tokenizer(permuted, merges, backend="c").encode(text) == Tokenizer(
        permuted, merges, backend="python"
    ).encode(text)


@needs_c
def test_cache_stays_bounded_and_correct():
    c, py = _small_tokenizers()
    fresh = Tokenizer(c.vocab, c.merges, backend="c")
    text = " ".join(f"w{i}" for i in range(70_000))  # more distinct pieces than the cache keeps
    assert fresh.encode(text) == py.encode(text)
    assert 0 < fresh._fast.cache_size <= 65_536
    fresh._fast.clear_cache()
    assert fresh._fast.cache_size == 0


@pytest.mark.parametrize("backend", ["python", pytest.param("c", marks=needs_c)])
def test_lone_surrogate_is_an_encoding_error(backend):
    vocab, merges = _small_tables()
    with pytest.raises(UnicodeEncodeError):
        Tokenizer(vocab, merges, backend=backend).encode("ok \ud800 no")


def test_backend_errors(monkeypatch):
    with pytest.raises(ValueError, match="backend must be"):
        accelerator("_fast_encode", "rust")
    with pytest.raises(ValueError, match="backend must be"):
        split_pretokens("x", backend="fast")
    monkeypatch.setattr(accelerate, "_load", lambda name: None)  # as on a machine without a compiler
    with pytest.raises(RuntimeError, match="not built.*pip install"):
        Tokenizer({i: bytes([i]) for i in range(256)}, [], backend="c")
    assert Tokenizer({i: bytes([i]) for i in range(256)}, [], backend="auto").backend == "python"


@needs_c
def test_encoder_rejects_bad_tables():
    classes = gpt2_char_classes()
    byte_ids = list(range(256))
    with pytest.raises(ValueError, match="one byte per code point"):
        fast.Encoder({}, [], byte_ids, classes[:10])
    with pytest.raises(ValueError, match="256 ids"):
        fast.Encoder({}, [], byte_ids[:-1], classes)
    with pytest.raises(TypeError, match="pairs"):
        fast.Encoder({1: 0}, [300], byte_ids, classes)
    with pytest.raises(ValueError, match="no entry in merged"):
        fast.Encoder({(1, 2): 5}, [300], byte_ids, classes)
    with pytest.raises(ValueError, match="an id in"):
        fast.Encoder({(1, -2): 0}, [300], byte_ids, classes)
    with pytest.raises(TypeError, match="expected a str"):
        fast.Encoder({}, [], byte_ids, classes).encode(b"bytes")


@needs_c
def test_an_encoder_without_tables_raises_instead_of_crashing():
    # Encoder.__new__ alone, or a failed __init__, leaves no tables: using them crashed the interpreter.
    classes = gpt2_char_classes()
    for encoder in (fast.Encoder.__new__(fast.Encoder), fast.Encoder.__new__(fast.Encoder)):
        with pytest.raises(ValueError, match="no entry in merged"):
            encoder.__init__({(1, 2): 5}, [300], list(range(256)), classes)
        with pytest.raises(RuntimeError, match="not initialized"):
            encoder.encode("x")
        with pytest.raises(RuntimeError, match="not initialized"):
            encoder.clear_cache()
        with pytest.raises(RuntimeError, match="not initialized"):
            encoder.cache_size  # noqa: B018
        encoder.__init__({(104, 105): 0}, [300], list(range(256)), classes)  # a retry works
        assert encoder.encode("hi hi") == [300, 32, 300]


@needs_c
def test_a_failed_init_retried_leaks_nothing():
    classes, byte_ids = gpt2_char_classes(), list(range(256))
    ranks = {(256 + i, 256 + i + 1): i for i in range(50_000)}
    merged = list(range(100_000, 150_000))
    bad = {**ranks, (0, 0): len(merged)}  # read last, after the tables are made
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            encoder = fast.Encoder.__new__(fast.Encoder)
            with pytest.raises(ValueError, match="no entry in merged"):
                encoder.__init__(bad, merged, byte_ids, classes)
            encoder.__init__(ranks, merged, byte_ids, classes)
            del encoder
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000  # each leaked try kept its tables: about 2 MB


@needs_c
def test_encoder_reads_only_ints():
    # An __index__ runs Python code while the tables are read; this one emptied the list being read.
    merged = [300] * 50

    class ClearsTheList:
        def __index__(self) -> int:
            merged.clear()
            return 300

    merged[0] = ClearsTheList()
    with pytest.raises(TypeError, match=r"merged\[rank\] must be an int"):
        fast.Encoder({}, merged, list(range(256)), gpt2_char_classes())


@needs_c
def test_sparse_vocabulary_ids():
    # Ids need not be dense: the encoder made one int object for every id up to the largest.
    vocab = {i: bytes([i]) for i in range(256)}
    vocab |= {1 << 22: b"ab", (1 << 22) + 7: b"abc", 300: b"bc"}
    merges = [(b"a", b"b"), (b"ab", b"c"), (b"b", b"c")]
    tracemalloc.start()
    try:
        c = Tokenizer(vocab, merges, backend="c")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16_000_000  # not 4 M int objects
    text = "abc ab bc abcabc xbcx " * 50
    ids = c.encode(text)
    assert ids == Tokenizer(vocab, merges, backend="python").encode(text)
    assert c.encode(text) == ids and (1 << 22) + 7 in ids  # cached


@needs_c
def test_a_c_tokenizer_pickles_and_copies_like_a_python_one():
    # The C encoder cannot be pickled; a tokenizer holding one could not be deep-copied or sent to a
    # worker process (multiprocessing, DataLoader workers under spawn), while a Python one could.
    c, py = _small_tokenizers()
    text = "Lily's cat" + SPECIAL + "  ran \u4e2d 😀"
    for copied in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c), copy.copy(c)):
        assert copied.backend == "c" and copied._fast is not c._fast
        assert copied.encode(text) == c.encode(text) == py.encode(text)


@needs_c
def test_a_c_tokenizer_unpickled_without_the_c_build_runs_python(monkeypatch):
    c, py = _small_tokenizers()
    data = pickle.dumps(c)
    monkeypatch.setattr(accelerate, "_load", lambda name: None)  # as on a machine without a compiler
    restored = pickle.loads(data)
    assert (restored.backend, restored._fast) == ("python", None)
    assert restored.encode("Lily's cat" + SPECIAL) == py.encode("Lily's cat" + SPECIAL)


@needs_c
def test_ids_past_32_bits_run_python_on_auto_and_are_refused_by_c():
    vocab = {i: bytes([i]) for i in range(256)} | {2**31: b"ab"}
    merges = [(b"a", b"b")]
    tok = Tokenizer(vocab, merges)
    assert tok.backend == "python"
    assert tok.encode("cab") == [ord("c"), 2**31]
    with pytest.raises(ValueError, match=r"\[0, 2\*\*31\)"):
        Tokenizer(vocab, merges, backend="c")
