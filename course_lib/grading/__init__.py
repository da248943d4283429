"""The autograder behind `course grade`: points per test, run so that student code cannot take it down.

- :mod:`course_lib.grading.plugin`: a pytest plugin, loaded in the graded process, that classifies
  each test (passed / failed / not attempted / timed out / crashed / skipped) and appends it to an
  event log as soon as it is known.
- :mod:`course_lib.grading.runner`: runs pytest in a child process with a per-test timeout and a
  memory cap, resumes after a crash or a hang with the tests not yet run, and builds the report.
"""

from course_lib.grading.report import STATUSES, GradeReport, TestResult
from course_lib.grading.runner import GradingError, grade

__all__ = ["STATUSES", "GradeReport", "TestResult", "GradingError", "grade"]
