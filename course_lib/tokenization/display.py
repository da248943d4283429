"""Tokens made visible: the pieces a tokenizer cuts a text into, as coloured HTML spans."""

from __future__ import annotations

import html

from course_lib.tokenization.tokenizer import Tokenizer

__all__ = ["token_pieces", "tokens_html"]

_COLOURS = ("#fde2e4", "#e2ece9", "#dfe7fd", "#fff1c1", "#e8dff5", "#d7f0d8", "#fce1c8", "#d6eaf8")


def token_pieces(tokenizer: Tokenizer, text: str) -> list[tuple[int, str]]:
    """``(id, text)`` for each token of ``text``. A token that holds only part of a character's
    UTF-8 bytes shows as U+FFFD, which is exactly what the model sees: bytes, not characters."""
    return [(token_id, tokenizer.decode([token_id])) for token_id in tokenizer.encode(text)]


def tokens_html(tokenizer: Tokenizer, text: str) -> str:
    """An HTML fragment showing each token of ``text`` on its own background (hover: the id).

    Spaces are shown as ``·`` and newlines as ``↵`` so that tokens made of whitespace stay visible.
    """
    spans = []
    for index, (token_id, piece) in enumerate(token_pieces(tokenizer, text)):
        shown = html.escape(piece.replace(" ", "·").replace("\n", "↵\n").replace("\t", "→"))
        colour = _COLOURS[index % len(_COLOURS)]
        spans.append(
            f'<span title="id {token_id}" style="background:{colour};border-radius:3px;padding:1px 0">{shown}</span>'
        )
    count = len(spans)
    return (
        f'<div style="font-family:monospace;white-space:pre-wrap;line-height:1.7">{"".join(spans)}</div>'
        f'<div style="font-size:smaller;color:#555">{count} tokens, {len(text.encode("utf-8"))} bytes</div>'
    )
