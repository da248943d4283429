"""Assignment 4, part 3: the whole pipeline on the course crawl.

``clean_crawl`` is graded on the crawl's ground truth (see the handout); the training comparison
is the deliverable you write up (``python -m solutions.a4_data.pipeline`` style: see README).
"""

from __future__ import annotations

import hashlib


def clean_crawl(pages: list[bytes]) -> list[str]:
    """The training documents made from raw HTML ``pages`` (in crawl order): English only, of good
    quality, without harmful content, PII masked, exact and near duplicates removed. Use your
    functions from ``filters`` and ``dedup`` (import them inside this function)."""
    # TODO(a4_data): extract -> keep English with confidence >= 0.5 -> Gopher -> C4's rule (keep lines ending in terminal punctuation) -> not harmful -> mask PII -> drop exact duplicates by hash and near duplicates by MinHash (e.g. via minhash_deduplication on temporary files).
    raise NotImplementedError("a4_data: `clean_crawl` is not implemented yet (a4_data/pipeline.py)")
