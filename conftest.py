"""Repository-wide pytest configuration: the --impl switch and the CUDA marker.

Assignment tests reach the code under test only through the ``load_impl`` fixture
(tests/assignments/conftest.py), which imports from ``solutions`` or ``assignments`` according to
``--impl``; nothing else in the tests names either folder.
"""

from __future__ import annotations

import pytest
import torch


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        choices=("solutions", "assignments"),
        default="solutions",
        help="which implementation the assignment tests grade (default: solutions, the answer key)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
