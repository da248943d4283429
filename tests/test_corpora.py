"""Tests of course_lib.corpora: the embedded story corpus, the file format, the real-corpus loaders."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.corpora import EOT, embedded_corpus, iter_documents

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE", str(cache))
    return cache


# --- embedded corpus ------------------------------------------------------------------------------


def test_file_is_in_cache_and_holds_whole_documents_of_requested_size(_cache: Path) -> None:
    path = embedded_corpus("train", 0.3)
    assert path.parent == _cache / "corpora"
    data = path.read_bytes()
    assert len(data) >= 300_000
    docs = list(iter_documents(path))
    # at most one story beyond the target: the file minus its last record is below the target
    last_record = (docs[-1] + EOT + "\n").encode()
    assert len(data) - len(last_record) < 300_000
    # exact layout: each document followed by EOT and a newline, nothing else
    assert data.decode("utf-8") == "".join(d + EOT + "\n" for d in docs)


def test_documents_have_no_stray_separator_and_no_surrounding_space() -> None:
    docs = list(iter_documents(embedded_corpus("validation", 0.2)))
    assert len(docs) > 100
    for doc in docs:
        assert EOT not in doc and "<|" not in doc and doc == doc.strip()


def _generate_in_subprocess(cache: Path, hashseed: str) -> bytes:
    code = "from course_lib.corpora import embedded_corpus; print(embedded_corpus('train', 0.25, seed=3))"
    env = dict(os.environ, COURSE_CACHE=str(cache), PYTHONHASHSEED=hashseed)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip()).read_bytes()


def test_two_processes_produce_byte_identical_files(tmp_path: Path) -> None:
    a = _generate_in_subprocess(tmp_path / "a", "1")
    b = _generate_in_subprocess(tmp_path / "b", "12345")
    assert a == b and len(a) >= 250_000


def test_seeds_and_splits_give_different_disjoint_streams() -> None:
    train = set(iter_documents(embedded_corpus("train", 0.5)))
    valid = set(iter_documents(embedded_corpus("validation", 0.5)))
    other_seed = set(iter_documents(embedded_corpus("train", 0.5, seed=1)))
    assert len(train) > 500 and len(valid) > 500
    assert not train & valid
    assert not train & other_seed


def test_second_call_reuses_the_cached_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = embedded_corpus("train", 0.1)
    stamp = path.stat().st_mtime_ns

    import course_lib.corpora.embedded as embedded

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("regenerated a cached corpus")

    monkeypatch.setattr(embedded, "write_documents", fail)
    assert embedded_corpus("train", 0.1) == path
    assert path.stat().st_mtime_ns == stamp


def test_no_temporary_files_left_behind(_cache: Path) -> None:
    embedded_corpus("train", 0.1)
    assert [p.name for p in (_cache / "corpora").iterdir()] == [embedded_corpus("train", 0.1).name]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"split": "test"}, ValueError, "unknown split"),
        ({"megabytes": 0}, ValueError, "positive"),
        ({"megabytes": -1.0}, ValueError, "positive"),
        ({"megabytes": float("nan")}, ValueError, "finite"),
        ({"megabytes": "2"}, TypeError, "number"),
        ({"seed": 1.5}, TypeError, "int"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        embedded_corpus(**kwargs)


def test_iter_documents_streams_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import course_lib.corpora.textfile as textfile

    monkeypatch.setattr(textfile, "_CHUNK", 7)  # separators straddle many chunk boundaries
    docs = ["alpha beta", "gamma\n\ndelta", "épsilon 🙂"]
    path = tmp_path / "c.txt"
    path.write_text("".join(d + EOT + "\n" for d in docs), encoding="utf-8")
    assert list(iter_documents(path)) == docs
    with pytest.raises(FileNotFoundError, match="no corpus file"):
        next(iter_documents(tmp_path / "missing.txt"))


def test_vocabulary_is_rich() -> None:
    """Distinct word types in 1 MB of stories.

    TinyStories (GPT-4 written) has about 20-30k word types in its 2 GB, but a 1 MB slice of it
    shows roughly 4-5k. A BPE tokenizer trained to a 10k vocabulary only learns real subwords when
    the corpus has thousands of types; a few hundred would be exhausted as whole words.
    """
    text = embedded_corpus("train", 1.0).read_text(encoding="utf-8")
    types = set(re.findall(r"[A-Za-z]+(?:[-'][A-Za-z]+)*", text))
    assert len(types) > 2000
