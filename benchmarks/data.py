"""Benchmark: course_lib.data's near-duplicate detection against datasketch, plus exact dedup and
the Bloom filter.

Near duplicates, in one run on the same documents (course stories: planted pairs at Jaccard
similarities 0.5 to 1.0, and singletons), the same shingles (lower-cased whitespace-separated word
5-grams), the same number of permutations (128) and the same LSH bands (datasketch's optimum for
the threshold, 9 x 13 at 0.8):

- course_lib: ``minhash_signatures`` (vectorised over all documents) + ``lsh_candidate_pairs``;
- datasketch: ``MinHash.update_batch`` per document + ``MinHashLSH`` insert and query;

each keeping the LSH candidates whose estimated Jaccard reaches the threshold; timed alternately
(medians of ``--repeats``), reporting documents/s, MB/s, and the precision and recall of each one's
pairs against the planted pairs whose measured Jaccard is at least the threshold (planted at 0.5,
0.6, 0.7, 0.9, 0.95 and 1.0, so none sits on the threshold itself). Target: at least 2x datasketch's throughput at equal or better precision and recall.

Also: exact document dedup and line dedup throughput (MB/s), and the Bloom filter's bits per
element against the optimum ``-ln p / ln(2)^2`` with its measured false-positive rate.

    python benchmarks/data.py [--pairs 600] [--singles 1800] [--threshold 0.8] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

import numpy as np  # noqa: E402

from course_lib.bench import compare, time_fn  # noqa: E402
from course_lib.corpora.stories import iter_stories  # noqa: E402
from course_lib.data import (  # noqa: E402
    BloomFilter, estimate_jaccard, exact_dedup, line_dedup, lsh_candidate_pairs, minhash_signatures, optimal_bits_per_element,
    precision_recall,
)  # fmt: skip
from course_lib.data.crawl import near_duplicate_pairs  # noqa: E402

NUM_PERM, NGRAM = 128, 5


def corpus(n_pairs: int, n_singles: int) -> tuple[list[str], dict[tuple[int, int], float]]:
    """Documents (pairs interleaved with singletons, shuffled) and each planted pair's Jaccard."""
    targets = (0.5, 0.6, 0.7, 0.9, 0.95, 1.0)  # none at the threshold, where a pair's fate is a coin toss
    pairs = near_duplicate_pairs(targets, max(1, n_pairs // len(targets)), seed=123)
    stream = iter_stories("benchmark-singles")
    docs = [x for a, b, _ in pairs for x in (a, b)] + [next(stream) for _ in range(n_singles)]
    order = np.random.default_rng(0).permutation(len(docs))
    where = {int(old): new for new, old in enumerate(order)}
    planted = {}
    for k, (_, _, sim) in enumerate(pairs):
        i, j = sorted((where[2 * k], where[2 * k + 1]))
        planted[(i, j)] = sim
    return [docs[i] for i in order], planted


def ours(docs: list[str], bands: int, rows: int, threshold: float) -> set[tuple[int, int]]:
    """Candidate pairs from LSH, kept when their estimated Jaccard is at least ``threshold``."""
    sig = minhash_signatures(docs, NUM_PERM, NGRAM)
    pairs = lsh_candidate_pairs(sig, bands, rows)
    keep = estimate_jaccard(sig[pairs[:, 0]], sig[pairs[:, 1]]) >= threshold
    return {tuple(p) for p in pairs[keep].tolist()}


def theirs(docs: list[str], threshold: float) -> set[tuple[int, int]]:
    """The same with datasketch: LSH query results, kept when ``MinHash.jaccard`` >= ``threshold``."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    sketches = []
    for i, d in enumerate(docs):
        words = d.lower().split()
        shingles = {" ".join(words[k : k + NGRAM]).encode() for k in range(max(1, len(words) - NGRAM + 1))}
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch(list(shingles))
        lsh.insert(i, m)
        sketches.append(m)
    found = set()
    for i, m in enumerate(sketches):
        found.update((min(i, j), max(i, j)) for j in lsh.query(m) if j != i and m.jaccard(sketches[j]) >= threshold)
    return found


def scores(found: set[tuple[int, int]], planted: dict[tuple[int, int], float], threshold: float
           ) -> tuple[float, float, int, int]:  # fmt: skip
    """Precision, recall, and the number of pairs found and of true pairs (for standard errors)."""
    truth = {p for p, sim in planted.items() if sim >= threshold}
    tp = len(found & truth)
    return tp / max(len(found), 1), tp / max(len(truth), 1), len(found), len(truth)


def worse_beyond_noise(a: float, b: float, n_a: int, n_b: int) -> bool:
    """Whether proportion ``a`` is below ``b`` by more than two standard errors of the difference."""
    pooled = (a * n_a + b * n_b) / max(n_a + n_b, 1)
    se = np.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / max(n_a, 1) + 1 / max(n_b, 1)))
    return b - a > 2 * se


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=600)
    parser.add_argument("--singles", type=int, default=1800)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from datasketch.lsh import _optimal_param

    docs, planted = corpus(args.pairs, args.singles)
    mb = sum(len(d.encode()) for d in docs) / 1e6
    bands, rows = _optimal_param(args.threshold, NUM_PERM, 0.5, 0.5)
    print(f"{len(docs):,} documents, {mb:.2f} MB; {len(planted)} planted pairs; {NUM_PERM} permutations, "
          f"word {NGRAM}-grams, {bands} bands x {rows} rows (threshold {args.threshold}); load {os.getloadavg()[0]:.1f}")  # fmt: skip
    c = compare(lambda: ours(docs, bands, rows, args.threshold), lambda: theirs(docs, args.threshold), warmup=1, repeats=args.repeats)
    p_ours, r_ours, f_ours, n_true = scores(ours(docs, bands, rows, args.threshold), planted, args.threshold)
    p_ds, r_ds, f_ds, _ = scores(theirs(docs, args.threshold), planted, args.threshold)
    t_ours, t_ds = c.a.median, c.b.median
    print(f"{'':12s} {'docs/s':>10s} {'MB/s':>8s} {'precision':>10s} {'recall':>8s}")
    print(f"{'course_lib':12s} {len(docs) / t_ours:10,.0f} {mb / t_ours:8.2f} {p_ours:10.3f} {r_ours:8.3f}")
    print(f"{'datasketch':12s} {len(docs) / t_ds:10,.0f} {mb / t_ds:8.2f} {p_ds:10.3f} {r_ds:8.3f}")
    ratio = t_ds / t_ours
    # Both are unbiased estimators with the same variance; on one set of pairs their scores differ
    # by sampling noise. "Equal" means: not worse by more than two standard errors.
    worse = worse_beyond_noise(p_ours, p_ds, f_ours, f_ds) or worse_beyond_noise(r_ours, r_ds, n_true, n_true)
    strictly = p_ours >= p_ds and r_ours >= r_ds
    quality = "equal or better" if strictly else ("equal within sampling noise" if not worse else "WORSE")
    ok = ratio >= 2 and not worse
    print(f"throughput ratio {ratio:.2f}x; precision and recall {quality} ({n_true} true pairs); "
          f"target (>= 2x at equal or better precision and recall): {'met' if ok else 'NOT met'}")
    for workers in (2,):
        t = time_fn(lambda: minhash_signatures(docs, NUM_PERM, NGRAM, workers=workers), warmup=1, repeats=args.repeats)
        t1 = time_fn(lambda: minhash_signatures(docs, NUM_PERM, NGRAM), warmup=1, repeats=args.repeats)
        print(f"signatures alone: {mb / t1.median:.2f} MB/s on 1 process, {mb / t.median:.2f} MB/s on {workers}")

    t_exact = time_fn(lambda: exact_dedup(docs), warmup=1, repeats=args.repeats)
    t_line = time_fn(lambda: line_dedup(docs), warmup=1, repeats=args.repeats)
    print(f"exact document dedup: {mb / t_exact.median:.1f} MB/s; line dedup: {mb / t_line.median:.1f} MB/s")

    for p in (0.1, 0.01, 0.001):
        n = 100_000
        bf = BloomFilter.for_capacity(n, p)
        bf.add_many([f"in {i}" for i in range(n)])
        fpr = bf.contains_many([f"out {i}" for i in range(200_000)]).mean()
        print(f"Bloom filter p={p}: {bf.bits_per_element():.2f} bits/element (optimum {optimal_bits_per_element(p):.2f}, "
              f"information bound {np.log2(1 / p):.2f}); k={bf.num_hashes}; measured FPR {fpr:.4f} "
              f"(formula {bf.false_positive_rate():.4f})")  # fmt: skip


if __name__ == "__main__":
    main()
