"""Tests of course_lib.data deduplication: exact and line dedup, the Bloom filter, MinHash + LSH
(against brute force and datasketch), the file-level APIs, the pipeline on datatrove."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from course_lib.data import (
    BloomFilter,
    estimate_jaccard,
    exact_dedup,
    exact_dedup_files,
    exact_line_dedup_files,
    filter_files,
    jaccard,
    line_dedup,
    lsh_candidate_pairs,
    make_crawl,
    minhash_dedup,
    minhash_dedup_files,
    minhash_signatures,
    naive_extract,
    near_duplicate_clusters,
    optimal_bands,
    optimal_bits_per_element,
    read_document,
    s_curve,
    word_ngrams,
)
from course_lib.data.crawl import near_duplicate_pairs
from course_lib.data.minhash import shingle_hashes


@pytest.fixture(scope="module")
def crawl():
    return make_crawl(300, seed=5)


def _near_pairs(crawl):
    index = {p.labels.doc_id: i for i, p in enumerate(crawl.pages)}
    return [
        (index[p.labels.near_dup_of], i, p.labels.jaccard)
        for i, p in enumerate(crawl.pages)
        if p.labels.near_dup_of is not None
    ]


# --- exact and line dedup ----------------------------------------------------------------------


def test_exact_dedup_keeps_first_copies(crawl) -> None:
    docs = [p.html for p in crawl.pages]
    keep = exact_dedup(docs)
    assert len(keep) == len(set(docs))
    assert [docs[i] for i in keep] == list(dict.fromkeys(docs))
    dups = {i for i, p in enumerate(crawl.pages) if p.labels.exact_dup_of is not None}
    assert dups and dups.isdisjoint(keep)  # every planted copy comes after its original


def test_line_dedup_removes_repeated_boilerplate(crawl) -> None:
    unique_pages = [p for p in crawl.pages if p.labels.exact_dup_of is None and p.labels.near_dup_of is None][:80]
    docs = [naive_extract(p.html) for p in unique_pages]
    out = line_dedup(docs)
    boiler = {b for p in unique_pages for b in p.labels.boilerplate}
    lines_out = {line for d in out for line in d.split("\n")}
    repeated = [b for b in boiler if sum(b in d.split("\n") for d in docs) > 1]
    assert repeated and not lines_out.intersection(repeated)
    assert line_dedup(["a\nb", "b\nc", "d"]) == ["a", "c", "d"]


# --- Bloom filter ------------------------------------------------------------------------------


def test_bloom_filter_has_no_false_negatives_and_the_predicted_fpr() -> None:
    n, p = 5000, 0.02
    bf = BloomFilter.for_capacity(n, p)
    assert bf.num_bits == math.ceil(n * optimal_bits_per_element(p))
    assert bf.num_hashes == round(bf.num_bits / n * math.log(2))
    bf.add_many([f"in-{i}" for i in range(n)])
    assert bf.contains_many([f"in-{i}" for i in range(n)]).all()
    trials = 40_000
    measured = bf.contains_many([f"out-{i}" for i in range(trials)]).mean()
    predicted = bf.false_positive_rate()
    assert predicted == pytest.approx(p, rel=0.1)
    assert abs(measured - predicted) < 5 * math.sqrt(predicted * (1 - predicted) / trials)
    assert bf.bits_per_element() == pytest.approx(optimal_bits_per_element(p), rel=0.01)
    assert "in-3" in bf
    with pytest.raises(ValueError):
        BloomFilter(0, 3)


# --- MinHash and LSH ---------------------------------------------------------------------------


def test_shingles_match_python_word_ngram_sets() -> None:
    docs = ["the cat sat on the mat and the cat sat", "one two", "", "The  Cat\tsat on\nthe mat and"]
    sh, doc = shingle_hashes(docs, 3)
    for i, d in enumerate(docs):
        expected = word_ngrams(d, 3)
        assert len(set(sh[doc == i].tolist())) == len(expected)
    # same n-grams, same hashes, whatever the whitespace and case
    a, _ = shingle_hashes(["The  Cat\tsat on\nthe mat and"], 3)
    b, _ = shingle_hashes(["the cat sat on the mat and"], 3)
    assert a.tolist() == b.tolist()


def test_signatures_estimate_jaccard_like_datasketch(crawl) -> None:
    datasketch = pytest.importorskip("datasketch")
    pairs = _near_pairs(crawl)
    docs = [p.labels.content for p in crawl.pages]
    sig = minhash_signatures(docs, num_perm=256, ngram=5)
    assert sig.shape == (len(docs), 256) and sig.dtype == np.uint32
    ours, theirs, truth = [], [], []
    for i, j, _ in pairs:
        ms = []
        for d in (docs[i], docs[j]):
            m = datasketch.MinHash(num_perm=256, seed=1)
            m.update_batch([" ".join(g).encode() for g in word_ngrams(d, 5)])
            ms.append(m)
        ours.append(estimate_jaccard(sig[i], sig[j]))
        theirs.append(ms[0].jaccard(ms[1]))
        truth.append(jaccard(word_ngrams(docs[i]), word_ngrams(docs[j])))
    ours, theirs, truth = map(np.array, (ours, theirs, truth))
    # the standard error of one estimate is sqrt(J(1-J)/256) <= 0.031; the mean of many is unbiased
    assert np.abs(ours - truth).max() < 0.15 and abs((ours - truth).mean()) < 0.03
    assert np.abs(ours - truth).mean() < np.abs(theirs - truth).mean() + 0.02


def test_signatures_do_not_depend_on_batching_or_workers(crawl) -> None:
    docs = [p.labels.content for p in crawl.pages[:60]] + ["", "short text"]
    full = minhash_signatures(docs, 64, 5)
    one_by_one = np.concatenate([minhash_signatures([d], 64, 5) for d in docs])
    np.testing.assert_array_equal(full, one_by_one)
    np.testing.assert_array_equal(full, minhash_signatures(docs, 64, 5, workers=2))
    np.testing.assert_array_equal(full, minhash_signatures(docs, 64, 5, chunk=7))
    assert (full[-2] == 0xFFFFFFFF).all()
    with pytest.raises(ValueError):
        minhash_signatures(docs, 0)


def test_lsh_candidates_equal_brute_force_banding() -> None:
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 4, size=(120, 12), dtype=np.uint32)  # small alphabet: many band collisions
    bands, rows = 4, 3
    expected = set()
    for i in range(len(sig)):
        for j in range(i + 1, len(sig)):
            if any(
                (sig[i, b * rows : (b + 1) * rows] == sig[j, b * rows : (b + 1) * rows]).all() for b in range(bands)
            ):
                expected.add((i, j))
    got = lsh_candidate_pairs(sig, bands, rows)
    assert {tuple(p) for p in got.tolist()} == expected
    with pytest.raises(ValueError, match="bands"):
        lsh_candidate_pairs(sig, 5, 3)


def test_s_curve_and_optimal_bands_match_datasketch() -> None:
    lsh = pytest.importorskip("datasketch.lsh")
    for threshold in (0.5, 0.8, 0.9):
        assert optimal_bands(128, threshold) == lsh._optimal_param(threshold, 128, 0.5, 0.5)
    b, r = 16, 8
    s = np.linspace(0, 1, 11)
    np.testing.assert_allclose(s_curve(s, b, r), 1 - (1 - s**r) ** b)


def test_hash_family_behaves_like_independent_permutations_and_detection_follows_the_s_curve() -> None:
    """Over many hash seeds, on planted pairs of known Jaccard J near the 0.8 threshold: each of the
    128 permutations agrees with probability J independently of the others (mean and variance of
    the estimate are binomial), so the LSH candidate rate at the principled (bands, rows) is the
    S-curve's. A weak or correlated hash family fails one of the two (band hits need 13 rows in a
    row to agree, which correlated rows inflate or deflate)."""
    pairs = near_duplicate_pairs((0.7, 0.9), 60, seed=0)  # measured J in about 0.6-0.7 and 0.8-0.9
    docs = [x for a, b, _ in pairs for x in (a, b)]
    sims = np.array([sim for *_, sim in pairs])
    bands, rows = optimal_bands(128, 0.8)
    est, hit = [], []
    for seed in range(1, 21):
        sig = minhash_signatures(docs, 128, 5, seed=seed)
        est.append(estimate_jaccard(sig[0::2], sig[1::2]))
        cand = {tuple(p) for p in lsh_candidate_pairs(sig, bands, rows).tolist()}
        hit.append([(2 * k, 2 * k + 1) in cand for k in range(len(pairs))])
    est, hit = np.array(est), np.array(hit, dtype=float)  # (seeds, pairs)
    n = est.size
    # estimate: unbiased, with the binomial variance J(1-J)/128 (ratio's standard error ~ sqrt(2/n))
    binomial_var = np.broadcast_to(sims * (1 - sims) / 128, est.shape)
    assert abs((est - sims).mean()) < 4 * np.sqrt(binomial_var.sum()) / n
    assert abs(((est - sims) ** 2).mean() / binomial_var.mean() - 1) < 5 * np.sqrt(2 / n)
    # detection: the S-curve, pair by pair, within four standard errors of the mean over pairs x seeds
    p = np.broadcast_to(s_curve(sims, bands, rows), hit.shape)
    assert abs(hit.mean() - p.mean()) < 4 * np.sqrt((p * (1 - p)).sum()) / n
    near = sims >= 0.8  # the steep part, where a wrong curve shows most
    p_near = p[:, near]
    assert abs(hit[:, near].mean() - p_near.mean()) < 4 * np.sqrt((p_near * (1 - p_near)).sum()) / p_near.size


def test_near_duplicate_clusters_find_planted_pairs(crawl) -> None:
    docs = [p.labels.content for p in crawl.pages]
    sig = minhash_signatures(docs, 128, 5)
    cluster = near_duplicate_clusters(sig, 16, 8, threshold=0.8)
    for i, j, sim in _near_pairs(crawl):
        if sim >= 0.9:
            assert cluster[i] == cluster[j]
        if sim <= 0.6:
            assert cluster[i] != cluster[j]
    keep = minhash_dedup(docs, 128, 16, 5, 0.8)
    assert keep == [i for i in range(len(docs)) if cluster[i] == i]


# --- file-level APIs ---------------------------------------------------------------------------


def _write_inputs(folder: Path, texts: list[str]) -> list[Path]:
    folder.mkdir()
    paths = []
    for i, t in enumerate(texts):
        p = folder / f"doc{i:03d}.txt"
        p.write_text(t, encoding="utf-8")
        paths.append(p)
    return paths


def test_file_apis_write_survivors_under_the_same_names(crawl, tmp_path: Path) -> None:
    texts = [p.labels.content for p in crawl.pages[:80]]
    paths = _write_inputs(tmp_path / "in", texts)
    exact = exact_dedup_files(paths, tmp_path / "exact")
    assert [p.name for p in exact.written] == [paths[i].name for i in exact_dedup(texts)]
    near = minhash_dedup_files(paths, tmp_path / "near", num_hashes=128, num_bands=16, ngram=5, jaccard_threshold=0.8)
    assert [p.name for p in near.written] == [paths[i].name for i in minhash_dedup(texts, 128, 16, 5, 0.8)]
    lines = exact_line_dedup_files(paths, tmp_path / "lines")
    expected = [t for t in line_dedup(texts) if t.strip()]
    assert [read_document(p) for p in lines.written] == expected
    kept = filter_files(paths, tmp_path / "short", lambda t: t if len(t) < 1200 else None)
    assert {p.name for p in kept.written} == {p.name for p, t in zip(paths, texts) if len(t) < 1200}
    assert len(kept.written) + len(kept.dropped) == len(paths)


def test_bad_inputs_are_reported_or_raise_naming_the_file(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path / "in", ["good text here", "", "more good text"])
    binary = tmp_path / "in" / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02")
    latin = tmp_path / "in" / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    report = filter_files([*paths, binary, latin], tmp_path / "out", lambda t: t)
    assert [p.name for p in report.written] == ["doc000.txt", "doc002.txt"]
    assert [p.name for p in report.dropped] == ["doc001.txt"]  # the empty document
    assert set(report.bad) == {binary, latin}
    assert "binary" in report.bad[binary] and "UTF-8" in report.bad[latin]
    with pytest.raises(ValueError, match="blob.bin"):
        exact_line_dedup_files([*paths, binary], tmp_path / "out2", on_error="raise")
    with pytest.raises(ValueError, match="share the name"):
        filter_files([paths[0], paths[0]], tmp_path / "out3", lambda t: t)
    with pytest.raises(ValueError, match="num_bands"):
        minhash_dedup_files(paths, tmp_path / "out4", num_hashes=8, num_bands=9)


def test_an_interrupted_run_keeps_what_it_wrote_and_resumes(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path / "in", [f"document number {i}" for i in range(5)])
    calls = []

    def flaky(text: str) -> str:
        calls.append(text)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return text.upper()

    with pytest.raises(RuntimeError):
        filter_files(paths, tmp_path / "out", flaky)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["doc000.txt", "doc001.txt"]  # no temporary files left
    report = filter_files(paths, out, str.upper, resume=True)
    assert [p.name for p in report.skipped] == ["doc000.txt", "doc001.txt"]
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in paths]


# --- the pipeline on datatrove ----------------------------------------------------------------------


@pytest.mark.slow
def test_datatrove_pipeline_on_two_workers_equals_in_process(tmp_path: Path) -> None:
    pytest.importorskip("datatrove")
    from course_lib.data import run_pipeline, write_warc
    from course_lib.data.datatrove_steps import datatrove_pipeline, read_output, run_local
    from course_lib.data.warc import iter_warc

    crawl = make_crawl(120, seed=7, n_reference=0)
    shards = [write_warc(crawl.pages[k::3], tmp_path / "warc" / f"shard{k}.warc.gz") for k in range(3)]
    run_local(datatrove_pipeline(tmp_path / "warc", tmp_path / "work"), tmp_path / "work", tasks=2, workers=2)
    records = [(d.url, d.payload) for s in shards for d in iter_warc(s)]
    expected, stats = run_pipeline(records)
    assert stats["near_dup"] + stats["exact_dup"] > 0 and expected
    assert read_output(tmp_path / "work") == expected
