"""Assignment 4 tests: the crawl's planted ground truth and course_lib.data as the oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from course_lib.data import (
    exact_line_dedup_files, gopher_keep, identify_language, make_crawl, mask_pii, minhash_dedup, naive_extract,
    precision_recall,
)
from course_lib.data.pii import mask_emails, mask_ips, mask_phone_numbers


@pytest.fixture(scope="module")
def filters(load_impl):
    return load_impl("a4_data.filters")


@pytest.fixture(scope="module")
def dedup(load_impl):
    return load_impl("a4_data.dedup")


@pytest.fixture(scope="module")
def crawl():
    return make_crawl(240, seed=11)


def _write(folder: Path, texts: list[str]) -> list[Path]:
    folder.mkdir(parents=True)
    paths = [folder / f"doc{i:03d}.txt" for i in range(len(texts))]
    for p, t in zip(paths, texts):
        p.write_text(t, encoding="utf-8")
    return paths


# --- extraction, language ------------------------------------------------------------------------


@pytest.mark.grade(part="extract", points=2)
def test_extraction_keeps_content_and_drops_boilerplate(filters, crawl):
    pages = crawl.pages[:40]
    outs = [filters.extract_text_from_html_bytes(p.html.encode("utf-8")) for p in pages]
    content = [np.mean([w in set(o.split()) for w in p.labels.content.split()]) for p, o in zip(pages, outs)]
    assert np.mean(content) > 0.98
    kept = sum(sum(b in o for b in p.labels.boilerplate) for p, o in zip(pages, outs))
    naive = sum(sum(b in naive_extract(p.html) for b in p.labels.boilerplate) for p in pages)
    assert kept < 0.5 * naive
    latin = "<html><body><p>Un café très chaud, s'il vous plaît.</p></body></html>".encode("cp1252")
    assert "café" in filters.extract_text_from_html_bytes(latin)


@pytest.mark.grade(part="language", points=3)
def test_language_identification_on_the_crawl(filters, crawl):
    pages = [p for p in crawl.pages if p.labels.kind == "good" and not p.labels.mixed_langs]
    got = [filters.identify_language(p.labels.content) for p in pages]
    assert all(0.0 <= conf <= 1.0 for _, conf in got)
    accuracy = np.mean([code == p.labels.lang for (code, _), p in zip(got, pages)])
    assert accuracy > 0.9
    reference = [identify_language(p.labels.content)[0] for p in pages]
    assert np.mean([code == ref for (code, _), ref in zip(got, reference)]) > 0.9


# --- PII ---------------------------------------------------------------------------------------


@pytest.mark.grade(part="pii", points=1)
@pytest.mark.parametrize("kind", ["email", "phone", "ip"])
def test_masking_matches_course_lib_on_the_crawl(filters, crawl, kind):
    theirs = {"email": filters.mask_emails, "phone": filters.mask_phone_numbers, "ip": filters.mask_ips}[kind]
    ours = {"email": mask_emails, "phone": mask_phone_numbers, "ip": mask_ips}[kind]
    pages = [p for p in crawl.pages if p.labels.pii]
    assert pages
    for p in pages:
        text = p.labels.content
        if kind == "phone":  # as in mask_pii: IP addresses are masked first
            text = mask_ips(text)[0]
        masked, count = theirs(text)
        assert (masked, count) == ours(text)
        planted = [s for k, s in p.labels.pii if k == kind and (k, s) not in p.labels.pii_hard]
        assert not any(s in masked for s in planted)


@pytest.mark.grade(part="pii", points=1)
def test_masking_leaves_non_pii_alone(filters):
    for text in ("at 10:30:00 sharp", "version 1.2.3", "pi is 3.14159", "999.999.999.999"):
        for mask in (filters.mask_emails, filters.mask_phone_numbers, filters.mask_ips):
            assert mask(text) == (text, 0), (mask.__name__, text)


# --- quality, harmful ----------------------------------------------------------------------------


@pytest.mark.grade(part="gopher", points=3)
def test_gopher_filter_agrees_with_course_lib(filters, crawl):
    texts = [p.labels.content for p in crawl.pages]
    agree = np.mean([filters.gopher_quality_filter(t) == gopher_keep(t) for t in texts])
    assert agree > 0.95
    assert not filters.gopher_quality_filter("the cat and the dog " * 5)  # 25 words
    assert not filters.gopher_quality_filter("lorem ipsum dolor sit amet consectetur " * 20)  # no stop words


@pytest.mark.grade(part="quality classifier", points=3)
def test_quality_classifier_ranks_reference_above_junk(load_impl, crawl):
    clf_cls = load_impl("a4_data.filters").QualityClassifier
    junk = [p.labels.content for p in crawl.pages if p.labels.quality == "low"]
    ref = crawl.reference[:120]
    clf = clf_cls().fit(ref[:60] + junk[::2], [1] * 60 + [0] * len(junk[::2]))
    s_ref = np.asarray(clf.predict_proba(ref[60:]))
    s_junk = np.asarray(clf.predict_proba(junk[1::2]))
    assert s_ref.shape == (60,) and np.all((s_ref >= 0) & (s_ref <= 1))
    assert np.mean(s_ref[:, None] > s_junk[None, :]) > 0.9  # the area under the ROC curve


@pytest.mark.grade(part="harmful", points=2)
def test_harmful_filter_recall_and_false_positives(filters, crawl):
    flagged = np.array([filters.classify_harmful(p.labels.content)[0] for p in crawl.pages])
    truth = np.array([p.labels.harmful for p in crawl.pages])
    _, recall = precision_recall(flagged, truth)
    assert recall >= 0.9
    ordinary = [f for f, p in zip(flagged, crawl.pages) if p.labels.kind == "good"]
    assert np.mean(ordinary) <= 0.1


# --- deduplication over files ----------------------------------------------------------------------


@pytest.mark.grade(part="line dedup", points=3)
def test_exact_line_deduplication_equals_course_lib(dedup, crawl, tmp_path):
    texts = [naive_extract(p.html) for p in crawl.pages[:60]]
    paths = _write(tmp_path / "in", texts)
    dedup.exact_line_deduplication(paths, tmp_path / "out")
    exact_line_dedup_files(paths, tmp_path / "ref")
    ref = sorted(p.name for p in (tmp_path / "ref").iterdir())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ref
    for name in ref:
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == (tmp_path / "ref" / name).read_text(encoding="utf-8")


@pytest.mark.grade(part="minhash dedup", points=4)
def test_minhash_deduplication_on_planted_pairs(dedup, crawl, tmp_path):
    texts = [p.labels.content for p in crawl.pages]
    paths = _write(tmp_path / "in", texts)
    dedup.minhash_deduplication(paths, 128, 16, 5, 0.8, tmp_path / "out")
    kept = {p.name for p in (tmp_path / "out").iterdir()}
    index = {p.labels.doc_id: i for i, p in enumerate(crawl.pages)}
    for i, p in enumerate(crawl.pages):
        original = p.labels.exact_dup_of if p.labels.exact_dup_of is not None else p.labels.near_dup_of
        if original is None:
            continue
        assert paths[index[original]].name in kept or texts[index[original]] in {texts[j] for j in range(i)}
        sim = 1.0 if p.labels.exact_dup_of is not None else p.labels.jaccard
        if sim >= 0.9:
            assert paths[i].name not in kept, f"{paths[i].name} (Jaccard {sim:.2f} with an earlier page) was kept"
        elif sim <= 0.6:
            assert paths[i].name in kept, f"{paths[i].name} (Jaccard {sim:.2f}) was removed"
    reference = {paths[i].name for i in minhash_dedup(texts, 128, 16, 5, 0.8)}
    assert len(kept ^ reference) <= 0.03 * len(texts)
    assert (tmp_path / "out" / paths[0].name).read_text(encoding="utf-8") == texts[0]


@pytest.mark.grade(part="minhash dedup", points=1)
def test_minhash_deduplication_rejects_bad_bands(dedup, tmp_path):
    paths = _write(tmp_path / "in", ["a b c", "d e f"])
    with pytest.raises(ValueError):
        dedup.minhash_deduplication(paths, 8, 9, 2, 0.5, tmp_path / "out")


# --- the pipeline ------------------------------------------------------------------------------


@pytest.mark.grade(part="pipeline", points=4)
def test_clean_crawl_precision_and_recall(load_impl, crawl):
    pipeline = load_impl("a4_data.pipeline")
    docs = pipeline.clean_crawl([p.html.encode("utf-8") for p in crawl.pages])
    wanted = [p for p in crawl.pages if p.labels.quality == "good" and p.labels.lang == "en" and not p.labels.mixed_langs
              and p.labels.exact_dup_of is None and (p.labels.jaccard is None or p.labels.jaccard < 0.7)]
    good_words = [set(p.labels.content.split()) for p in wanted]

    def match(doc: str) -> int | None:
        words = set(doc.split())
        scores = [len(words & g) / max(len(g), 1) for g in good_words]
        best = int(np.argmax(scores))
        return best if scores[best] > 0.8 else None

    matched = [match(d) for d in docs]
    precision = np.mean([m is not None for m in matched])
    recall = len({m for m in matched if m is not None}) / len(wanted)
    assert precision >= 0.9, f"precision {precision:.2f}: junk, harmful or foreign pages got through"
    assert recall >= 0.7, f"recall {recall:.2f}: too many good pages lost"
    assert not any(s in d for d in docs for p in crawl.pages for k, s in p.labels.pii if (k, s) not in p.labels.pii_hard)
    assert len(docs) == len(set(docs))
    assert all(mask_pii(d)[1] == {"email": 0, "phone": 0, "ip": 0} for d in docs)
