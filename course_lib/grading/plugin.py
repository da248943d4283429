"""pytest plugin for graded runs: ``pytest -p course_lib.grading.plugin --grade-log PATH``.

Writes one JSON object per line to the log as things happen, so the runner knows what finished even
if the process dies in the middle of a test:

- ``{"event": "collected", "nodeid", "name", "part", "points"}`` for every test, after collection;
- ``{"event": "start", "nodeid"}`` when a test begins;
- ``{"event": "result", "nodeid", "status", "message"}`` when it ends.

It also shortens what pytest prints for a not-attempted test to one line (no traceback wall).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

_KEY = pytest.StashKey[dict[str, Any]]()
_NOT_ATTEMPTED = "NotImplementedError"
_TIMEOUT_PREFIX = "Timeout"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--grade-log", default=None, help="append grading events (JSON lines) to this file")


def _write(config: pytest.Config, event: dict[str, Any]) -> None:
    path = config.getoption("--grade-log")
    if path is None:
        return
    with Path(path).open("a", encoding="utf-8") as log:
        log.write(json.dumps(event) + "\n")
        log.flush()
        os.fsync(log.fileno())


def grade_marker(item: pytest.Item) -> tuple[str, float]:
    """``(part, points)`` of a test from its ``grade`` marker (``("ungraded", 0)`` without one)."""
    marker = item.get_closest_marker("grade")
    if marker is None:
        return "ungraded", 0.0
    return str(marker.kwargs["part"]), float(marker.kwargs["points"])


def pytest_collection_finish(session: pytest.Session) -> None:
    for item in session.items:
        part, points = grade_marker(item)
        _write(session.config, {"event": "collected", "nodeid": item.nodeid, "name": item.name, "part": part, "points": points})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    del nextitem
    state = {"status": "passed", "message": ""}
    item.stash[_KEY] = state
    _write(item.config, {"event": "start", "nodeid": item.nodeid})
    yield
    _write(item.config, {"event": "result", "nodeid": item.nodeid, **state})


def _exception_chain(exc: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def classify(excinfo: pytest.ExceptionInfo[BaseException]) -> tuple[str, str]:
    """The status and a one-line message for a test that raised ``excinfo``.

    NotImplementedError anywhere in the chain (or named in the message, as when a child process
    raised it) means "not attempted"; pytest-timeout's failure means "timed out"; a failed assertion
    means "failed"; any other exception from the code under test means "crashed".
    """
    exc = excinfo.value
    chain = _exception_chain(exc)
    text = "\n".join(f"{type(e).__name__}: {e}" for e in chain)
    if any(isinstance(e, NotImplementedError) for e in chain) or _NOT_ATTEMPTED in text:
        own = next((str(e) for e in chain if isinstance(e, NotImplementedError)), None)
        return "not attempted", _first_line(own if own is not None else text)
    message = _first_line(str(exc))
    if isinstance(exc, pytest.fail.Exception) and message.startswith(_TIMEOUT_PREFIX):
        return "timed out", message
    if isinstance(exc, (AssertionError, pytest.fail.Exception)):
        return "failed", message or "assertion failed"
    return "crashed", f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = item.stash.get(_KEY, None)
    if state is None or state["status"] != "passed":
        return
    if report.skipped:
        state["status"] = "skipped"
        state["message"] = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
    elif report.failed and call.excinfo is not None:
        status, message = classify(call.excinfo)
        state["status"], state["message"] = status, message
        if status == "not attempted":
            report.longrepr = f"not attempted: {message}"
