"""Assignment 1, part 1: the Tokenizer, checked against tiktoken and HF tokenizers on the same merges."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tokenization_helpers import (
    SPECIAL,
    STREAM_LINE,
    UNSEEN_TEXTS,
    encode_stream_peak_memory,
    synthetic_corpus,
    write_corpus,
)

MODULE = "a1_basics.tokenizer"
tiktoken = pytest.importorskip("tiktoken")
tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def student(load_impl):
    return load_impl(MODULE)


class Tables(tuple):
    """``(vocab, merges)``, with a short repr for test reports."""

    def __repr__(self) -> str:
        return f"<course_lib's vocab ({len(self[0])} ids) and merges ({len(self[1])})>"


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """course_lib's vocab and merges on a fixed corpus: the student's encoder is tested on its own."""
    from course_lib.tokenization import train_bpe

    path = write_corpus(tmp_path_factory.mktemp("a1") / "corpus.txt", num_docs=600)
    return Tables(train_bpe(path, 1000, [SPECIAL], num_workers=1))


@pytest.fixture(scope="module")
def reference(tables):
    vocab, _ = tables
    ranks = {token: token_id for token_id, token in vocab.items() if token != SPECIAL.encode()}
    from course_lib.tokenization import GPT2_PATTERN

    return tiktoken.Encoding(
        name="a1-reference", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens={SPECIAL: len(vocab) - 1}
    )


def make(student, tables, special_tokens=(SPECIAL,)):
    vocab, merges = tables
    return student.Tokenizer(dict(vocab), list(merges), list(special_tokens))


@pytest.mark.grade(part="tokenizer_encode", points=4)
def test_ids_match_tiktoken_on_unseen_text(student, tables, reference):
    tok = make(student, tables)
    for text in UNSEEN_TEXTS + [SPECIAL.join(UNSEEN_TEXTS), synthetic_corpus(num_docs=30, seed=99)]:
        assert tok.encode(text) == reference.encode(text, allowed_special="all"), f"on {text[:40]!r}"


@pytest.mark.grade(part="tokenizer_encode", points=2)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=50))
def test_round_trip_on_arbitrary_unicode(student, tables, reference, text):
    tok = make(student, tables)
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert ids == reference.encode(text, allowed_special="all")


@pytest.mark.grade(part="tokenizer_special", points=2)
def test_special_tokens_are_single_ids_and_longest_wins(student, tables):
    tok = make(student, tables, [SPECIAL, SPECIAL * 2])
    text = f"a{SPECIAL}b{SPECIAL * 3}"
    ids = tok.encode(text)
    vocab = tok.vocab
    assert [vocab[i] for i in ids if vocab[i].startswith(b"<|")] == [SPECIAL.encode(), (SPECIAL * 2).encode(), SPECIAL.encode()]
    assert tok.decode(ids) == text
    plain = make(student, tables, [])
    assert len(plain.encode(SPECIAL)) > 1  # not special: split like any text


@pytest.mark.grade(part="tokenizer_decode", points=1)
def test_decode_replaces_invalid_utf8_and_rejects_unknown_ids(student, tables):
    tok = make(student, tables)
    assert tok.decode([0xE2]) == "\ufffd"  # the first byte of "€" alone
    assert tok.decode([0xE2, 0x82, 0xAC]) == "€"
    with pytest.raises(ValueError, match="123456"):
        tok.decode([1, 123456])


@pytest.mark.grade(part="tokenizer_files", points=2)
def test_save_and_from_files_round_trip_with_hf(student, tables, tmp_path):
    tok = make(student, tables)
    tok.save(tmp_path)
    hf = tokenizers.Tokenizer(tokenizers.models.BPE.from_file(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt")))
    hf.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.add_special_tokens([SPECIAL])
    loaded = student.Tokenizer.from_files(tmp_path / "vocab.json", tmp_path / "merges.txt", [SPECIAL])
    text = SPECIAL.join(UNSEEN_TEXTS)
    assert loaded.encode(text) == hf.encode(text).ids == tok.encode(text)
    # Files written by someone else, with ids that are not ours: they must be kept.
    entries = json.loads((tmp_path / "vocab.json").read_text(encoding="utf-8"))
    shuffled = {text: i for i, text in enumerate(sorted(entries, key=lambda t: (-len(t), t)))}
    (tmp_path / "vocab.json").write_text(json.dumps(shuffled), encoding="utf-8")
    hf = tokenizers.Tokenizer(tokenizers.models.BPE.from_file(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt")))
    hf.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.add_special_tokens([SPECIAL])
    loaded = student.Tokenizer.from_files(tmp_path / "vocab.json", tmp_path / "merges.txt", [SPECIAL])
    assert loaded.encode(text) == hf.encode(text).ids


@pytest.mark.grade(part="tokenizer_stream", points=1)
def test_encode_iterable_equals_encode(student, tables):
    tok = make(student, tables)
    text = SPECIAL.join(UNSEEN_TEXTS) * 20
    expected = tok.encode(text)
    for size in (1, 5, 999):
        assert list(tok.encode_iterable(text[i : i + size] for i in range(0, len(text), size))) == expected
    assert list(tok.encode_iterable(text.splitlines(keepends=True))) == expected


@pytest.mark.grade(part="tokenizer_stream", points=2)
@pytest.mark.skipif(sys.implementation.name != "cpython", reason="tracemalloc measures memory on CPython only")
def test_encode_iterable_memory_is_bounded(student, tables):
    tok = make(student, tables)
    total_lines = 20_000  # about 1.5 MB of text, produced lazily
    count, peak = encode_stream_peak_memory(tok.encode_iterable, total_lines)
    assert count > total_lines * 10
    assert peak < 2**20 * 3 // 2, f"encode_iterable peaked at {peak / 2**20:.1f} MiB on {len(STREAM_LINE) * total_lines / 2**20:.1f} MiB of text"
