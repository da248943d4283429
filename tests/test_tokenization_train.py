"""course_lib.tokenization: BPE training against the specification run literally."""

from __future__ import annotations

import pytest

from course_lib.tokenization import count_pretokens, split_pretokens, train_bpe
from course_lib.tokenization.accelerate import accelerator
from course_lib.tokenization.pretokenize import count_pretokens_in_file, find_chunk_boundaries
from tests.tokenization_helpers import SPECIAL, reference_train_bpe, synthetic_corpus, write_corpus

# The pure-Python code and the C accelerators (where built).
BACKENDS = [
    "python",
    pytest.param(
        "c",
        marks=pytest.mark.skipif(
            accelerator("_fast_train", "auto") is None or accelerator("_fast_encode", "auto") is None,
            reason="C accelerators not built",
        ),
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_textbook_example(tmp_path, backend):
    path = tmp_path / "t.txt"
    path.write_text("aaabdaaabac")
    vocab, merges = train_bpe(path, 256 + 3, [], num_workers=1, backend=backend)
    # Counts: aa 4 (overlapping), then (aa, a) and (a, b) tie at 2 and the greater pair (b"aa" > b"a") wins.
    assert merges == [(b"a", b"a"), (b"aa", b"a"), (b"aaa", b"b")]
    assert [vocab[i] for i in range(256, 259)] == [b"aa", b"aaa", b"aaab"]
    assert all(vocab[i] == bytes([i]) for i in range(256))


@pytest.mark.parametrize("backend", BACKENDS)
def test_stops_when_no_pair_is_left(tmp_path, backend):
    path = tmp_path / "t.txt"
    path.write_text("ab ab")
    vocab, merges = train_bpe(path, 1000, [SPECIAL], num_workers=1, backend=backend)
    assert merges == [(b"a", b"b"), (b" ", b"ab")]
    assert vocab[len(vocab) - 1] == SPECIAL.encode()


@pytest.mark.parametrize(("num_workers", "backend"), [(1, "auto"), (2, "auto"), (1, "python")])
def test_merges_match_the_literal_specification(tmp_path, num_workers, backend):
    path = write_corpus(tmp_path / "corpus.txt", num_docs=200)
    vocab, merges = train_bpe(path, 256 + 150 + 1, [SPECIAL], num_workers=num_workers, backend=backend)
    expected = reference_train_bpe(path.read_text(encoding="utf-8"), 256 + 150 + 1, [SPECIAL])
    assert merges == expected
    assert len(vocab) == 256 + 150 + 1
    assert [vocab[256 + i] for i in range(150)] == [a + b for a, b in expected]
    assert vocab[256 + 150] == SPECIAL.encode()


def test_no_merge_crosses_a_special_token_or_a_pretoken(tmp_path):
    path = write_corpus(tmp_path / "corpus.txt", num_docs=300)
    vocab, merges = train_bpe(path, 600, [SPECIAL], num_workers=1)
    for token in list(vocab.values())[:-1]:
        assert b"<|" not in token and b"|>" not in token
        # A pre-token never holds a space after its first byte (GPT-2's regex), so neither do merges,
        # unless it is a whitespace run.
        assert b" " not in token[1:] or token.strip() == b""


def test_result_is_independent_of_workers_and_chunking(tmp_path):
    path = write_corpus(tmp_path / "corpus.txt", num_docs=400)
    text = path.read_text(encoding="utf-8")
    expected = count_pretokens(text, [SPECIAL])
    assert count_pretokens_in_file(path, [SPECIAL], num_workers=1) == expected
    assert count_pretokens_in_file(path, [SPECIAL], num_workers=2, chunks_per_worker=8) == expected
    boundaries = find_chunk_boundaries(path, 16, [SPECIAL.encode()])
    data = path.read_bytes()
    assert boundaries[0] == 0 and boundaries[-1] == len(data) and len(boundaries) > 2
    assert all(data[b:].startswith(SPECIAL.encode()) for b in boundaries[1:-1])


def test_split_pretokens_follows_gpt2():
    assert split_pretokens("Hello, world!<|endoftext|>  Hi it's", [SPECIAL]) == [
        "Hello",
        ",",
        " world",
        "!",
        SPECIAL,
        " ",
        " Hi",
        " it",
        "'s",
    ]


def test_special_tokens_get_the_last_ids_in_order(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(synthetic_corpus(num_docs=20))
    vocab, merges = train_bpe(path, 300, ["<|pad|>", SPECIAL], num_workers=1)
    assert vocab[298] == b"<|pad|>" and vocab[299] == SPECIAL.encode()
    assert len(merges) == 300 - 256 - 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"vocab_size": 100}, ValueError, "vocab_size"),
        ({"vocab_size": 257, "special_tokens": ["a", "b"]}, ValueError, "vocab_size"),
        ({"vocab_size": 300, "special_tokens": ["", "b"]}, ValueError, "empty"),
        ({"vocab_size": 300, "special_tokens": ["x", "x"]}, ValueError, "distinct"),
        ({"vocab_size": 300, "special_tokens": SPECIAL}, TypeError, "list of strings"),
        ({"vocab_size": 300, "num_workers": 0}, ValueError, "num_workers"),
        ({"vocab_size": 300, "backend": "gpu"}, ValueError, "backend"),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, error, match):
    path = tmp_path / "t.txt"
    path.write_text("hello world")
    with pytest.raises(error, match=match):
        train_bpe(path, **kwargs)


def test_missing_file_and_bad_utf8(tmp_path):
    with pytest.raises(FileNotFoundError):
        train_bpe(tmp_path / "nope.txt", 300)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"hello \xff\xfe world")
    with pytest.raises(ValueError, match="UTF-8"):
        train_bpe(bad, 300, num_workers=1)
