"""Real text that is already installed: corpora for measuring tokenizers offline, beyond the stories.

The embedded stories are simple English with a small vocabulary; real text is not. Three corpora
are built from files every course environment already has, so no download is needed:

- ``python-code``: the Python standard library's source files (``.py``), one document per file;
  identifiers, indentation, operators and English comments.
- ``english-docs``: English technical prose: the Python documentation shipped with the interpreter
  (``pydoc_data.topics``, the language reference's topics) and the docstrings of the standard
  library's modules, classes and functions, one document each.
- ``multilingual``: the Unicode CLDR locale data that ships with ``babel`` (a dependency of
  JupyterLab): the names of languages, countries, scripts, months, days and units, as written in
  each of about 1,100 locales, one document per locale (Latin, Cyrillic, Greek, Arabic, Hebrew,
  Devanagari and other Indic scripts, Thai, Ethiopic, Han, Kana, Hangul and more), plus the Chinese,
  Japanese and Korean sample texts of CPython's test suite (``test/cjkencodings``) when installed.

Documents are shuffled with a fixed seed (so a prefix of a few megabytes covers every kind of
source) and written in the course's corpus format; the text depends on the Python and babel
versions installed, which the file name records.
"""

from __future__ import annotations

import ast
import math
import random
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from course_lib.corpora.textfile import EOT, write_documents
from course_lib.tools.paths import cache_dir

__all__ = ["INSTALLED_CORPORA", "installed_corpus"]

InstalledName = Literal["python-code", "english-docs", "multilingual"]

INSTALLED_CORPORA: dict[str, str] = {
    "python-code": "Python standard library source (.py files)",
    "english-docs": "Python documentation (pydoc_data.topics) + standard library docstrings",
    "multilingual": "CLDR locale data from babel (~1,100 locales, dozens of scripts) + CPython's CJK test texts",
}
"""Each installed corpus and the source it is made from."""

_VERSION = 1


def _stdlib() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _stdlib_sources() -> list[Path]:
    """The standard library's ``.py`` files, without the test suite and installed packages."""
    root = _stdlib()
    skip = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}
    return sorted(p for p in root.rglob("*.py") if not skip.intersection(p.relative_to(root).parts))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def _code_documents() -> Iterator[str]:
    for path in _stdlib_sources():
        text = _read(path)
        if text and text.strip():
            yield text


def _docstrings(source: str) -> Iterator[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc and len(doc) >= 40:
                yield doc


def _docs_documents() -> Iterator[str]:
    from pydoc_data import topics  # noqa: PLC0415  (the language reference as plain text)

    yield from topics.topics.values()
    for path in _stdlib_sources():
        text = _read(path)
        if text:
            yield from _docstrings(text)


def _strings(value: object) -> Iterator[str]:
    """Every string inside babel's nested locale data (dicts, lists, tuples and babel's own mappings)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)
    elif hasattr(value, "keys") and hasattr(value, "__getitem__"):
        for key in list(value.keys()):
            try:
                item = value[key]
            except (KeyError, TypeError):
                continue
            yield from _strings(item)


def _multilingual_documents() -> Iterator[str]:
    import babel.localedata  # noqa: PLC0415  (installed with jupyterlab)

    for name in sorted(babel.localedata.locale_identifiers()):
        text = "\n".join(s for s in _strings(babel.localedata.load(name, merge_inherited=False)) if s.strip())
        if text:
            yield text
    cjk = _stdlib() / "test" / "cjkencodings"
    for path in sorted(cjk.glob("*-utf8.txt")) if cjk.is_dir() else ():
        text = _read(path)
        if text:
            yield text


_BUILDERS = {"python-code": _code_documents, "english-docs": _docs_documents, "multilingual": _multilingual_documents}


def _versions() -> str:
    import babel  # noqa: PLC0415

    return f"py{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}-babel{babel.__version__}"


def installed_corpus(name: InstalledName, megabytes: float | None = None) -> Path:
    """The path of an installed-text corpus (see the module's docstring), built on first use.

    ``megabytes`` caps the size (whole documents, shuffled with a fixed seed, until the cap is
    reached); ``None`` keeps everything. Raises ``ValueError`` for an unknown name or a size that is
    not positive and finite.
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown installed corpus {name!r}; choose from {', '.join(_BUILDERS)}")
    if megabytes is not None and (
        isinstance(megabytes, bool)
        or not isinstance(megabytes, (int, float))
        or not math.isfinite(megabytes)
        or megabytes <= 0
    ):
        raise ValueError(f"megabytes must be a positive, finite number or None, got {megabytes!r}")
    size = "all" if megabytes is None else f"{float(megabytes)!r}MB"
    path = cache_dir() / "corpora" / f"installed-v{_VERSION}-{name}-{_versions()}-{size}.txt"
    if not path.is_file():
        documents = [d for d in (d.replace(EOT, "").strip() for d in _BUILDERS[name]()) if d]
        random.Random(0).shuffle(documents)
        if megabytes is not None:
            budget, kept = megabytes * 1_000_000, []
            for document in documents:
                if budget <= 0:
                    break
                kept.append(document)
                budget -= len(document.encode("utf-8")) + len(EOT) + 1
            documents = kept
        write_documents(path, documents)
    return path
