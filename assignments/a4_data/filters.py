"""Assignment 4, part 1: turning pages into clean text, one document at a time.

Every function takes one document and returns a result; none needs the rest of the corpus. You
may use the libraries the course installs (resiliparse, py3langid, numpy) but not ``course_lib``:
the tests compare your results with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np


def extract_text_from_html_bytes(html: bytes) -> str:
    """The main text of an HTML page given as raw bytes (any encoding), without navigation,
    cookie banners and footers: detect the encoding, decode, then extract."""
    # TODO(a4_data): detect the encoding with resiliparse.parse.encoding.detect_encoding, decode with bytes_to_str, then resiliparse.extract.html2text.extract_plain_text(..., main_content=True); raise TypeError for a non-bytes input.
    raise NotImplementedError("a4_data: `extract_text_from_html_bytes` is not implemented yet (a4_data/filters.py)")


def identify_language(text: str) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence in [0, 1])`` for ``text``."""
    # TODO(a4_data): py3langid's LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True).classify(text), loaded once.
    raise NotImplementedError("a4_data: `identify_language` is not implemented yet (a4_data/filters.py)")


_IDENT = None


def mask_emails(text: str) -> tuple[str, int]:
    """``text`` with each e-mail address replaced by ``|||EMAIL_ADDRESS|||``, and the count."""
    # TODO(a4_data): one regular expression: local part, "@", dot-separated domain labels, a TLD of 2+ letters; re.subn.
    raise NotImplementedError("a4_data: `mask_emails` is not implemented yet (a4_data/filters.py)")


def mask_phone_numbers(text: str) -> tuple[str, int]:
    """``text`` with phone numbers replaced by ``|||PHONE_NUMBER|||``, and the count. Formats:
    ``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``, ``+1 555 123 4567`` and international
    numbers written with ``+`` and a country code (``+49 30 1234567``, ``+44 20 7946 0018``)."""
    # TODO(a4_data): two alternatives: North American (optional +1, area code maybe in parentheses, 3 + 4 digits) and "+" country code followed by 1-3 groups of digits; not inside a longer number.
    raise NotImplementedError("a4_data: `mask_phone_numbers` is not implemented yet (a4_data/filters.py)")


def mask_ips(text: str) -> tuple[str, int]:
    """``text`` with IPv4 and IPv6 addresses replaced by ``|||IP_ADDRESS|||``, and the count."""
    # TODO(a4_data): an IPv4 regex with octets 0-255; IPv6 candidates (hex groups and colons) checked with ipaddress.IPv6Address.
    raise NotImplementedError("a4_data: `mask_ips` is not implemented yet (a4_data/filters.py)")


def gopher_quality_filter(text: str) -> bool:
    """Whether ``text`` passes the Gopher quality rules (Rae et al. 2021, appendix A): 50 to
    100,000 words; mean word length 3 to 10; at most 30% of lines ending with "..."; at least 80%
    of words with an alphabetic character; at least 2 of the stop words (the, be, to, of, and,
    that, have, with). Words are whitespace-separated."""
    # TODO(a4_data): split on whitespace; compute each statistic; return True only when all pass.
    raise NotImplementedError("a4_data: `gopher_quality_filter` is not implemented yet (a4_data/filters.py)")


class QualityClassifier:
    """A binary text classifier: ``fit(texts, labels)`` with labels 1 (high quality, like the
    reference) and 0; ``predict_proba(texts)`` gives the probability of 1 as a numpy array."""

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> QualityClassifier:
        # TODO(a4_data): hashed word-unigram counts per text; multinomial naive Bayes (log counts per class + smoothing).
        raise NotImplementedError("a4_data: `QualityClassifier.fit` is not implemented yet (a4_data/filters.py)")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        # TODO(a4_data): posterior of class 1: softmax of (features @ log_prob.T + log_prior), normalised by document length.
        raise NotImplementedError("a4_data: `QualityClassifier.predict_proba` is not implemented yet (a4_data/filters.py)")

    def _features(self, text: str) -> np.ndarray:
        # TODO(a4_data): bincount of zlib.crc32(word) % dim over the lower-cased words.
        raise NotImplementedError("a4_data: `QualityClassifier._features` is not implemented yet (a4_data/filters.py)")


def classify_harmful(text: str) -> tuple[bool, float]:
    """``(is harmful, score)`` for abusive or threatening text: insults aimed at a person,
    threats, wishes of death. Any method; the tests check recall on abusive pages and the false
    positive rate on ordinary ones."""
    # TODO(a4_data): a lexicon of insults and threat words; score = flagged words per 100 words; harmful when >= 0.5.
    raise NotImplementedError("a4_data: `classify_harmful` is not implemented yet (a4_data/filters.py)")
