"""Harmful-content filtering with a lexicon: the baseline every web pipeline starts from, and the
one whose failure modes are easiest to see (``kill the process``, ``to die for``).

    harmful_score(text)     # flagged words per 100 words
    is_harmful(text)        # score >= threshold
"""

from __future__ import annotations

import re

__all__ = ["HARMFUL_LEXICON", "harmful_score", "is_harmful", "flagged_words"]

# Insults, threats and slurs-adjacent words of the course's generated abusive text (kept mild); a
# real list (e.g. the LDNOOBW list C4 used) is longer and cruder but fails in the same ways.
HARMFUL_LEXICON = frozenset(
    {
        "idiot",
        "idiots",
        "moron",
        "stupid",
        "worthless",
        "loser",
        "pathetic",
        "disgusting",
        "filthy",
        "hate",
        "hates",
        "kill",
        "killed",
        "die",
        "hurt",
        "beat",
        "pig",
        "shoot",
    }
)
_WORD = re.compile(r"[^\W\d_]+")


def flagged_words(text: str) -> list[str]:
    """The words of ``text`` (lower-cased) that are in :data:`HARMFUL_LEXICON`, in order."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return [w for w in _WORD.findall(text.lower()) if w in HARMFUL_LEXICON]


def harmful_score(text: str) -> float:
    """Flagged words per 100 words of ``text`` (0.0 for a text with no words)."""
    n = len(_WORD.findall(text)) if isinstance(text, str) else 0
    return 100.0 * len(flagged_words(text)) / n if n else 0.0


def is_harmful(text: str, threshold: float = 0.5) -> bool:
    """Whether ``text`` has at least ``threshold`` flagged words per 100 words (C4 dropped a page
    with any one word of its list: threshold just above 0)."""
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return harmful_score(text) >= threshold and bool(flagged_words(text))
