"""Did the model see the test? n-gram overlap and the longest shared substring.

lm-evaluation-harness flags a test item as contaminated when one of its 13-grams of words (after
lower-casing ASCII letters and deleting punctuation, as its ``Janitor`` does) also occurs in the
training data. :class:`NgramIndex` does that; :class:`SuffixAutomaton` finds the longest run of words
an item shares with the training data, a detector with no fixed ``n``.

    index = NgramIndex(training_documents, n=13)
    index.overlap(item_text)            # fraction of the item's 13-grams seen in training
    SuffixAutomaton(normalized_words(corpus)).longest_match(normalized_words(item_text))
"""

from __future__ import annotations

import string
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "normalize_text",
    "normalized_words",
    "word_ngrams",
    "NgramIndex",
    "SuffixAutomaton",
    "ContaminationReport",
    "detect_contamination",
]

_TABLE = str.maketrans(string.ascii_lowercase + string.ascii_uppercase, string.ascii_lowercase * 2, string.punctuation)


def normalize_text(text: str) -> str:
    """Lower-case ASCII letters and delete ASCII punctuation (lm-evaluation-harness's Janitor)."""
    return text.translate(_TABLE)


def normalized_words(text: str) -> list[str]:
    """The words of :func:`normalize_text` (split on whitespace)."""
    return normalize_text(text).split()


def word_ngrams(words: Sequence[str], n: int) -> list[str]:
    """Every run of ``n`` consecutive words, joined by single spaces (none if fewer than ``n`` words)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


class NgramIndex:
    """The set of word ``n``-grams of some documents (normally the training data)."""

    def __init__(self, documents: Iterable[str], n: int = 13):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n = n
        self.ngrams: set[str] = set()
        for doc in documents:
            self.ngrams.update(word_ngrams(normalized_words(doc), n))

    def overlap(self, text: str) -> float:
        """The fraction of ``text``'s n-grams present in the index (0.0 when it has none)."""
        grams = word_ngrams(normalized_words(text), self.n)
        if not grams:
            return 0.0
        return sum(g in self.ngrams for g in grams) / len(grams)

    def contains(self, text: str) -> bool:
        """Whether any n-gram of ``text`` is in the index: the harness's contamination flag."""
        return any(g in self.ngrams for g in word_ngrams(normalized_words(text), self.n))


class SuffixAutomaton:
    """The suffix automaton of a sequence (of words, characters, ids): every substring of it is a
    path from the start state. Built in linear time (Blumer et al.; the classic online construction).

    :meth:`longest_match` walks a query through it and returns the longest substring of the query
    that also occurs in the sequence, in time linear in the query.
    """

    def __init__(self, sequence: Sequence[Hashable]):
        self.next: list[dict[Hashable, int]] = [{}]
        self.link: list[int] = [-1]
        self.length: list[int] = [0]
        last = 0
        for symbol in sequence:
            cur = len(self.length)
            self.next.append({})
            self.length.append(self.length[last] + 1)
            self.link.append(0)
            p = last
            while p != -1 and symbol not in self.next[p]:
                self.next[p][symbol] = cur
                p = self.link[p]
            if p != -1:
                q = self.next[p][symbol]
                if self.length[p] + 1 == self.length[q]:
                    self.link[cur] = q
                else:
                    clone = len(self.length)
                    self.next.append(dict(self.next[q]))
                    self.length.append(self.length[p] + 1)
                    self.link.append(self.link[q])
                    while p != -1 and self.next[p].get(symbol) == q:
                        self.next[p][symbol] = clone
                        p = self.link[p]
                    self.link[q] = clone
                    self.link[cur] = clone
            last = cur

    def longest_match(self, query: Sequence[Hashable]) -> tuple[int, int]:
        """``(length, end)``: ``query[end - length:end]`` is the longest run of ``query`` that occurs
        in the sequence (``(0, 0)`` when no symbol does)."""
        state, length, best, best_end = 0, 0, 0, 0
        for i, symbol in enumerate(query):
            while state and symbol not in self.next[state]:
                state = self.link[state]
                length = self.length[state]
            if symbol in self.next[state]:
                state = self.next[state][symbol]
                length += 1
            if length > best:
                best, best_end = length, i + 1
        return best, best_end


@dataclass(frozen=True)
class ContaminationReport:
    """Per item: the fraction of its n-grams seen in training (``overlap``), the harness's flag
    (``flagged``: any n-gram seen) and the longest run of words it shares with training
    (``longest_shared``, in words; ``shared_text`` is that run)."""

    overlap: list[float]
    flagged: list[bool]
    longest_shared: list[int]
    shared_text: list[str]


def detect_contamination(items: Sequence[str], training_documents: Sequence[str], n: int = 13) -> ContaminationReport:
    """Run both detectors on each test item against the training documents (joined with a separator
    no word run can cross)."""
    if not items:
        raise ValueError("no test items to check")
    index = NgramIndex(training_documents, n)
    corpus: list[Hashable] = []
    for i, doc in enumerate(training_documents):
        corpus.extend(normalized_words(doc))
        corpus.append(("<doc>", i))  # unique separators: no match spans two documents
    automaton = SuffixAutomaton(corpus)
    overlap, flagged, longest, shared = [], [], [], []
    for item in items:
        words = normalized_words(item)
        length, end = automaton.longest_match(words)
        overlap.append(index.overlap(item))
        flagged.append(index.contains(item))
        longest.append(length)
        shared.append(" ".join(words[end - length : end]))
    return ContaminationReport(overlap, flagged, longest, shared)
