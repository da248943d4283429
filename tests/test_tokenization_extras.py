"""course_lib.tokenization: worker processes, interop guards, the display helper, file format details."""

from __future__ import annotations

import os
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from course_lib.tokenization import Tokenizer, bytes_to_unicode, train_bpe
from course_lib.tokenization.display import token_pieces, tokens_html
from course_lib.tokenization.files import text_to_token, token_to_text
from course_lib.tokenization.interop import to_tiktoken
from course_lib.tokenization.pretokenize import count_pretokens_in_file, find_chunk_boundaries
from tests.tokenization_helpers import SPECIAL, write_corpus


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = write_corpus(tmp_path_factory.mktemp("c") / "corpus.txt", num_docs=100)
    vocab, merges = train_bpe(path, 400, [SPECIAL], num_workers=1)
    return path, Tokenizer(vocab, merges, [SPECIAL])


def test_workers_start_from_a_multithreaded_process(small):
    # A Jupyter kernel runs several threads; train_bpe then starts its workers from a forkserver.
    path, _ = small
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert threading.active_count() > 1
        assert count_pretokens_in_file(path, [SPECIAL], num_workers=2) == count_pretokens_in_file(
            path, [SPECIAL], num_workers=1
        )
    finally:
        stop.set()
        thread.join()


def test_a_worker_error_reaches_the_caller(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes((("hello world " * 50 + SPECIAL) * 20).encode() + b"\xff" + SPECIAL.encode() + b" tail")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        train_bpe(path, 300, [SPECIAL], num_workers=2)


def test_chunk_boundaries_without_special_tokens(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("no separators here " * 100)
    assert find_chunk_boundaries(path, 4, []) == [0, path.stat().st_size]
    assert find_chunk_boundaries(path, 4, [SPECIAL.encode()]) == [0, path.stat().st_size]


def test_byte_table_is_gpt2s():
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ" and table[ord("A")] == "A"
    assert text_to_token(token_to_text(bytes(range(256)))) == bytes(range(256))
    with pytest.raises(ValueError, match="byte table"):
        text_to_token("中")


def test_tiktoken_needs_ids_in_merge_order(small):
    _, tok = small
    vocab = dict(tok.vocab)
    last, second = len(tok.merges) + 255, len(tok.merges) + 254
    vocab[last], vocab[second] = vocab[second], vocab[last]
    with pytest.raises(ValueError, match="merge order"):
        to_tiktoken(Tokenizer(vocab, tok.merges, [SPECIAL]))


def test_tokens_html_shows_every_token(small):
    _, tok = small
    text = "Lily ran <b>home</b> 🤗\n" + SPECIAL
    pieces = token_pieces(tok, text)
    assert [token_id for token_id, _ in pieces] == tok.encode(text)
    page = tokens_html(tok, text)
    assert page.count("<span") == len(pieces)
    assert "&lt;" in page and "<b>" not in page  # the text is escaped, not rendered
    assert f"{len(pieces)} tokens" in page


def test_ids_stay_right_when_the_caches_overflow(small, monkeypatch):
    import course_lib.tokenization.tokenizer as tokenizer_module

    path, tok = small
    monkeypatch.setattr(tokenizer_module, "_CACHE_LIMIT", 8)
    monkeypatch.setattr(tokenizer_module, "_MAX_CACHED_CHARS", 3)
    tiny_cache = Tokenizer(
        tok.vocab, tok.merges, [SPECIAL], backend="python"
    )  # the C cache: test_tokenization_fast_encode
    text = path.read_text(encoding="utf-8") + "  double  spaces \n\n  and runs" + SPECIAL + "x"
    assert tiny_cache.encode(text) == to_tiktoken(tok).encode(text, allowed_special="all")
    assert 0 < max(len(tiny_cache._spaced_cache), len(tiny_cache._segment_cache), len(tiny_cache._piece_cache)) <= 8


def test_chunks_never_cut_inside_an_overlapping_special_token(tmp_path):
    # "x|>" also occurs inside "<|x|>": a cut there would turn "<|" into text.
    specials = ["<|x|>", "x|>"]
    text = "".join(f"story {i} <|x|>tail x|> more " for i in range(400))
    path = tmp_path / "t.txt"
    path.write_text(text)
    expected = count_pretokens_in_file(path, specials, num_workers=1)
    assert "<|" not in expected and expected["tail"] == 400
    boundaries = find_chunk_boundaries(path, 64, [t.encode() for t in specials])
    assert len(boundaries) > 30
    assert all(text[b - 2 : b] != "<|" for b in boundaries[1:-1])
    assert count_pretokens_in_file(path, specials, num_workers=2, chunks_per_worker=32) == expected


def test_encode_iterable_on_text_without_cut_points(small):
    # CJK text has no spaces: nothing can be emitted early, but the result is still exact.
    _, tok = small
    text = "从前有座山山里有座庙" * 20_000
    chunks = (text[i : i + 100] for i in range(0, len(text), 100))
    assert list(tok.encode_iterable(chunks)) == tok.encode(text)


def _die(args):
    os._exit(3)


def test_a_dead_worker_raises_instead_of_hanging(small, monkeypatch):
    import course_lib.tokenization.pretokenize as pretokenize_module

    path, _ = small
    monkeypatch.setattr(pretokenize_module, "_count_chunk", _die)
    with pytest.raises(BrokenProcessPool):
        count_pretokens_in_file(path, [SPECIAL], num_workers=2)
