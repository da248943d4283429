"""Near-duplicate detection: MinHash signatures and locality-sensitive hashing (LSH), in numpy.

    sig = minhash_signatures(docs, num_perm=128, ngram=5)          # (n_docs, 128) uint32
    pairs = lsh_candidate_pairs(sig, bands=16, rows=8)              # (k, 2) int64, i < j
    cluster = near_duplicate_clusters(sig, bands=16, rows=8, threshold=0.8)
    keep = minhash_dedup(docs, num_perm=128, bands=16, ngram=5, threshold=0.8)

Everything is vectorised over all the documents of a batch at once, not one document at a time:

1. Words: the batch's lower-cased UTF-8 bytes in one array; word boundaries from a whitespace
   table; each word's 64-bit polynomial hash from prefix sums (``P`` is odd, so it has an inverse
   modulo 2**64 and a segment's hash is a difference of two prefix sums times a power of ``P``).
2. Shingles: word ``n``-gram hashes as sums of shifted word-hash arrays, never crossing documents.
3. MinHash: ``num_perm`` multiply-shift hash functions ``(a_j x + b_j) mod 2**64 >> 32`` applied
   to a (shingles, num_perm) block and reduced per document with ``np.minimum.reduceat``.

``workers > 1`` splits the documents across processes; the result does not depend on it.
The probability that two documents share a band, for Jaccard similarity ``s``, is the S-curve
``1 - (1 - s**rows)**bands``: :func:`s_curve`, and :func:`optimal_bands` picks ``(bands, rows)``.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import numpy.typing as npt

__all__ = [
    "minhash_signatures",
    "shingle_hashes",
    "estimate_jaccard",
    "s_curve",
    "optimal_bands",
    "lsh_candidate_pairs",
    "near_duplicate_clusters",
    "minhash_dedup",
]

_MASK = (1 << 64) - 1
_P = 0x100000001B3  # odd: invertible modulo 2**64
_P_INV = pow(_P, -1, 1 << 64)
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[ord(c) for c in " \t\n\r\x0b\x0c"]] = True
_MAX = np.uint32(0xFFFFFFFF)
_MAX_OFFSET = 64


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The splitmix64 finaliser: spreads every input bit over the output."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _powers(base: int, n: int) -> npt.NDArray[np.uint64]:
    out = np.empty(n, dtype=np.uint64)
    out[0] = 1
    if n > 1:
        out[1:] = np.uint64(base)
        with np.errstate(over="ignore"):
            np.cumprod(out[1:], out=out[1:])
    return out


def _word_hashes(docs: Sequence[str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Hashes of the whitespace-separated, lower-cased words of all ``docs`` (in order) and the
    index of each word's document; both of shape ``(total words,)``."""
    for i, d in enumerate(docs):
        if not isinstance(d, str):
            raise TypeError(f"document {i} is a {type(d).__name__}, not a str")
    blob = "\n".join(docs).lower().encode("utf-8", errors="surrogatepass")
    arr = np.frombuffer(blob, dtype=np.uint8)
    lengths = np.fromiter(
        (len(d.lower().encode("utf-8", errors="surrogatepass")) + 1 for d in docs), dtype=np.int64, count=len(docs)
    )
    doc_starts = np.cumsum(lengths) - lengths
    if len(arr) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    space = _SPACE[arr]
    boundary = np.diff(np.r_[True, space, True].astype(np.int8))
    starts = np.flatnonzero(boundary == -1)  # first byte of each word
    ends = np.flatnonzero(boundary == 1)  # one past its last byte
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(arr) + 1, dtype=np.uint64)
        np.cumsum((arr.astype(np.uint64) + np.uint64(1)) * _powers(_P_INV, len(arr)), out=prefix[1:])
        pw = _powers(_P, len(arr) + 1)
        hashes = (prefix[ends] - prefix[starts]) * pw[ends - 1]
    doc = np.searchsorted(doc_starts, starts, side="right") - 1
    return _mix(hashes ^ (ends - starts).astype(np.uint64)), doc


