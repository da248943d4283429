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
    # BEGIN SOLUTION: extract -> keep English with confidence >= 0.5 -> Gopher -> C4's rule (keep lines ending in terminal punctuation) -> not harmful -> mask PII -> drop exact duplicates by hash and near duplicates by MinHash (e.g. via minhash_deduplication on temporary files).
    import tempfile
    from pathlib import Path

    from . import dedup, filters

    docs = []
    seen = set()
    for html in pages:
        text = filters.extract_text_from_html_bytes(html)
        code, prob = filters.identify_language(text)
        if code != "en" or prob < 0.5 or not filters.gopher_quality_filter(text) or filters.classify_harmful(text)[0]:
            continue
        text = "\n".join(line for line in text.split("\n") if line.rstrip().endswith((".", "!", "?", '"')))
        if len(text.split()) < 50:
            continue
        for mask in (filters.mask_emails, filters.mask_ips, filters.mask_phone_numbers):
            text = mask(text)[0]
        h = hashlib.sha1(text.encode()).digest()
        if h not in seen:
            seen.add(h)
            docs.append(text)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, d in enumerate(docs):
            paths.append(Path(tmp) / "in" / f"{i:06d}.txt")
            paths[-1].parent.mkdir(exist_ok=True)
            paths[-1].write_text(d, encoding="utf-8")
        dedup.minhash_deduplication(paths, 128, 16, 5, 0.7, Path(tmp) / "out")
        return [
            (Path(tmp) / "out" / p.name).read_text(encoding="utf-8")
            for p in paths
            if (Path(tmp) / "out" / p.name).exists()
        ]
    # END SOLUTION
