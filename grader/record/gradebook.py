"""nbgrader's gradebook, where the two halves of a grade meet: the autograder's scores (written
here) and the instructor's points and comments on the written answers (given in the Formgrader).

The CSV and the feedback pages read both back from it (``Gradebook.marks``), so they agree with
the Formgrader and with ``nbgrader export``.
"""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from pathlib import Path

from grader.nbgrader.api import nbgrader_api, nbgrader_gradebook
from grader.nbgrader.notebooks import nbgrader_meta, source_cells
from grader.record import database
from grader.record.marks import Marks
from grader.results import GRADED, SubmissionResult
from grader.text import exception_text

NO_RESPONSE = "No response."                      # nbgrader's comment on an unanswered cell


def sqlite_missing(db_url: str) -> bool:
    """True for a SQLite URL whose file does not exist (opening it would create a gradebook)."""
    prefix = "sqlite:///"
    return db_url.startswith(prefix) and not os.path.exists(db_url[len(prefix):])


class Gradebook:
    """nbgrader's gradebook (SQLite by default, any SQLAlchemy URL via ``db_url``).

    Used in a ``with`` block, it opens nbgrader's gradebook once, on first use, and keeps it
    until the block ends (a batch opens it once); outside one, each call opens its own."""

    def __init__(self, db_url: str):
        self.db_url = database.normalise(db_url)      # postgresql:// means psycopg 3
        self._registered: set[str] = set()
        self._keep = False
        self._open = None                 # nbgrader's Gradebook, while kept open

    def __enter__(self) -> "Gradebook":
        self._keep = True
        return self

    def __exit__(self, *exc) -> None:
        self._keep = False
        gb, self._open = self._open, None
        if gb is not None:
            gb.close()

    @contextmanager
    def _session(self):
        """nbgrader's gradebook, quiet (its own SQLAlchemy session warnings are noise)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self._keep:
                if self._open is None:
                    self._open = nbgrader_gradebook(self.db_url)
                try:
                    yield self._open
                except BaseException:
                    self._open.db.rollback()      # the next call starts clean
                    raise
                return
            with nbgrader_gradebook(self.db_url) as gb:
                yield gb

    def describe(self, error: BaseException) -> str:
        """One line about a database error, with any password in it masked."""
        text = database.mask(" ".join(str(error).split()), self.db_url)
        return exception_text(type(error).__name__, text)[:300]

    @database.serialised          # graders sharing a PostgreSQL gradebook write in turns
    def register(self, assignment: str, release_dir: Path) -> None:
        """Make sure the gradebook knows the assignment's notebooks and cells: nbgrader's
        ``generate_assignment`` registers it when the gradebook does not hold it as the source
        notebook has it now (new, or changed since)."""
        if assignment in self._registered:
            return
        if not self._holds(assignment):
            api = nbgrader_api(release_directory=str(release_dir), db_url=self.db_url)
            outcome = api.generate_assignment(assignment, force=True, create=True)
            if not outcome.get("success"):
                raise RuntimeError(f"nbgrader could not register {assignment} in the gradebook:"
                                   f"\n{outcome.get('error') or outcome.get('log')}")
        self._registered.add(assignment)

    def _holds(self, assignment: str) -> bool:
        """True when the gradebook holds the assignment's one notebook with the cells that
        generate_assignment would save from the source notebook: the same grade cells (points,
        type), solution cells, and source cells (the text of those that are no answer)."""
        if sqlite_missing(self.db_url):
            return False
        from nbgrader.api import MissingEntry

        wanted = _gradebook_cells(source_cells(assignment))
        with self._session() as gb:
            try:
                notebooks = gb.find_assignment(assignment).notebooks
                held = [_held_cells(nb) for nb in notebooks] if len(notebooks) == 1 and \
                    notebooks[0].name == assignment else []
            except MissingEntry:
                held = []
            finally:
                gb.db.rollback()          # no read transaction stays open while nbgrader writes
        return held == [wanted]

    @database.serialised
    def record(self, result: SubmissionResult, timestamp: str = "") -> None:
        """Write a graded submission: its timestamp (nbgrader's format), the tests' scores and
        the written answers left for the instructor (auto score None when answered, 0 when not,
        as nbgrader does). Idempotent; never changes a manual score or comment. A grade given by
        hand is flagged for review when the submission is a new one (another timestamp)."""
        if result.status != GRADED:
            return
        from nbgrader.utils import parse_utc

        with self._session() as gb:
            gb.update_or_create_student(result.student)
            submission = gb.update_or_create_submission(result.assignment, result.student)
            when = parse_utc(timestamp) if timestamp else submission.timestamp
            new = submission.timestamp != when
            submission.timestamp = when

            grades, comments = _grades_and_comments(gb, submission, result.assignment)

            def find(kind, found, gid):
                return found.get(gid) or kind(gid, result.assignment, result.assignment,
                                              result.student)

            for cell in result.cells:
                _set_auto_score(find(gb.find_grade, grades, cell.grade_id), cell.score, new)
            for gid, manual in result.manual.items():
                answered = bool(manual.get("answered"))
                _set_auto_score(find(gb.find_grade, grades, gid), None if answered else 0.0, new)
                find(gb.find_comment, comments, gid).auto_comment = \
                    None if answered else NO_RESPONSE
            gb.db.commit()

    def marks(self, results: list[SubmissionResult]) -> dict[tuple, Marks]:
        """``(student, assignment) -> Marks`` for every result, read from the gradebook in one
        connection; a result the gradebook does not hold gets the marks of the result alone."""
        found = {(r.student, r.assignment): Marks.of_result(r) for r in results}
        if sqlite_missing(self.db_url):
            return found
        from nbgrader.api import MissingEntry

        with self._session() as gb:
            for result in results:
                try:
                    found[(result.student, result.assignment)] = _marks(gb, result)
                except MissingEntry:
                    pass
        return found


def _gradebook_cells(cells: list[dict]) -> dict:
    """What nbgrader's SaveCells keeps of a notebook's cells (see ``Gradebook._holds``)."""
    grade, solution, source = {}, set(), {}
    for cell in cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if not gid:
            continue
        if meta.get("grade"):
            grade[gid] = (float(meta.get("points") or 0), cell.get("cell_type"))
        if meta.get("solution"):
            solution.add(gid)
        if meta.get("grade") or meta.get("solution") or meta.get("locked"):
            source[gid] = None if meta.get("solution") else cell.get("source", "")
    return {"grade": grade, "solution": solution, "source": source}


def _held_cells(notebook) -> dict:
    """The same of a notebook in nbgrader's gradebook."""
    solution = {cell.name for cell in notebook.solution_cells}
    return {"grade": {cell.name: (float(cell.max_score), cell.cell_type)
                      for cell in notebook.grade_cells},
            "solution": solution,
            "source": {cell.name: None if cell.name in solution else cell.source
                       for cell in notebook.source_cells}}


def _grades_and_comments(gb, submission, notebook: str | None) -> tuple[dict, dict]:
    """A submission's grades and comments by cell name, in its notebook named ``notebook`` (or
    in all of them), read in two queries (nbgrader's objects load each one's cell on its own)."""
    from nbgrader.api import Comment, Grade
    from sqlalchemy.orm import joinedload

    ids = [nb.id for nb in submission.notebooks if notebook in (None, nb.name)]
    return tuple({row.name: row for row in gb.db.query(kind).options(joinedload(kind.cell))
                  .filter(kind.notebook_id.in_(ids))} for kind in (Grade, Comment))


def _set_auto_score(grade, score: float | None, new_submission: bool) -> None:
    """Set a grade's auto score; it needs a person when it has no score at all, or when a
    manual score given earlier belongs to an older submission."""
    grade.auto_score = score
    if grade.manual_score is None:
        grade.needs_manual_grade = score is None
    elif new_submission:
        grade.needs_manual_grade = True


def _marks(gb, result: SubmissionResult) -> Marks:
    """One result's marks from an open nbgrader gradebook (raises MissingEntry)."""
    if result.status != GRADED:
        return Marks(max_score=gb.find_assignment(result.assignment).max_score)
    submission = gb.find_submission(result.assignment, result.student)
    grades, comments = _grades_and_comments(gb, submission, None)
    comments = {name: c.manual_comment for name, c in comments.items() if c.manual_comment}
    written = [grades[gid] for gid in result.manual if gid in grades]
    penalty = sum(n.late_submission_penalty or 0.0 for n in submission.notebooks)
    return Marks(
        max_score=submission.max_score, total=max(0.0, submission.score - penalty),
        auto=sum(g.score for name, g in grades.items() if name not in result.manual),
        manual=sum(g.score for g in written) if result.manual else None,
        pending=[g.name for g in written if g.manual_score is None and g.auto_score is None],
        manual_scores={g.name: g.manual_score for g in written if g.manual_score is not None},
        comments=comments)
