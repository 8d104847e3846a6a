"""The submitted tree, where nbgrader's Formgrader counts submissions: ``<output>/submitted/<student>/<assignment>/``.

The Formgrader's screens agree only when three records of a submission agree (nbgrader 0.9's
``NbGraderAPI``):

* Manage Assignments' "# Submissions" and Manual Grading's assignment table count the folders
  ``submitted/<student>/<assignment>/`` (``get_submitted_students``);
* a student's page and Manage Submissions call a submission autograded only when the gradebook
  holds it with the time in that folder's ``timestamp.txt`` and its autograded folder exists
  (``get_autograded_students``); otherwise they say "(no submission)" or "needs autograding";
* Manual Grading's notebook list and Manage Students read the gradebook alone.

``nbgrader collect`` writes these folders for what came through the exchange. For everything else
(nbgrader's layout in another folder, a flat export of a learning platform, Moodle's folders) the
grader writes the folder once the submission is graded: the notebook as graded, the time the
gradebook holds, and ``.grader-copy`` (hidden from nbgrader) naming the file it is a copy of, so
that later runs know the folder is the grader's to update. A folder without that mark is
nbgrader's (or the instructor's) and is never overwritten: only a missing ``timestamp.txt`` is
added to one that holds the graded notebook itself.

Only graded submissions get a folder: one that could not be graded has no row in the gradebook,
so no screen of the Formgrader counts it (the run's output and grades.csv say why).
"""
from __future__ import annotations

from pathlib import Path

from grader.course import TIMESTAMP_FILE, OutputTree
from grader.intake.discover import Submission
from grader.record.formgrader_tree import update_file
from grader.results import GRADED, SubmissionResult
from grader.text import readable

COPY_MARK = ".grader-copy"              # in a folder the grader wrote: the file it copies


def _within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (OSError, ValueError):
        return False


def _held_time(folder: Path) -> str:
    try:
        return (folder / TIMESTAMP_FILE).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def write_submitted(tree: OutputTree, result: SubmissionResult, sub: Submission) -> str:
    """Make ``tree``'s submitted folder of a graded submission hold it with the time the
    gradebook holds; returns "" or one line for the instructor when the folder holds another
    submission, which the Formgrader then shows as not autograded."""
    if result.status != GRADED or not sub.timestamp or not sub.path.is_file():
        return ""
    folder = tree.submitted(result.student, result.assignment)
    if _within(sub.path, tree.submitted_root):            # nbgrader's own folder
        if sub.path.parent.resolve() == folder.resolve() and not (folder / TIMESTAMP_FILE).exists():
            update_file(folder / TIMESTAMP_FILE, sub.timestamp.encode())
        return ""
    if folder.is_dir() and not (folder / COPY_MARK).is_file():
        if _held_time(folder) == sub.timestamp:
            return ""
        return (f"{readable(str(folder))} holds another submission of {result.student}'s "
                f"{result.assignment} than the one graded now ({readable(str(sub.path))}); the "
                "Formgrader shows it as not autograded: grade that folder, or move it away and "
                "run the same command again")
    update_file(folder / f"{result.assignment}.ipynb", sub.path.read_bytes())
    update_file(folder / TIMESTAMP_FILE, sub.timestamp.encode())
    update_file(folder / COPY_MARK, f"{readable(str(sub.path.resolve()))}\n".encode())
    return ""
