"""The class report's statistics: from the saved results of one assignment (and the gradebook's
marks) to what the instructor reads about each test. Pure functions, no I/O.

Only what a student's own feedback page may show is used: the tests' points, the reasons and
the hints of failed cases. Expected values are never read (hidden cases are redacted in the
results already, and visible ones are not shown here either): a failure is known by its hint.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from grader.record.marks import Marks
from grader.results import GRADED, CellResult, SubmissionResult

HIDDEN_CASE = re.compile(r"\(hidden case \d+ of \d+\)$")
NOT_RUN = "not run"
UPPER_LOWER = 0.27                     # the share of the class in each group of the upper-lower index


@dataclass(frozen=True)
class FailureGroup:
    """Students who failed a test with the same hint (or, without one, the same reason)."""
    hint: str
    students: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass(frozen=True)
class TestStats:
    grade_id: str
    points: float
    attempted: int                     # graded submissions where the test ran
    passed: int
    mean_points: float | None          # over graded submissions (a test not run scores 0)
    discrimination: float | None       # point-biserial r of the test's score with the rest
    upper_lower: float | None          # pass rate of the top 27 % minus that of the bottom 27 %
    failures: tuple[FailureGroup, ...]  # most common first
    hidden_only: tuple[str, ...]       # passed the visible example, failed a hidden case
    graded: int                        # graded submissions of the assignment

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.attempted if self.attempted else None


@dataclass(frozen=True)
class HandGrading:
    graded: int                        # written answers given points in the Formgrader
    pending: int                       # answered, waiting for the instructor
    unanswered: int                    # left blank: 0 points, nothing to grade


@dataclass(frozen=True)
class AssignmentStats:
    assignment: str
    submissions: int
    graded: int
    failed: tuple[str, ...]            # students whose submission could not be graded
    max_score: float
    scores: tuple[float, ...]          # the tests' points of each graded submission
    tests: tuple[TestStats, ...]
    hand_grading: HandGrading
    # (student, seconds), slowest first: the CPU time of each notebook's kernel, or its wall-clock
    # grading time when a result does not record CPU time (results saved by older versions)
    seconds: tuple[tuple[str, float], ...] = field(default=())
    cpu_time: bool = True              # whether ``seconds`` are CPU seconds (else wall clock)

    @property
    def mean_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


# --- one test --------------------------------------------------------------------------------

def failure_label(cell: CellResult) -> str:
    """What the student was told about a failed test: the hint of its first failed case, else
    that case's detail, else the test's reason (a test that did not run says why)."""
    for outcome in cell.outcomes:
        if isinstance(outcome, dict) and not outcome.get("passed"):
            text = outcome.get("hint") or outcome.get("detail") or ""
            if text:
                return str(text)
            break
    return cell.reason or "failed without a reason"


def fitted_to_example(cell: CellResult) -> bool:
    """Failed on a hidden case although every visible case (the example in the notebook)
    passed: code fitted to the example."""
    outcomes = [o for o in cell.outcomes if isinstance(o, dict)]
    visible = [o for o in outcomes if not HIDDEN_CASE.search(str(o.get("tested", "")))]
    hidden = [o for o in outcomes if HIDDEN_CASE.search(str(o.get("tested", "")))]
    return (not cell.passed and bool(visible) and all(o.get("passed") for o in visible)
            and any(not o.get("passed") for o in hidden))


def point_biserial(item: list[float], rest: list[float]) -> float | None:
    """Pearson's r of a test's scores with the rest of each total (the point-biserial
    correlation for a pass/fail test); None when either does not vary."""
    n = len(item)
    if n < 3:
        return None
    mean_i, mean_r = sum(item) / n, sum(rest) / n
    cov = sum((i - mean_i) * (r - mean_r) for i, r in zip(item, rest))
    var_i = sum((i - mean_i) ** 2 for i in item)
    var_r = sum((r - mean_r) ** 2 for r in rest)
    if var_i <= 0 or var_r <= 0:
        return None
    return cov / math.sqrt(var_i * var_r)


def upper_lower_index(passed: list[bool], totals: list[float]) -> float | None:
    """Pass rate in the top 27 % of totals minus that in the bottom 27 %; None for fewer than
    four submissions."""
    n = len(passed)
    size = max(1, round(UPPER_LOWER * n))
    if n < 4:
        return None
    order = sorted(range(n), key=lambda i: totals[i])
    low, high = order[:size], order[-size:]
    return (sum(passed[i] for i in high) - sum(passed[i] for i in low)) / size


def test_stats(grade_id: str, graded: list[SubmissionResult]) -> TestStats:
    """One test over the graded submissions of an assignment."""
    cells = {r.student: next((c for c in r.cells if c.grade_id == grade_id), None) for r in graded}
    points = max((c.points for c in cells.values() if c), default=0.0)
    ran = {s: c for s, c in cells.items() if c and not c.reason.startswith(NOT_RUN)}
    item = [c.score if c else 0.0 for c in cells.values()]
    totals = [float(r.score or 0.0) for r in graded]
    rest = [t - i for t, i in zip(totals, item)]
    groups: dict[str, list[str]] = {}
    for student, cell in sorted(cells.items()):
        if cell is not None and not cell.passed:
            groups.setdefault(failure_label(cell), []).append(student)
        elif cell is None:
            groups.setdefault("the test cell is missing from the submission", []).append(student)
    failures = sorted((FailureGroup(hint, tuple(students)) for hint, students in groups.items()),
                      key=lambda g: (-g.count, g.hint))
    return TestStats(
        grade_id=grade_id, points=points, attempted=len(ran),
        passed=sum(1 for c in ran.values() if c.passed),
        mean_points=sum(item) / len(item) if item else None,
        discrimination=point_biserial(item, rest),
        upper_lower=upper_lower_index([bool(c and c.passed) for c in cells.values()], totals),
        failures=tuple(failures),
        hidden_only=tuple(sorted(s for s, c in cells.items() if c and fitted_to_example(c))),
        graded=len(graded))


# --- one assignment --------------------------------------------------------------------------

def hand_grading(results: list[SubmissionResult], marks: dict) -> HandGrading:
    """Written answers graded, pending and unanswered, from the gradebook's marks (as
    grades.csv's manual_score: "pending" while one waits)."""
    graded = pending = unanswered = 0
    for result in results:
        if result.status != GRADED:
            continue
        mark = marks.get((result.student, result.assignment)) or Marks.of_result(result)
        for gid, info in result.manual.items():
            if gid in mark.manual_scores:
                graded += 1
            elif gid in mark.pending:
                pending += 1
            elif not info.get("answered"):
                unanswered += 1
            else:
                graded += 1                      # given its points another way (auto score set)
    return HandGrading(graded, pending, unanswered)


