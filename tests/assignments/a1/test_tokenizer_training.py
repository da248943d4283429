"""Assignment 1, part 1: BPE training, checked by hand on the textbook example and against course_lib."""

from __future__ import annotations

import pytest

from tests.tokenization_helpers import SPECIAL, write_corpus

MODULE = "a1_basics.tokenizer"


@pytest.fixture(scope="module")
def student(load_impl):
    return load_impl(MODULE)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("a1") / "corpus.txt", num_docs=600)


@pytest.mark.grade(part="bpe_training", points=2)
def test_textbook_example(student, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("aaabdaaabac", encoding="utf-8")
    vocab, merges = student.train_bpe(path, 256 + 3, [])
    # aa occurs 4 times (overlapping); then (aa, a) and (a, b) tie at 2: b"aa" > b"a" wins the tie.
    assert merges == [(b"a", b"a"), (b"aa", b"a"), (b"aaa", b"b")]
    assert vocab == {**{i: bytes([i]) for i in range(256)}, 256: b"aa", 257: b"aaa", 258: b"aaab"}


@pytest.mark.grade(part="bpe_training", points=4)
def test_merges_and_vocab_match_course_lib(student, corpus):
    from course_lib.tokenization import train_bpe

    expected_vocab, expected_merges = train_bpe(corpus, 1000, [SPECIAL], num_workers=1)
    vocab, merges = student.train_bpe(corpus, 1000, [SPECIAL])
    assert len(merges) == len(expected_merges)
    for i, (got, want) in enumerate(zip(merges, expected_merges)):
        assert got == want, f"merge {i} differs: got {got}, expected {want}"
    assert vocab == expected_vocab


@pytest.mark.grade(part="bpe_training", points=2)
def test_special_tokens_are_last_and_never_merged_across(student, corpus):
    vocab, merges = student.train_bpe(corpus, 400, ["<|pad|>", SPECIAL])
    assert vocab[398] == b"<|pad|>" and vocab[399] == SPECIAL.encode()
    assert len(merges) == 400 - 256 - 2
    assert not any(b"<|" in left + right or b"|>" in left + right for left, right in merges)
