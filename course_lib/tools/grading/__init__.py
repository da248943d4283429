"""The autograder behind `course grade`: points per test, run so that student code cannot take it
down, and cannot write its own grade.

- :mod:`course_lib.tools.grading.runner`: runs pytest in child processes on a fresh copy of the tests,
  judges each test from the facts the child reports, resumes after a crash or a hang with the tests
  not yet run, and leaves no process or folder behind. Its docstring is the trust model.
- :mod:`course_lib.tools.grading.plugin`: the pytest plugin in the child; reports facts, never verdicts.
- :mod:`course_lib.tools.grading.channel`: the signed channel those facts travel on.
- :mod:`course_lib.tools.grading.verdict`: how facts become passed / failed / not attempted / ... .
- :mod:`course_lib.tools.grading.guard`: comparisons in tests refuse values with home-made ``__eq__``.
- :mod:`course_lib.tools.grading.processes`: the subreaper and the process-tree kill.
"""

from course_lib.tools.grading.report import STATUSES, GradeReport, TestResult
from course_lib.tools.grading.runner import GradingError, GradingInterrupted, grade

__all__ = ["STATUSES", "GradeReport", "TestResult", "GradingError", "GradingInterrupted", "grade"]
