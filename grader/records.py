"""Where grades go: one JSON result per submission, nbgrader's gradebook, and grades.csv."""
from __future__ import annotations

import csv
import warnings
from pathlib import Path

from . import database
from .names import readable as safe_text
from .results import FAILED, GRADED, SKIPPED, SubmissionResult
from .nbgrader_api import nbgrader_api

CSV_FIELDS = ["student", "assignment", "score", "max_score", "status", "reason", "file"]


def result_path(results_dir: Path, student: str, assignment: str) -> Path:
    return results_dir / (assignment or "_unknown") / f"{student}.json"


def save_result(results_dir: Path, result: SubmissionResult) -> Path:
    path = result_path(results_dir, result.student, result.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(result.to_json())
    temporary.replace(path)                       # atomic: a crash never leaves half a result
    return path


def load_result(path: Path) -> SubmissionResult | None:
    try:
        return SubmissionResult.from_json(path.read_text())
    except (OSError, ValueError, TypeError):
        return None


class Gradebook:
    """nbgrader's gradebook (SQLite by default, any SQLAlchemy URL via ``db_url``)."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self._registered: set[str] = set()

    def describe(self, error: BaseException) -> str:
        """One line about a database error, with any password in it masked."""
        text = database.mask(" ".join(str(error).split()), self.db_url)
        return f"{type(error).__name__}: {text}"[:300]

    @database.serialised          # graders sharing a PostgreSQL gradebook write in turns
    def register(self, assignment: str, release_dir: Path) -> None:
        """Make sure the gradebook knows the assignment's notebooks and cells."""
        if assignment in self._registered:
            return
        api = nbgrader_api(release_directory=str(release_dir), db_url=self.db_url)
        outcome = api.generate_assignment(assignment, force=True, create=True)
        if not outcome.get("success"):
            raise RuntimeError(f"nbgrader could not register {assignment} in the gradebook:\n"
                               f"{outcome.get('error') or outcome.get('log')}")
        self._registered.add(assignment)

    @database.serialised
    def record(self, result: SubmissionResult) -> None:
        """Write the autograded scores of a graded submission (idempotent)."""
        if result.status != GRADED:
            return
        from nbgrader.api import Gradebook as NbGradebook

        with warnings.catch_warnings(), NbGradebook(self.db_url) as gb:
            warnings.simplefilter("ignore")       # nbgrader's own SQLAlchemy session warnings
            gb.update_or_create_student(result.student)
            gb.update_or_create_submission(result.assignment, result.student)
            for cell in result.cells:
                grade = gb.find_grade(cell.grade_id, result.assignment, result.assignment,
                                      result.student)
                grade.auto_score = cell.score
            for gid, manual in result.manual.items():
                grade = gb.find_grade(gid, result.assignment, result.assignment, result.student)
                # like nbgrader: an unanswered written answer scores 0, an answered one waits
                grade.auto_score = None if manual["answered"] else 0.0
            gb.db.commit()


def write_csv(path: Path, results: list[SubmissionResult], skipped=()) -> None:
    """grades.csv: one row per student and assignment, then one per file that was skipped
    (status "skipped", no student). Every text is written safely, whatever it holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", newline="", encoding="utf-8", errors="backslashreplace") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for r in sorted(results, key=lambda r: (r.student, r.assignment)):
            writer.writerow({"student": r.student, "assignment": r.assignment,
                             "score": "" if r.status == FAILED or r.score is None else f"{r.score:g}",
                             "max_score": f"{r.max_score:g}", "status": r.status,
                             "reason": safe_text(r.summary()), "file": safe_text(r.file)})
        for entry in skipped:
            writer.writerow({"student": "", "assignment": "", "score": "", "max_score": "",
                             "status": SKIPPED, "reason": safe_text(entry.reason),
                             "file": safe_text(str(entry.path))})
    temporary.replace(path)
