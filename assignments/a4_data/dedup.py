"""Assignment 4, part 2: deduplication over files (one document per file).

Both functions read every input file (UTF-8 text), and write the surviving documents to
``output_directory`` under their input file names (creating the directory).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import numpy as np


def exact_line_deduplication(input_files: list[os.PathLike], output_directory: os.PathLike) -> None:
    """Rewrite each file without the lines that occur more than once across all the files (all
    copies of such a line go). A file left with no text is not written."""
    # TODO(a4_data): pass 1 counts a hash of every line over all files; pass 2 writes each file keeping lines whose count is 1 (and blank lines between them), stripped of leading/trailing newlines.
    raise NotImplementedError("a4_data: `exact_line_deduplication` is not implemented yet (a4_data/dedup.py)")


def minhash_deduplication(
    input_files: list[os.PathLike],
    num_hashes: int,
    num_bands: int,
    ngrams: int,
    jaccard_threshold: float,
    output_directory: os.PathLike,
) -> None:
    """Keep one document of each near-duplicate cluster (the first in ``input_files`` order):
    MinHash signatures of ``num_hashes`` hash functions over the sets of lower-cased,
    whitespace-separated word ``ngrams``-grams; LSH with ``num_bands`` bands of
    ``num_hashes // num_bands`` rows; candidate pairs whose estimated Jaccard similarity is at
    least ``jaccard_threshold`` are linked, and clusters are the connected components.
    Raises ``ValueError`` unless ``1 <= num_bands <= num_hashes``."""
    # TODO(a4_data): a seeded (a*x + b) mod prime family over 32-bit shingle hashes; min per document; bucket band tuples in dicts; union-find over verified pairs; write the cluster roots.
    raise NotImplementedError("a4_data: `minhash_deduplication` is not implemented yet (a4_data/dedup.py)")
