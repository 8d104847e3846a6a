"""grades.csv: one row per student and assignment, then one per file that was skipped."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.record.atomic import replace_file
from grader.record.marks import Marks
from grader.results import SKIPPED, SubmissionResult
from grader.text import readable as safe_text

CSV_FIELDS = ["student", "assignment", "score", "max_score", "auto_score", "manual_score",
              "status", "reason", "file"]


def write_csv(path: Path, results: list[SubmissionResult], skipped=(), marks=None) -> None:
    """grades.csv: one row per student and assignment, then one per file that was skipped
    (status "skipped", no student). ``score`` is the total (tests plus written answers, as
    ``nbgrader export`` has it) and ``max_score`` counts every point; ``auto_score`` is the
    tests' part, ``manual_score`` the written answers' ("pending" while one waits for the
    instructor, empty when the assignment has none). ``marks`` comes from ``Gradebook.marks``
    (without it, from the results alone). Every text is written safely, whatever it holds."""
    marks = marks or {}
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        mark = marks.get((r.student, r.assignment)) or Marks.of_result(r)
        writer.writerow({"student": r.student, "assignment": r.assignment,
                         **mark.csv_fields(bool(r.manual)), "status": r.status,
                         "reason": safe_text(r.summary()), "file": safe_text(r.file)})
    for entry in skipped:
        writer.writerow({"student": "", "assignment": "", "status": SKIPPED,
                         "reason": safe_text(entry.reason), "file": safe_text(str(entry.path))})
    replace_file(path, text.getvalue().encode("utf-8", errors="backslashreplace"))
