"""Tests of course_lib.corpora: the embedded story corpus, the file format, the real-corpus loaders."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import re
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from course_lib.corpora import EOT, CorpusDownloadError, embedded_corpus, iter_documents, real_corpus

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


# --- real corpora, from small local files in their public formats -------------------------------------

STORIES = ["Once upon a time, there was a cat.\nThe cat was happy.", "Tom had a red ball. \u201cHi!\u201d said Tom.", "The end of a story \u00e9\u00e8."]


def _tinystories_txt(path: Path) -> Path:
    # TinyStoriesV2-GPT4-*.txt layout: a story, a line with the separator, the next story
    path.write_text("\n".join(f"{s}\n{EOT}" for s in STORIES) + "\n", encoding="utf-8")
    return path


def _read(path: Path) -> list[str]:
    return list(iter_documents(path))


def test_tinystories_text_file(tmp_path: Path, _cache: Path) -> None:
    out = real_corpus("tinystories", "train", source=_tinystories_txt(tmp_path / "TinyStoriesV2-GPT4-train.txt"))
    assert out.parent == _cache / "corpora"
    assert _read(out) == STORIES
    assert out.read_text(encoding="utf-8") == "".join(s + EOT + "\n" for s in STORIES)


def test_owt_gzipped_text_with_windows_newlines(tmp_path: Path) -> None:
    docs = ["A web page.\n\nWith two paragraphs.", "Another page, with a tab\there."]
    src = tmp_path / "owt_valid.txt.gz"
    with gzip.open(src, "wt", encoding="utf-8", newline="") as f:
        f.write(EOT.join(d.replace("\n", "\r\n") for d in docs))
    assert _read(real_corpus("owt", "validation", source=src)) == docs


def test_jsonl_with_text_field_gzipped_or_not(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"text": s, "meta": i}) + "\n" for i, s in enumerate(STORIES))
    (tmp_path / "a.jsonl").write_text(lines + "\n", encoding="utf-8")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(lines)
    assert _read(real_corpus("owt", source=tmp_path / "a.jsonl")) == STORIES
    assert _read(real_corpus("owt", source=tmp_path / "b.jsonl.gz")) == STORIES


def _shard(records: list[dict]) -> str:
    return json.dumps(records, indent=1)


def test_tinystories_json_shards_folder_and_tarball(tmp_path: Path) -> None:
    folder = tmp_path / "TinyStories_all_data"
    folder.mkdir()
    # the original shards: JSON arrays of objects with "story" among other fields
    (folder / "data01.json").write_text(_shard([{"story": STORIES[2], "instruction": {}, "source": "GPT-4"}]))
    (folder / "data00.json").write_text(_shard([{"story": s, "summary": "x"} for s in STORIES[:2]]))
    (folder / "README.md").write_text("not a corpus file")
    assert _read(real_corpus("tinystories", source=folder)) == STORIES  # shards in name order
    archive = tmp_path / "TinyStories_all_data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=".")
    assert _read(real_corpus("tinystories", source=archive)) == STORIES


def test_separator_inside_a_json_document_splits_it(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text(json.dumps({"text": f"first {EOT} second"}) + "\n")
    assert _read(real_corpus("owt", source=tmp_path / "x.jsonl")) == ["first", "second"]


def test_local_source_is_cached_and_reread_when_changed(tmp_path: Path) -> None:
    src = _tinystories_txt(tmp_path / "stories.txt")
    first = real_corpus("tinystories", source=src)
    assert real_corpus("tinystories", source=src) == first
    src.write_text(f"Only one story now.{EOT}", encoding="utf-8")
    os.utime(src, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    second = real_corpus("tinystories", source=src)
    assert second != first and _read(second) == ["Only one story now."]


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        ('{"title": "no text here"}\n', "x.jsonl", "'text' or 'story'"),
        ("{not json\n", "x.jsonl", "line 1"),
        ("[1, 2", "x.json", "not valid JSON"),
        ("   \n", "x.txt", "no documents"),
    ],
)
def test_malformed_local_files_raise_clear_errors(tmp_path: Path, content: str, name: str, match: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ValueError, match=match):
        real_corpus("owt", source=tmp_path / name)


def test_bad_real_corpus_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown corpus 'wikipedia'"):
        real_corpus("wikipedia")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown split 'test'"):
        real_corpus("owt", "test")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="no file or folder at .*missing.txt"):
        real_corpus("owt", source=tmp_path / "missing.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no corpus files"):
        real_corpus("owt", source=tmp_path / "empty")


def test_offline_download_fails_with_advice(_cache: Path) -> None:
    # port 9 (discard) on the loopback interface: connection refused at once, no network involved
    with pytest.raises(CorpusDownloadError) as info:
        real_corpus("tinystories", "validation", source="http://127.0.0.1:9/TinyStoriesV2-GPT4-valid.txt", timeout=5)
    message = str(info.value)
    assert "could not download the tinystories validation corpus" in message
    assert "embedded_corpus(" in message and "source=" in message
    assert not any((_cache / "corpora").rglob("*.txt*"))  # no partial file left


def test_download_over_loopback_http(tmp_path: Path) -> None:
    """The download path end to end, served by a local HTTP server on 127.0.0.1 (no network)."""
    served = tmp_path / "served"
    served.mkdir()
    with gzip.open(served / "owt_train.txt.gz", "wt", encoding="utf-8") as f:
        f.write(EOT.join(STORIES))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/owt_train.txt.gz"
            path = real_corpus("owt", "train", source=url, timeout=10)
            assert _read(path) == STORIES
            assert real_corpus("owt", "train", source=url, timeout=10) == path  # cached
        finally:
            server.shutdown()
            thread.join()
    assert not list((path.parent / "downloads").iterdir())  # the raw download is not kept
