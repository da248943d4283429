"""The course's cleaning pipeline, in process: extraction, language, quality, harmful content,
PII, exact and near-duplicate removal.

    config = PipelineConfig()
    text, reason = clean_document(html, config)     # (cleaned text, None) or (None, why it was dropped)
    kept, stats = run_pipeline(records, config)     # records: (id, html) pairs in crawl order

The per-document stages (:func:`clean_document`) need no state, so a distributed engine can run
them on any shard; the deduplication stages need the whole corpus (:func:`dedup_stage`).
``course_lib.data.datatrove_steps`` runs the same functions as datatrove pipeline steps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from course_lib.data.dedup import doc_hash
from course_lib.data.extract import extract_text
from course_lib.data.harmful import is_harmful
from course_lib.data.language import identify_language
from course_lib.data.minhash import minhash_signatures, near_duplicate_clusters
from course_lib.data.pii import mask_pii
from course_lib.data.quality import gopher_keep
from course_lib.data.warc import WarcDocument

__all__ = ["PipelineConfig", "clean_document", "dedup_stage", "dedup_from_signatures", "run_pipeline", "DROP_REASONS"]

DROP_REASONS = ("empty", "language", "gopher", "harmful", "exact_dup", "near_dup")


@dataclass(frozen=True)
class PipelineConfig:
    """Stage settings. ``languages``: the codes kept (langid.py restricted to ``lang_candidates``,
    with probability at least ``min_lang_prob``); MinHash: ``num_perm``, ``bands`` x ``rows``,
    word ``ngram`` shingles, pairs kept at estimated Jaccard >= ``threshold``."""

    extractor: str = "resiliparse"
    languages: tuple[str, ...] = ("en",)
    lang_candidates: tuple[str, ...] | None = None
    min_lang_prob: float = 0.5
    gopher: bool = True
    harmful_threshold: float | None = 0.5
    mask_pii: bool = True
    num_perm: int = 128
    bands: int = 16
    rows: int = 8
    ngram: int = 5
    threshold: float = 0.7
    seed: int = 1


def clean_document(
    html: str | bytes, config: PipelineConfig, *, is_text: bool = False
) -> tuple[str | None, str | None]:
    """The stateless stages on one page: ``(cleaned text, None)`` or ``(None, reason)`` with a
    reason from :data:`DROP_REASONS`. ``is_text``: the input is already text (a WET record), so
    extraction is skipped."""
    if is_text:
        text = html.decode("utf-8", errors="replace") if isinstance(html, (bytes, bytearray)) else html
    else:
        text = extract_text(html, config.extractor)
    if not text.strip():
        return None, "empty"
    if config.languages:
        code, prob = identify_language(text, config.lang_candidates)
        if code not in config.languages or prob < config.min_lang_prob:
            return None, "language"
    if config.gopher and not gopher_keep(text):
        return None, "gopher"
    if config.harmful_threshold is not None and is_harmful(text, config.harmful_threshold):
        return None, "harmful"
    if config.mask_pii:
        text, _ = mask_pii(text)
    return text, None


def dedup_from_signatures(
    hashes: Sequence[bytes], signatures: npt.NDArray[np.uint32], config: PipelineConfig
) -> list[str | None]:
    """For documents in corpus order, given their :func:`~course_lib.data.dedup.doc_hash` and
    MinHash signatures (rows): ``None`` (kept) or the reason it is dropped (``exact_dup``: a later
    copy; ``near_dup``: not the first of its near-duplicate cluster among the exact-unique ones)."""
    reasons: list[str | None] = [None] * len(hashes)
    seen: set[bytes] = set()
    for i, h in enumerate(hashes):
        if h in seen:
            reasons[i] = "exact_dup"
        seen.add(h)
    unique = [i for i in range(len(hashes)) if reasons[i] is None]
    if unique:
        cluster = near_duplicate_clusters(signatures[unique], config.bands, config.rows, config.threshold)
        for k, i in enumerate(unique):
            if cluster[k] != k:
                reasons[i] = "near_dup"
    return reasons


def dedup_stage(texts: Sequence[str], config: PipelineConfig) -> tuple[list[int], list[str | None]]:
    """Exact then near-duplicate removal over ``texts`` (in corpus order): the indices kept (the
    first of each group) and, for each text, ``None`` or the reason it was dropped."""
    sig = minhash_signatures(texts, config.num_perm, config.ngram, config.seed)
    reasons = dedup_from_signatures([doc_hash(t) for t in texts], sig, config)
    return [i for i in range(len(texts)) if reasons[i] is None], reasons


def run_pipeline(
    records: Iterable[tuple[str, str | bytes] | WarcDocument], config: PipelineConfig | None = None
) -> tuple[list[tuple[str, str]], Counter[str]]:
    """All stages over ``(id, html)`` records, or the records of :func:`~course_lib.data.warc.iter_warc`
    (Common Crawl WARC or WET files: ``run_pipeline(iter_warc(path))``), in crawl order: the
    surviving ``(id, text)`` pairs (in order) and how many records each stage dropped."""
    config = config or PipelineConfig()
    stats: Counter[str] = Counter()
    cleaned: list[tuple[str, str]] = []
    for record in records:
        if isinstance(record, WarcDocument):
            rid, html, is_text = record.url, record.payload, record.kind == "text"
        else:
            (rid, html), is_text = record, False
        text, reason = clean_document(html, config, is_text=is_text)
        if text is None:
            stats[reason] += 1
        else:
            cleaned.append((rid, text))
    keep, reasons = dedup_stage([t for _, t in cleaned], config)
    stats.update(r for r in reasons if r)
    return [cleaned[i] for i in keep], stats
