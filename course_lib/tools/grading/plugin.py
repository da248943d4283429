"""pytest plugin of graded runs: ``pytest -p course_lib.tools.grading.plugin`` in the child the runner starts.

The plugin reports facts, never verdicts: it sends the runner, over the signed channel of
:mod:`course_lib.tools.grading.channel`, the collected tests (with their grade markers and whether a marker
skips them, both known before any student code runs), then for each test a ``start`` record, one
``phase`` record per setup/call/teardown (pytest's outcome and the exception chain) and a ``finish``
record. The runner (:mod:`course_lib.tools.grading.verdict`) decides what each test scored.

It also

- turns a ``KeyboardInterrupt`` or ``pytest.exit()`` raised by the code under test into an ordinary
  error of that test, so the run goes on with the next test (the runner's child never receives the
  user's Ctrl-C: it runs in its own session);
- routes the operands of every comparison in the test modules through
  :func:`course_lib.tools.grading.guard.checked` (a value with a home-made ``__eq__`` is refused);
- shortens what pytest prints for a not-attempted test to one line (no traceback wall).

Without the runner (a plain ``pytest -p course_lib.tools.grading.plugin``) it only does the last three.

The hooks are closures made once, when pytest loads the plugin (before any test, so before any
student code): replacing this module's functions afterwards changes nothing pytest calls.
"""

from __future__ import annotations

import _pytest.assertion.rewrite as _rewrite
import pytest
from _pytest.outcomes import Exit
from _pytest.skipping import evaluate_skip_marks

from course_lib.tools.grading.channel import open_writer
from course_lib.tools.grading.guard import GuardComparisons

_ORIGINAL_REWRITE = _rewrite.rewrite_asserts


def _guarded_rewrite(mod, source, module_path=None, config=None):  # noqa: ANN001, ANN202 (pytest's signature)
    GuardComparisons().visit(mod)
    _ORIGINAL_REWRITE(mod, source, module_path, config)


_rewrite.rewrite_asserts = _guarded_rewrite


class AbortedByCodeUnderTest(Exception):
    """The code under test raised KeyboardInterrupt or called pytest.exit()."""


def grade_marker(item: pytest.Item) -> tuple[str, float]:
    """``(part, points)`` of a test from its ``grade`` marker (``("ungraded", 0)`` without one)."""
    marker = item.get_closest_marker("grade")
    if marker is None:
        return "ungraded", 0.0
    return str(marker.kwargs["part"]), float(marker.kwargs["points"])


def _exception_chain(exc: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def describe(exc: BaseException) -> dict:
    """The facts about one exception that the runner's verdict needs."""
    return {
        "type": type(exc).__name__,
        "message": _first_line(str(exc)),
        "not_implemented": isinstance(exc, NotImplementedError),
        "assertion": isinstance(exc, (AssertionError, pytest.fail.Exception)),
        "pytest_fail": isinstance(exc, pytest.fail.Exception),
    }


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def _no_abort(phase: str, exc: BaseException) -> AbortedByCodeUnderTest:
    what = "called pytest.exit()" if isinstance(exc, Exit) else f"raised {type(exc).__name__}"
    detail = str(exc).strip()
    return AbortedByCodeUnderTest(f"the code under test {what} during {phase}" + (f": {detail}" if detail else ""))


def _make_hooks(send, describe, chain_of, marker_of, no_abort):  # noqa: ANN001, ANN202, C901
    """The plugin's hooks, closed over the functions they use (see the module docstring)."""
    send = send or (lambda event: None)

    def pytest_collection_finish(session: pytest.Session) -> None:
        for item in session.items:
            part, points = marker_of(item)
            skip = evaluate_skip_marks(item)
            send(
                {
                    "event": "collected",
                    "nodeid": item.nodeid,
                    "name": item.name,
                    "part": part,
                    "points": points,
                    "marker_skip": skip.reason if skip is not None else None,
                }
            )
        send({"event": "collection_done", "count": len(session.items)})

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
        send({"event": "start", "nodeid": item.nodeid})
        result = yield
        send({"event": "finish", "nodeid": item.nodeid})
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(item: pytest.Item):
        try:
            return (yield)
        except (KeyboardInterrupt, Exit) as exc:
            raise no_abort("setup", exc) from exc

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(item: pytest.Item):
        try:
            return (yield)
        except (KeyboardInterrupt, Exit) as exc:
            raise no_abort("the test", exc) from exc

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
        try:
            return (yield)
        except (KeyboardInterrupt, Exit) as exc:
            raise no_abort("teardown", exc) from exc

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
        report: pytest.TestReport = yield
        event = {"event": "phase", "nodeid": item.nodeid, "when": report.when, "outcome": report.outcome, "chain": []}
        if report.skipped:
            event["skip_reason"] = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        elif report.failed and call.excinfo is not None:
            chain = chain_of(call.excinfo.value)
            event["chain"] = [describe(e) for e in chain]
            own = next((e for e in chain if isinstance(e, NotImplementedError)), None)
            if own is not None:
                report.longrepr = f"not attempted: {_first_line(str(own))}"
        send(event)
        return report

    return (
        pytest_collection_finish,
        pytest_runtest_protocol,
        pytest_runtest_setup,
        pytest_runtest_call,
        pytest_runtest_teardown,
        pytest_runtest_makereport,
    )


(
    pytest_collection_finish,
    pytest_runtest_protocol,
    pytest_runtest_setup,
    pytest_runtest_call,
    pytest_runtest_teardown,
    pytest_runtest_makereport,
) = _make_hooks(open_writer(), describe, _exception_chain, grade_marker, _no_abort)
