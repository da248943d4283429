"""The readable merge rule (``merge_word``) and the priority-queue encoder built on the same rule."""

from __future__ import annotations

import random

from course_lib.tokenization import merge_word
from course_lib.tokenization.merge import apply_merges_heap
from tests.tokenization_helpers import reference_train_bpe


def test_merge_word_joins_non_overlapping_pairs_left_to_right():
    assert merge_word((b"a", b"a", b"a"), (b"a", b"a")) == (b"aa", b"a")
    assert merge_word((b"a", b"a", b"a", b"a"), (b"a", b"a")) == (b"aa", b"aa")
    assert merge_word((b"a", b"b", b"a", b"b"), (b"b", b"a")) == (b"a", b"ba", b"b")
    assert merge_word((b"x",), (b"x", b"x")) == (b"x",)
    assert merge_word((), (b"a", b"b")) == ()


def test_the_heap_encoder_equals_the_textbook_loop_over_merge_word():
    rng = random.Random(0)
    text = "".join(rng.choice("aab ") for _ in range(3000))
    merges = reference_train_bpe(text, 256 + 30, [])
    ranks = {pair: rank for rank, pair in enumerate(merges)}
    token_id = {bytes([b]): b for b in range(256)} | {a + b: 256 + rank for rank, (a, b) in enumerate(merges)}
    id_ranks = {(token_id[a], token_id[b]): rank for (a, b), rank in ranks.items()}
    merged = [256 + rank for rank in range(len(merges))]
    for _ in range(200):
        word = tuple(bytes([rng.choice(b"ab")]) for _ in range(rng.randint(0, 40)))
        textbook = word
        while len(textbook) > 1 and (pairs := [p for p in zip(textbook, textbook[1:]) if p in ranks]):
            textbook = merge_word(textbook, min(pairs, key=ranks.__getitem__))
        assert apply_merges_heap([token_id[t] for t in word], id_ranks, merged) == [token_id[t] for t in textbook]