def shingle_hashes(docs: Sequence[str], ngram: int = 5) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """64-bit hashes of the word ``ngram``-grams of every document and each one's document index,
    sorted by document; a document of fewer than ``ngram`` (but at least one) words gives one
    shingle of all its words, an empty document none."""
    if ngram < 1:
        raise ValueError(f"ngram must be >= 1, got {ngram}")
    words, doc = _word_hashes(docs)
    n = len(words)
    coef = [np.uint64(_mix(np.array([k + 1], dtype=np.uint64))[0] | np.uint64(1)) for k in range(ngram)]
    with np.errstate(over="ignore"):
        if n >= ngram:
            m = n - ngram + 1
            acc = words[:m] * coef[0]
            for k in range(1, ngram):
                acc = acc + words[k : k + m] * coef[k]
            ok = doc[:m] == doc[ngram - 1 :]
            sh, sh_doc = acc[ok], doc[:m][ok]
        else:
            sh, sh_doc = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        counts = np.bincount(doc, minlength=len(docs))
        short = np.flatnonzero((counts > 0) & (counts < ngram))
        if len(short):  # whole-document shingles for the short ones
            first = np.searchsorted(doc, short)
            extra = np.zeros(len(short), dtype=np.uint64)
            for k in range(ngram - 1):
                has = k < counts[short]
                extra[has] += words[first[has] + k] * coef[k]
            sh = np.concatenate([sh, extra])
            sh_doc = np.concatenate([sh_doc, short])
            order = np.argsort(sh_doc, kind="stable")
            sh, sh_doc = sh[order], sh_doc[order]
    return _mix(sh), sh_doc


