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
    # BEGIN SOLUTION: pass 1 counts a hash of every line over all files; pass 2 writes each file keeping lines whose count is 1 (and blank lines between them), stripped of leading/trailing newlines.
    out = Path(output_directory)
    out.mkdir(parents=True, exist_ok=True)
    texts = {Path(f): Path(f).read_text(encoding="utf-8") for f in input_files}
    key = lambda line: hashlib.md5(line.encode()).digest()  # noqa: E731
    counts = Counter(key(line) for t in texts.values() for line in t.split("\n"))
    for path, text in texts.items():
        kept = "\n".join(line for line in text.split("\n") if counts[key(line)] == 1 or not line.strip()).strip("\n")
        if kept.strip():
            (out / path.name).write_text(kept, encoding="utf-8")
    # END SOLUTION


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
    # BEGIN SOLUTION: a seeded (a*x + b) mod prime family over 32-bit shingle hashes; min per document; bucket band tuples in dicts; union-find over verified pairs; write the cluster roots.
    if not 1 <= num_bands <= num_hashes:
        raise ValueError(f"need 1 <= num_bands <= num_hashes, got {num_bands} and {num_hashes}")
    paths = [Path(f) for f in input_files]
    texts = [p.read_text(encoding="utf-8") for p in paths]
    prime = (1 << 61) - 1
    rng = np.random.default_rng(0)
    a = rng.integers(1, 1 << 31, num_hashes, dtype=np.uint64)
    b = rng.integers(0, 1 << 31, num_hashes, dtype=np.uint64)
    sigs = []
    for text in texts:
        words = text.lower().split()
        grams = {" ".join(words[i : i + ngrams]) for i in range(max(1, len(words) - ngrams + 1))}
        x = np.array([int.from_bytes(hashlib.md5(g.encode()).digest()[:4], "little") for g in grams], dtype=np.uint64)
        sigs.append(((x[:, None] * a + b) % np.uint64(prime)).min(axis=0))
    rows = num_hashes // num_bands
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for band in range(num_bands):
        buckets: dict[bytes, list[int]] = {}
        for i, s in enumerate(sigs):
            buckets.setdefault(s[band * rows : (band + 1) * rows].tobytes(), []).append(i)
        for members in buckets.values():
            for j in members[1:]:
                for i in members[: members.index(j)]:
                    if np.mean(sigs[i] == sigs[j]) >= jaccard_threshold:
                        ri, rj = find(i), find(j)
                        parent[max(ri, rj)] = min(ri, rj)
    out = Path(output_directory)
    out.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(paths):
        if find(i) == i:
            (out / path.name).write_text(texts[i], encoding="utf-8")
    # END SOLUTION
