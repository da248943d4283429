"""course_lib.corpora.installed: real text built offline from what every course environment installs."""

from __future__ import annotations

import pytest
import regex

from course_lib.corpora import EOT, iter_documents
from course_lib.corpora.installed import INSTALLED_CORPORA, installed_corpus


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))


def test_multilingual_corpus_holds_many_scripts():
    path = installed_corpus("multilingual", 0.5)
    text = path.read_text(encoding="utf-8")
    assert 0.5e6 <= len(text.encode()) < 0.5e6 + 200_000  # whole documents up to the cap
    scripts = (
        "Latin",
        "Cyrillic",
        "Greek",
        "Armenian",
        "Georgian",
        "Arabic",
        "Hebrew",
        "Devanagari",
        "Bengali",
        "Tamil",
        "Thai",
        "Ethiopic",
        "Han",
        "Hiragana",
        "Hangul",
    )
    found = [s for s in scripts if regex.search(rf"\p{{Script={s}}}", text)]
    assert len(found) >= 10, f"only {found} in half a megabyte of locale data"
    assert installed_corpus("multilingual", 0.5) == path  # cached: built once


def test_python_code_corpus_is_source_files_in_the_course_format():
    path = installed_corpus("python-code", 0.3)
    documents = list(iter_documents(path))
    assert len(documents) >= 3 and all(EOT not in d for d in documents)
    assert sum("def " in d or "import " in d for d in documents) >= len(documents) // 2
    assert path.read_text(encoding="utf-8").endswith(EOT + "\n")


def test_bad_arguments_are_errors():
    with pytest.raises(ValueError, match="unknown installed corpus"):
        installed_corpus("klingon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="megabytes"):
        installed_corpus("python-code", 0)
    assert set(INSTALLED_CORPORA) == {"python-code", "english-docs", "multilingual"}
