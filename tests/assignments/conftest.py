"""Fixtures shared by the assignment tests."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def load_impl(request: pytest.FixtureRequest) -> Callable[[str], ModuleType]:
    """``load_impl("a0_warmup.warmup")`` imports that module from the implementation under test.

    The package is ``solutions`` or ``assignments``, chosen by ``--impl``. An import that fails
    (a syntax error in student code, say) fails the test with the error named.
    """
    package = request.config.getoption("--impl")

    def load(module: str) -> ModuleType:
        name = f"{package}.{module}"
        try:
            return importlib.import_module(name)
        except NotImplementedError:
            raise
        except Exception as exc:  # a broken student module: say which and why, once
            pytest.fail(f"could not import {name}: {type(exc).__name__}: {exc}", pytrace=False)

    return load