def _permutations(num_perm: int, seed: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def _signatures_serial(docs: Sequence[str], num_perm: int, ngram: int, seed: int, chunk: int) -> npt.NDArray[np.uint32]:
    sh, sh_doc = shingle_hashes(docs, ngram)
    a, b = _permutations(num_perm, seed)
    out = np.full((len(docs), num_perm), _MAX, dtype=np.uint32)
    if len(sh) == 0:
        return out
    seg = np.flatnonzero(np.r_[True, sh_doc[1:] != sh_doc[:-1]])  # first shingle of each document
    docs_present = sh_doc[seg]
    # blocks of whole documents, about `chunk` shingles each
    bounds = [0]
    for i in range(1, len(seg)):
        if seg[i] - seg[bounds[-1]] >= chunk:
            bounds.append(i)
    bounds.append(len(seg))
    buf = np.empty((max(chunk, int(np.diff(np.r_[seg, len(sh)]).max())) * 2, num_perm), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            s0 = seg[lo]
            s1 = seg[hi] if hi < len(seg) else len(sh)
            block = buf[: s1 - s0]
            np.multiply(sh[s0:s1, None], a[None, :], out=block)
            np.add(block, b[None, :], out=block)
            np.right_shift(block, np.uint64(32), out=block)
            out[docs_present[lo:hi]] = np.minimum.reduceat(block, seg[lo:hi] - s0, axis=0)
    return out


def minhash_signatures(
    docs: Sequence[str], num_perm: int = 128, ngram: int = 5, seed: int = 1, *, workers: int = 1, chunk: int = 1024
) -> npt.NDArray[np.uint32]:
    """MinHash signatures of the word ``ngram``-gram sets of ``docs``: shape ``(len(docs),
    num_perm)`` uint32; row ``i`` column ``j`` is the minimum of hash function ``j`` over document
    ``i``'s shingles (``0xFFFFFFFF`` for an empty document). The fraction of equal columns of two
    rows estimates the documents' Jaccard similarity. ``workers`` processes split the documents
    (same result); ``chunk`` bounds the shingles per (shingles, num_perm) block.
    """
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    docs = list(docs)
    if workers == 1 or len(docs) < 2 * workers:
        return _signatures_serial(docs, num_perm, ngram, seed, chunk)
    parts = np.array_split(np.arange(len(docs)), workers)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        futures = [pool.submit(_signatures_serial, [docs[i] for i in p], num_perm, ngram, seed, chunk) for p in parts]
        return np.concatenate([f.result() for f in futures], axis=0)


def estimate_jaccard(sig_a: npt.NDArray[np.uint32], sig_b: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64] | float:
    """The fraction of equal entries along the last axis (broadcasting): the MinHash estimate."""
    if sig_a.shape[-1] != sig_b.shape[-1]:
        raise ValueError(f"signatures differ in length: {sig_a.shape[-1]} vs {sig_b.shape[-1]}")
    return (sig_a == sig_b).mean(axis=-1)


def s_curve(s: npt.ArrayLike, bands: int, rows: int) -> npt.NDArray[np.float64]:
    """Probability that two documents of Jaccard similarity ``s`` agree on at least one band."""
    return 1.0 - (1.0 - np.asarray(s, dtype=np.float64) ** rows) ** bands


def optimal_bands(num_perm: int, threshold: float, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` minimising ``fp_weight`` times the area
    under the S-curve below ``threshold`` (false positives) plus ``fn_weight`` times the area above
    it (false negatives), the criterion datasketch's ``MinHashLSH`` uses."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    lo = np.linspace(0, threshold, 201)
    hi = np.linspace(threshold, 1, 201)
    best, best_err = (1, 1), math.inf
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = np.trapezoid(s_curve(lo, b, r), lo)
            fn = np.trapezoid(1 - s_curve(hi, b, r), hi)
            err = fp_weight * fp + fn_weight * fn
            if err < best_err:
                best, best_err = (b, r), err
    return best


def lsh_candidate_pairs(signatures: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.int64]:
    """Pairs ``(i, j)``, ``i < j``, of documents whose signatures agree on all ``rows`` entries of
    at least one of ``bands`` bands; shape ``(k, 2)``, sorted, unique. Within a band, documents
    are grouped by sorting a 64-bit key of their band; every pair inside a group is a candidate
    (in a group of more than 65, each member is paired with the next 64: enough to connect it)."""
    sig = np.asarray(signatures)
    if sig.ndim != 2 or bands * rows > sig.shape[1] or bands < 1 or rows < 1:
        raise ValueError(
            f"need signatures (n_docs, num_perm) with bands * rows <= num_perm, "
            f"got shape {sig.shape}, bands={bands}, rows={rows}"
        )
    n = sig.shape[0]
    rng = np.random.default_rng(12345)
    coef = rng.integers(0, 2**63, size=rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    firsts, seconds = [], []
    with np.errstate(over="ignore"):
        for band in range(bands):
            block = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
            key = _mix((block * coef).sum(axis=1, dtype=np.uint64))
            order = np.argsort(key, kind="stable")
            k = key[order]
            new_group = np.r_[True, k[1:] != k[:-1]]
            group_id = np.cumsum(new_group) - 1
            sizes = np.bincount(group_id)
            if sizes.max(initial=0) < 2:
                continue
            # pairs inside each group: member t with member t + d, for d up to _MAX_OFFSET
            for d in range(1, min(int(sizes.max()), _MAX_OFFSET + 1)):
                pos = np.arange(n)
                ok = pos + d < n
                ok[ok] &= group_id[pos[ok] + d] == group_id[pos[ok]]
                i, j = order[pos[ok]], order[pos[ok] + d]
                firsts.append(np.minimum(i, j))
                seconds.append(np.maximum(i, j))
    if not firsts:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.stack([np.concatenate(firsts), np.concatenate(seconds)], axis=1).astype(np.int64)
    return np.unique(pairs, axis=0)


def near_duplicate_clusters(
    signatures: npt.NDArray[np.uint32], bands: int, rows: int, threshold: float | None = None
) -> npt.NDArray[np.int64]:
    """Cluster id of each document, shape ``(n_docs,)``: the smallest index of its connected
    component in the graph of LSH candidate pairs (kept only when their estimated Jaccard is at
    least ``threshold``, if given). A document with no near-duplicate is its own cluster."""
    pairs = lsh_candidate_pairs(signatures, bands, rows)
    if threshold is not None and len(pairs):
        est = estimate_jaccard(signatures[pairs[:, 0]], signatures[pairs[:, 1]])
        pairs = pairs[est >= threshold]
    parent = np.arange(signatures.shape[0])

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs.tolist():
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(len(parent))], dtype=np.int64)


def minhash_dedup(
    docs: Sequence[str],
    num_perm: int = 128,
    bands: int | None = None,
    ngram: int = 5,
    threshold: float = 0.8,
    seed: int = 1,
    workers: int = 1,
) -> list[int]:
    """Indices of the documents to keep: the first of each near-duplicate cluster. ``bands=None``
    takes :func:`optimal_bands` for ``threshold``; rows are ``num_perm // bands``."""
    if bands is None:
        bands, rows = optimal_bands(num_perm, threshold)
    else:
        if not 1 <= bands <= num_perm:
            raise ValueError(f"bands must be in [1, num_perm={num_perm}], got {bands}")
        rows = num_perm // bands
    sig = minhash_signatures(docs, num_perm, ngram, seed, workers=workers)
    cluster = near_duplicate_clusters(sig, bands, rows, threshold)
    return [i for i in range(len(docs)) if cluster[i] == i]
