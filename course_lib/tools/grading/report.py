"""The grade report: per-test results, per-part totals, the printed table and the JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["STATUSES", "TestResult", "GradeReport"]

STATUSES = ("passed", "failed", "not attempted", "timed out", "crashed", "skipped", "not run")
"""Outcome of one test. ``skipped`` tests (e.g. CUDA-only on a CPU machine) count toward no total;
``not run`` is a test that grading never reached because it was interrupted (Ctrl-C)."""

# When a part's tests disagree, the part shows the most informative problem.
_PART_PRIORITY = ("crashed", "timed out", "failed", "not attempted", "not run", "passed", "skipped")


@dataclass(frozen=True)
class TestResult:
    name: str
    part: str
    points_possible: float
    status: str
    message: str = ""

    __test__ = False  # not a pytest test class

    @property
    def points(self) -> float:
        return self.points_possible if self.status == "passed" else 0.0

    @property
    def counted_possible(self) -> float:
        return 0.0 if self.status == "skipped" else self.points_possible


@dataclass(frozen=True)
class GradeReport:
    assignment: str
    impl: str
    tests: tuple[TestResult, ...]
    interrupted: bool = False

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def points_possible(self) -> float:
        return sum(t.counted_possible for t in self.tests)

    def parts(self) -> list[tuple[str, list[TestResult]]]:
        order: dict[str, list[TestResult]] = {}
        for test in self.tests:
            order.setdefault(test.part, []).append(test)
        return list(order.items())

    def to_json(self) -> dict:
        return {
            "assignment": self.assignment,
            "impl": self.impl,
            "interrupted": self.interrupted,
            "points": _num(self.points),
            "points_possible": _num(self.points_possible),
            "tests": [
                {
                    "name": t.name,
                    "part": t.part,
                    "points": _num(t.points),
                    "points_possible": _num(t.counted_possible),
                    "status": t.status,
                    "message": t.message,
                }
                for t in self.tests
            ],
        }

    def write_json(self, path: Path) -> None:
        """Write :meth:`to_json` to ``path``, making its folder if needed."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    def table(self) -> str:
        rows = [("part", "passed", "points", "status")]
        for part, tests in self.parts():
            counted = [t for t in tests if t.status != "skipped"]
            passed = sum(t.status == "passed" for t in counted)
            status = min((t.status for t in tests), key=_PART_PRIORITY.index)
            if status == "skipped" or (status == "passed" and len(counted) < len(tests)):
                status += f" ({len(tests) - len(counted)} skipped)" if status == "passed" else ""
            points = sum(t.points for t in tests)
            possible = sum(t.counted_possible for t in tests)
            rows.append((part, f"{passed}/{len(counted)}", f"{_num(points)}/{_num(possible)}", status))
        total_tests = [t for t in self.tests if t.status != "skipped"]
        rows.append(
            (
                "total",
                f"{sum(t.status == 'passed' for t in total_tests)}/{len(total_tests)}",
                f"{_num(self.points)}/{_num(self.points_possible)}",
                "",
            )
        )
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for index, row in enumerate(rows):
            if index == len(rows) - 1:
                lines.append("  ".join("-" * w for w in widths).rstrip())
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths).rstrip())
        return "\n".join(lines)

    def problems(self) -> list[str]:
        """One line per test that ran and did not pass (not attempted ones are summed up by the table)."""
        return [
            f"{t.status:>9}: {t.name}: {t.message}".rstrip(": ")
            for t in self.tests
            if t.status in ("failed", "timed out", "crashed")
        ]


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)
