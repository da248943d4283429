"""course_lib.tokenization.Tokenizer: ids identical to tiktoken's and HF tokenizers' for the same merges."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.tokenization import Tokenizer, train_bpe
from course_lib.tokenization.interop import to_hf, to_tiktoken
from tests.tokenization_helpers import (
    SPECIAL,
    STREAM_LINE,
    UNSEEN_TEXTS,
    encode_stream_peak_memory,
    synthetic_corpus,
    write_corpus,
)

tiktoken = pytest.importorskip("tiktoken")
tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = write_corpus(tmp_path_factory.mktemp("corpus") / "corpus.txt", num_docs=600)
    vocab, merges = train_bpe(path, 1000, [SPECIAL], num_workers=1)
    return vocab, merges


@pytest.fixture(scope="module")
def tok(trained):
    return Tokenizer(*trained, special_tokens=[SPECIAL])


@pytest.fixture(scope="module")
def references(tok):
    return to_tiktoken(tok), to_hf(tok)


@pytest.mark.parametrize("text", UNSEEN_TEXTS)
def test_ids_match_tiktoken_and_hf_on_unseen_text(tok, references, text):
    tt, hf = references
    ids = tok.encode(text)
    assert ids == tt.encode(text, allowed_special="all")
    assert ids == hf.encode(text).ids
    assert tok.decode(ids) == text


def test_merges_are_used_outside_latin_script(tok):
    # The corpus holds some Cyrillic and CJK, so these encode to fewer ids than bytes.
    for text in ("Жили-были дед", "从前有座山"):
        assert len(tok.encode(text)) < len(text.encode())


def test_ids_match_on_all_unseen_texts_joined(tok, references):
    text = SPECIAL.join(UNSEEN_TEXTS) + synthetic_corpus(num_docs=50, seed=123)
    tt, hf = references
    ids = tok.encode(text)
    assert ids == tt.encode(text, allowed_special="all") == hf.encode(text).ids


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_round_trip_and_tiktoken_on_arbitrary_unicode(tok, references, text):
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert ids == references[0].encode(text, allowed_special="all")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(["a", " ", "\n", "é", "本", "🤗", "e\u0301", SPECIAL, "<|", "the", "'s", "1"]), max_size=30
    )
)
def test_hf_agrees_on_tricky_mixtures(tok, references, parts):
    text = "".join(parts)
    assert tok.encode(text) == references[1].encode(text).ids


def test_special_tokens_are_never_split(tok):
    ids = tok.encode(f"a{SPECIAL}{SPECIAL}b")
    special_id = tok.special_ids[SPECIAL]
    assert ids.count(special_id) == 2
    assert tok.decode([special_id]) == SPECIAL
    # Without declaring it special, the same text is split into ordinary tokens.
    plain = Tokenizer(tok.vocab, tok.merges)
    assert special_id not in plain.encode(SPECIAL) and len(plain.encode(SPECIAL)) > 1


def test_overlapping_special_tokens_longest_wins(trained):
    double = SPECIAL + SPECIAL
    tok = Tokenizer(*trained, special_tokens=[SPECIAL, double])
    ids = tok.encode(f"x{double}{SPECIAL}y")
    assert ids[1:3] == [tok.special_ids[double], tok.special_ids[SPECIAL]]
    assert ids == to_hf(tok).encode(f"x{double}{SPECIAL}y").ids  # HF: longest match first, too
    assert tok.decode(ids) == f"x{double}{SPECIAL}y"


def test_decode_replaces_invalid_utf8_and_names_bad_ids(tok):
    euro = tok.encode("€")  # b"\xe2\x82\xac"; ids 0-255 are the bytes, and 0xE2 alone is not UTF-8
    assert tok.decode([0xE2]) == "\ufffd"
    assert tok.decode([0xE2, *tok.encode("x")]) == "\ufffdx"
    assert tok.decode(euro) == "€"
    with pytest.raises(ValueError, match="unknown token id 123456"):
        tok.decode([1, 123456])
    with pytest.raises(ValueError, match="unknown token id -1"):
        tok.decode([-1])
    with pytest.raises(TypeError, match="ints"):
        tok.decode(["a"])
    with pytest.raises(TypeError, match="str"):
        tok.encode(b"bytes")  # type: ignore[arg-type]


def test_constructor_rejects_inconsistent_tables(trained):
    vocab, merges = trained
    broken = dict(vocab)
    del broken[65]
    with pytest.raises(ValueError, match="single byte"):
        Tokenizer(broken, merges)
    with pytest.raises(ValueError, match="not in vocab"):
        Tokenizer(vocab, [*merges, (b"zzz", b"qqq")])


def test_save_from_files_and_hf_agree(tok, tmp_path):
    vocab_path, merges_path = tok.save(tmp_path)
    loaded = Tokenizer.from_files(vocab_path, merges_path, special_tokens=[SPECIAL])
    assert loaded.vocab == tok.vocab and loaded.merges == tok.merges
    hf = tokenizers.Tokenizer(tokenizers.models.BPE.from_file(str(vocab_path), str(merges_path)))
    hf.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.decoder = tokenizers.decoders.ByteLevel()
    hf.add_special_tokens([SPECIAL])
    text = SPECIAL.join(UNSEEN_TEXTS)
    ids = loaded.encode(text)
    assert ids == hf.encode(text).ids
    assert hf.decode(ids, skip_special_tokens=False) == text


def test_from_files_keeps_the_files_ids(tok, tmp_path):
    # GPT-2's files do not put the bytes at ids 0-255; shuffle the ids and check they are kept.
    vocab_path, merges_path = tok.save(tmp_path)
    entries = json.loads(vocab_path.read_text(encoding="utf-8"))
    order = sorted(entries, key=lambda text: (len(text), text))
    vocab_path.write_text(json.dumps({text: i for i, text in enumerate(reversed(order))}), encoding="utf-8")
    loaded = Tokenizer.from_files(vocab_path, merges_path, special_tokens=[SPECIAL])
    hf = tokenizers.Tokenizer(tokenizers.models.BPE.from_file(str(vocab_path), str(merges_path)))
    hf.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.add_special_tokens([SPECIAL])
    text = SPECIAL.join(UNSEEN_TEXTS)
    assert loaded.encode(text) == hf.encode(text).ids
    assert loaded.decode(loaded.encode(text)) == text


def test_from_files_reports_bad_files(tmp_path):
    (tmp_path / "vocab.json").write_text('{"a": 0, "b": "x"}')
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    with pytest.raises(ValueError, match="non-negative int"):
        Tokenizer.from_files(tmp_path / "vocab.json", tmp_path / "merges.txt")
    (tmp_path / "vocab.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        Tokenizer.from_files(tmp_path / "vocab.json", tmp_path / "merges.txt")


def test_encode_iterable_equals_encode_across_any_chunking(tok):
    text = SPECIAL.join(UNSEEN_TEXTS) * 30 + synthetic_corpus(num_docs=200, seed=7)
    expected = tok.encode(text)
    for size in (1, 7, 1000, 70_000):
        chunks = (text[i : i + size] for i in range(0, len(text), size))
        assert list(tok.encode_iterable(chunks)) == expected, f"chunks of {size}"
    assert list(tok.encode_iterable(text.splitlines(keepends=True))) == expected
    assert list(tok.encode_iterable([])) == []


def test_encode_iterable_memory_is_bounded(tok):
    total_lines = 60_000  # about 4.5 MB of text, never held at once
    count, peak = encode_stream_peak_memory(tok.encode_iterable, total_lines)
    assert count > total_lines * 10
    assert peak < 4 * 2**20, (
        f"encode_iterable peaked at {peak / 2**20:.1f} MiB for {len(STREAM_LINE) * total_lines / 2**20:.1f} MiB of text"
    )


def test_no_merges_at_all():
    tok = Tokenizer({i: bytes([i]) for i in range(256)}, [])
    text = " ".join(f"word{i} ünïcode" for i in range(100))
    assert tok.encode(text) == list(text.encode())