def assignment_stats(assignment: str, results: list[SubmissionResult],
                     marks: dict | None = None) -> AssignmentStats:
    """Everything the report says about one assignment; ``results`` are its saved results,
    ``marks`` the gradebook's (``Gradebook.marks``), for the written answers."""
    results = sorted((r for r in results if r.assignment == assignment), key=lambda r: r.student)
    graded = [r for r in results if r.status == GRADED]
    order: list[str] = []
    for result in graded:
        for cell in result.cells:
            if cell.grade_id not in order:
                order.append(cell.grade_id)
    cpu_time = all(r.cpu_seconds for r in graded)
    return AssignmentStats(
        assignment=assignment, submissions=len(results), graded=len(graded),
        failed=tuple(r.student for r in results if r.status != GRADED),
        max_score=max((r.max_score for r in graded), default=0.0),
        scores=tuple(float(r.score or 0.0) for r in graded),
        tests=tuple(test_stats(gid, graded) for gid in order),
        hand_grading=hand_grading(results, marks or {}),
        seconds=tuple(sorted(((r.student, float((r.cpu_seconds if cpu_time else r.seconds) or 0.0))
                              for r in graded), key=lambda pair: (-pair[1], pair[0]))),
        cpu_time=cpu_time)


def class_stats(results: list[SubmissionResult], marks: dict | None = None
                ) -> list[AssignmentStats]:
    """One ``AssignmentStats`` per assignment that has results, in name order."""
    assignments = sorted({r.assignment for r in results if r.assignment})
    return [assignment_stats(a, results, marks) for a in assignments]
