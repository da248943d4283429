"""Lecture 07: from a raw web crawl to a training set.

* :mod:`~course_lib.data.crawl`: ``make_crawl`` (a seeded synthetic crawl with ground-truth labels).
* :mod:`~course_lib.data.warc`: ``write_warc``, ``iter_warc``, ``read_crawl`` (warcio; WARC and WET).
* :mod:`~course_lib.data.extract`: ``extract_text`` (resiliparse, trafilatura, naive).
* :mod:`~course_lib.data.language`: ``identify_language`` (langid.py's model), ``CharNgramNB``.
* :mod:`~course_lib.data.quality`: ``gopher_rules``, ``HashedNgramClassifier``, precision/recall.
* :mod:`~course_lib.data.harmful`: ``is_harmful`` (a lexicon filter).
* :mod:`~course_lib.data.pii`: ``mask_pii`` (e-mails, phone numbers, IP addresses).
* :mod:`~course_lib.data.dedup`: ``exact_dedup``, ``line_dedup``.
* :mod:`~course_lib.data.bloom`: ``BloomFilter``.
* :mod:`~course_lib.data.minhash`: ``minhash_signatures``, LSH, ``near_duplicate_clusters``.
* :mod:`~course_lib.data.files`: the same operations over files (one document per file).
* :mod:`~course_lib.data.pipeline`: ``run_pipeline`` (all stages, in process).
* :mod:`~course_lib.data.datatrove_steps`: the stages as datatrove pipeline steps.
* :mod:`~course_lib.data.experiment`: raw vs filtered training at equal tokens.
"""

from course_lib.data.bloom import BloomFilter, optimal_bits_per_element
from course_lib.data.crawl import Crawl, Page, PageLabels, jaccard, make_crawl, reference_texts, word_ngrams
from course_lib.data.dedup import exact_dedup, line_dedup
from course_lib.data.extract import extract_text, naive_extract
from course_lib.data.files import (
    FileReport,
    exact_dedup_files,
    exact_line_dedup_files,
    filter_files,
    minhash_dedup_files,
    read_document,
)
from course_lib.data.harmful import harmful_score, is_harmful
from course_lib.data.language import CharNgramNB, identify_language
from course_lib.data.minhash import (
    estimate_jaccard,
    lsh_candidate_pairs,
    minhash_dedup,
    minhash_signatures,
    near_duplicate_clusters,
    optimal_bands,
    s_curve,
)
from course_lib.data.pii import mask_emails, mask_ips, mask_phone_numbers, mask_pii
from course_lib.data.pipeline import PipelineConfig, clean_document, run_pipeline
from course_lib.data.quality import (
    HashedNgramClassifier,
    gopher_keep,
    gopher_rules,
    precision_recall,
    precision_recall_curve,
)
from course_lib.data.warc import iter_warc, read_crawl, write_warc

__all__ = [
    "make_crawl",
    "reference_texts",
    "Crawl",
    "Page",
    "PageLabels",
    "word_ngrams",
    "jaccard",
    "write_warc",
    "iter_warc",
    "read_crawl",
    "extract_text",
    "naive_extract",
    "identify_language",
    "CharNgramNB",
    "gopher_rules",
    "gopher_keep",
    "HashedNgramClassifier",
    "precision_recall",
    "precision_recall_curve",
    "is_harmful",
    "harmful_score",
    "mask_pii",
    "mask_emails",
    "mask_phone_numbers",
    "mask_ips",
    "exact_dedup",
    "line_dedup",
    "BloomFilter",
    "optimal_bits_per_element",
    "minhash_signatures",
    "estimate_jaccard",
    "s_curve",
    "optimal_bands",
    "lsh_candidate_pairs",
    "near_duplicate_clusters",
    "minhash_dedup",
    "FileReport",
    "read_document",
    "filter_files",
    "exact_dedup_files",
    "exact_line_dedup_files",
    "minhash_dedup_files",
    "PipelineConfig",
    "clean_document",
    "run_pipeline",
]
