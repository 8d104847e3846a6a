"""Printing results as a table a person reads at a glance."""
from __future__ import annotations

from .results import FAILED, SubmissionResult


def print_table(results: list[SubmissionResult], out=print) -> None:
    """One line per result: the tests' points (written answers are graded by hand, in the
    Formgrader; grades.csv has the totals)."""
    rows = sorted(results, key=lambda r: (r.student, r.assignment))
    out(f"{'student':<20} {'assignment':<14} {'tests':>9}  {'status':<7} reason")
    out("-" * 96)
    for r in rows:
        score = "" if r.status == FAILED or r.score is None else f"{r.score:g}/{r.max_score:g}"
        reason = r.summary()
        out(f"{r.student:<20} {r.assignment or '?':<14} {score:>9}  {r.status:<7} {reason[:70]}")
