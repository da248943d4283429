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
    # BEGIN SOLUTION: detect the encoding with resiliparse.parse.encoding.detect_encoding, decode with bytes_to_str, then resiliparse.extract.html2text.extract_plain_text(..., main_content=True); raise TypeError for a non-bytes input.
    if not isinstance(html, (bytes, bytearray)):
        raise TypeError(f"html must be bytes, got {type(html).__name__}")
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    text = bytes_to_str(bytes(html), detect_encoding(bytes(html)))
    return extract_plain_text(text, main_content=True, alt_texts=False, links=False)
    # END SOLUTION


def identify_language(text: str) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence in [0, 1])`` for ``text``."""
    # BEGIN SOLUTION: py3langid's LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True).classify(text), loaded once.
    global _IDENT
    if _IDENT is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENT = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    code, prob = _IDENT.classify(text)
    return str(code), float(prob)
    # END SOLUTION


_IDENT = None


def mask_emails(text: str) -> tuple[str, int]:
    """``text`` with each e-mail address replaced by ``|||EMAIL_ADDRESS|||``, and the count."""
    # BEGIN SOLUTION: one regular expression: local part, "@", dot-separated domain labels, a TLD of 2+ letters; re.subn.
    return re.subn(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "|||EMAIL_ADDRESS|||", text)
    # END SOLUTION


def mask_phone_numbers(text: str) -> tuple[str, int]:
    """``text`` with phone numbers replaced by ``|||PHONE_NUMBER|||``, and the count. Formats:
    ``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``, ``+1 555 123 4567`` and international
    numbers written with ``+`` and a country code (``+49 30 1234567``, ``+44 20 7946 0018``)."""
    # BEGIN SOLUTION: two alternatives: North American (optional +1, area code maybe in parentheses, 3 + 4 digits) and "+" country code followed by 1-3 groups of digits; not inside a longer number.
    pattern = (
        r"(?<![\w.+])(?:\+1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w|[.-]\d)"
        r"|(?<![\w.+])\+\d{1,3}[\s.-]?\d{1,4}(?:[\s.-]?\d{2,8}){1,3}(?!\w|[.-]\d)"
    )
    return re.subn(pattern, "|||PHONE_NUMBER|||", text)
    # END SOLUTION


def mask_ips(text: str) -> tuple[str, int]:
    """``text`` with IPv4 and IPv6 addresses replaced by ``|||IP_ADDRESS|||``, and the count."""
    # BEGIN SOLUTION: an IPv4 regex with octets 0-255; IPv6 candidates (hex groups and colons) checked with ipaddress.IPv6Address.
    import ipaddress

    octet = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    text, n4 = re.subn(rf"(?<![\w.]){octet}(?:\.{octet}){{3}}(?!\w|\.\d)", "|||IP_ADDRESS|||", text)
    n6 = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal n6
        try:
            ipaddress.IPv6Address(m.group(0))
        except ValueError:
            return m.group(0)
        n6 += 1
        return "|||IP_ADDRESS|||"

    text = re.sub(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])", repl, text)
    return text, n4 + n6
    # END SOLUTION


def gopher_quality_filter(text: str) -> bool:
    """Whether ``text`` passes the Gopher quality rules (Rae et al. 2021, appendix A): 50 to
    100,000 words; mean word length 3 to 10; at most 30% of lines ending with "..."; at least 80%
    of words with an alphabetic character; at least 2 of the stop words (the, be, to, of, and,
    that, have, with). Words are whitespace-separated."""
    # BEGIN SOLUTION: split on whitespace; compute each statistic; return True only when all pass.
    words = text.split()
    n = len(words)
    if not 50 <= n <= 100_000:
        return False
    if not 3 <= sum(len(w) for w in words) / n <= 10:
        return False
    lines = [line for line in text.split("\n") if line.strip()]
    if lines and sum(line.rstrip().endswith(("...", "…")) for line in lines) / len(lines) > 0.3:
        return False
    if sum(bool(re.search(r"[^\W\d_]", w)) for w in words) / n < 0.8:
        return False
    stop = {"the", "be", "to", "of", "and", "that", "have", "with"}
    return len(stop.intersection(w.lower().strip(".,!?;:\"'()") for w in words)) >= 2
    # END SOLUTION


class QualityClassifier:
    """A binary text classifier: ``fit(texts, labels)`` with labels 1 (high quality, like the
    reference) and 0; ``predict_proba(texts)`` gives the probability of 1 as a numpy array."""

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> QualityClassifier:
        # BEGIN SOLUTION: hashed word-unigram counts per text; multinomial naive Bayes (log counts per class + smoothing).
        if len(texts) != len(labels) or set(labels) != {0, 1}:
            raise ValueError("need one 0/1 label per text, both classes present")
        self.dim = 2**16
        counts = np.ones((2, self.dim))
        for text, label in zip(texts, labels):
            counts[label] += self._features(text)
        self.log_prob = np.log(counts / counts.sum(axis=1, keepdims=True))
        self.log_prior = np.log(np.bincount(list(labels), minlength=2) / len(labels))
        return self
        # END SOLUTION

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        # BEGIN SOLUTION: posterior of class 1: softmax of (features @ log_prob.T + log_prior), normalised by document length.
        x = np.stack([self._features(t) for t in texts])
        x = x / np.maximum(x.sum(axis=1, keepdims=True), 1) * 50  # a length-independent confidence
        joint = x @ self.log_prob.T + self.log_prior
        return 1 / (1 + np.exp(joint[:, 0] - joint[:, 1]))
        # END SOLUTION

    def _features(self, text: str) -> np.ndarray:
        # BEGIN SOLUTION: bincount of zlib.crc32(word) % dim over the lower-cased words.
        import zlib

        ids = [zlib.crc32(w.encode()) % self.dim for w in text.lower().split()]
        return np.bincount(ids, minlength=self.dim).astype(float)
        # END SOLUTION


def classify_harmful(text: str) -> tuple[bool, float]:
    """``(is harmful, score)`` for abusive or threatening text: insults aimed at a person,
    threats, wishes of death. Any method; the tests check recall on abusive pages and the false
    positive rate on ordinary ones."""
    # BEGIN SOLUTION: a lexicon of insults and threat words; score = flagged words per 100 words; harmful when >= 0.5.
    lexicon = {
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
    words = re.findall(r"[^\W\d_]+", text.lower())
    flagged = sum(w in lexicon for w in words)
    score = 100.0 * flagged / len(words) if words else 0.0
    return flagged > 0 and score >= 0.5, score
    # END SOLUTION
