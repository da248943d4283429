"""Fixtures shared by the assignment tests."""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest


class ImplementationImportError(ImportError):
    """The implementation's module could not be imported; the message names the file and line."""


def _where(exc: BaseException, package_root: str) -> str:
    """``a1_basics/tokenizer.py:12``: the deepest line of the implementation in ``exc``'s traceback."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_short(exc.filename, package_root)}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if package_root in Path(f.filename).parts]
    return f"{_short(frames[-1].filename, package_root)}:{frames[-1].lineno}" if frames else "?"


def _short(filename: str, package_root: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[parts.index(package_root) :]) if package_root in parts else filename


@pytest.fixture(scope="session")
def load_impl(request: pytest.FixtureRequest) -> Callable[[str], ModuleType]:
    """``load_impl("a0_warmup.warmup")`` imports that module from the implementation under test.

    The package is ``solutions`` or ``assignments``, chosen by ``--impl``. An import that fails (a
    syntax error, an exception or ``sys.exit()`` at module level) raises ImplementationImportError
    naming the file and line, so the test reports it as crashed.
    """
    package = request.config.getoption("--impl")

    def load(module: str) -> ModuleType:
        name = f"{package}.{module}"
        try:
            return importlib.import_module(name)
        except NotImplementedError:
            raise
        except (Exception, SystemExit) as exc:  # a broken student module: say which, where and why, once
            what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}"
            where = _where(exc, package)
            raise ImplementationImportError(f"could not import {name} ({where}): {what}") from None

    return load
