"""The runner's verdict on one test, from the facts the child reported (never from the child's opinion).

- A test passed only if its setup, call and teardown were each reported passed and the test finished.
- ``NotImplementedError`` anywhere in the failing phase's exception chain (or named in its message,
  as when a child process raised it) means "not attempted"; pytest-timeout's stop means "timed out";
  a failed assertion (or ``pytest.fail``) means "failed"; any other exception means "crashed".
- A skip counts only when a marker of the test itself asked for it (the CUDA tests on a machine
  without CUDA, a missing optional library), as decided at collection, before any student code ran.
  A skip raised from anywhere else is "failed".
"""

from __future__ import annotations

from typing import Any

__all__ = ["verdict", "classify_chain"]

_NOT_ATTEMPTED = "NotImplementedError"
_TIMEOUT_PREFIX = "Timeout"


def classify_chain(chain: list[dict[str, Any]]) -> tuple[str, str]:
    """Status and one-line message of a phase that failed with this exception chain (outermost first)."""
    if not chain:
        return "crashed", "failed without an exception"
    text = "\n".join(f"{e['type']}: {e['message']}" for e in chain)
    own = next((e["message"] for e in chain if e["not_implemented"]), None)
    if own is not None or _NOT_ATTEMPTED in text:
        return "not attempted", own if own is not None else _first_line(text)
    exc = chain[0]
    message = exc["message"]
    if exc["pytest_fail"] and message.startswith(_TIMEOUT_PREFIX):
        return "timed out", message
    if exc["assertion"]:
        return "failed", message or "assertion failed"
    return "crashed", f"{exc['type']}: {message}" if message else exc["type"]


def verdict(info: dict[str, Any], phases: list[dict[str, Any]], finished: bool) -> tuple[str, str] | None:
    """``(status, message)`` of a test from its ``collected`` record and its ``phase`` records.

    ``None`` when the facts are incomplete (the process died or was killed in the middle of it).
    """
    for phase in phases:
        if phase["outcome"] == "failed":
            return classify_chain(phase["chain"])
    for phase in phases:
        if phase["outcome"] == "skipped":
            reason = phase.get("skip_reason") or ""
            if info.get("marker_skip") is not None and phase["when"] == "setup":
                return "skipped", info["marker_skip"] or reason
            return "failed", f"skipped from inside the test ({reason}): only a test's own skip marker may skip it"
    outcomes = {phase["when"]: phase["outcome"] for phase in phases}
    if finished and outcomes == {"setup": "passed", "call": "passed", "teardown": "passed"}:
        return "passed", ""
    return None


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""
