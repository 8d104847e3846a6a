"""``python -m grader feedback``: one self-contained HTML page per student and assignment.

The pages are made from the saved results (``<output>/results/<assignment>/<student>.json``),
the student version of each notebook and, once the instructor has graded the written answers in
the Formgrader, their points and comments from the gradebook; nothing else: the outcomes of
hidden cases are already redacted when they are saved, test-cell sources are never shown, and
neither the expected results (``grader/expected/``) nor the solutions are read. Everything that
comes from a submission or a person (what it returned, error messages, notes, comments) is
HTML-escaped. The task text of a failed test is the markdown that introduces it in the release
notebook, with its maths converted to MathML here, so a page needs no network and no script: it
opens offline, can be mailed, and prints cleanly.

This module reads and writes the files; ``grader.report.page`` makes a page (from the templates in
``templates/``), ``task_text`` reads the release notebook and ``mathml`` converts its maths.

The pages go where nbgrader puts feedback, ``<output>/feedback/<student>/<assignment>/
<assignment>.html``, next to the ``timestamp.txt`` and ``submission_secret.txt`` of the
submission's autograded folder, so that ``nbgrader release_feedback`` releases them and students
get them with *Fetch Feedback* (``nbgrader fetch_feedback``).
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from grader.course import SECRET_FILE, TIMESTAMP_FILE, UNKNOWN_ASSIGNMENT, OutputTree
from grader.record.atomic import replace_file
from grader.record.gradebook import Gradebook
from grader.record.store import load_result
from grader.report.page import render_page



# --- writing the pages ---------------------------------------------------------------------------

def feedback_path(output: Path, student: str, assignment: str) -> Path:
    """``<output>/feedback/<student>/<assignment>/<assignment>.html``: nbgrader's layout (the
    page is named after the notebook, which is named after the assignment)."""
    return OutputTree(output).feedback(student, assignment)


def _selected(paths, student: str | None, assignment: str | None, warn) -> list:
    """(page student, page assignment, result) for the readable results that are asked for."""
    chosen = []
    for path in paths:
        # the file's place, not its content, names the page: OutputTree.result made it safe
        page_student, page_assignment = path.stem, path.parent.name
        result = load_result(path)
        if result is None:
            warn(f"skipped {path}: not a readable result")
            continue
        if student is not None and student not in (result.student, page_student):
            continue
        if assignment is not None and assignment not in (result.assignment, page_assignment):
            continue
        chosen.append((page_student, page_assignment, result))
    return chosen


def gradebook_marks(db_url: str, results: list, warn) -> dict:
    """The instructor's points and comments from the gradebook; {} when there is none yet."""
    gradebook = Gradebook(db_url)
    try:
        return gradebook.marks(results)
    except Exception as error:  # noqa: BLE001 - pages without the hand-graded part beat none
        warn(f"the gradebook could not be read, so the pages leave out the points and comments "
             f"given by hand: {gradebook.describe(error)}")
        return {}


def _copy_submission_files(output: Path, student: str, assignment: str, target: Path,
                           warn) -> None:
    """Put the submission's timestamp and secret next to its page, as nbgrader's
    release_feedback needs them."""
    source = OutputTree(output).autograded(student, assignment)
    missing = []
    for name in (TIMESTAMP_FILE, SECRET_FILE):
        try:
            replace_file(target.parent / name, (source / name).read_bytes())
        except OSError:
            missing.append(name)
    if missing and assignment != UNKNOWN_ASSIGNMENT:
        warn(f"{target}: no {' or '.join(missing)} in {source}, so `nbgrader release_feedback` "
             "cannot release this page: run `python -m grader autograde` again")


def write_feedback(output: Path, student: str | None = None, assignment: str | None = None, *,
                   db_url: str = "", warn: Callable[[str], None] | None = None) -> list[Path]:
    """Write a page for every saved result under ``output/results`` (only those of ``student``
    and/or ``assignment`` when given) to ``feedback_path(...)``, with the points and comments
    given in the Formgrader from the gradebook (``db_url``, default ``output/gradebook.db``);
    return the pages written. Unreadable result files are reported through ``warn`` and
    skipped."""
    warn = warn or (lambda text: print(text, file=sys.stderr))
    output = Path(output)
    chosen = _selected(OutputTree(output).result_files(), student, assignment, warn)
    marks = gradebook_marks(db_url or OutputTree(output).gradebook_url,
                             [result for _, _, result in chosen], warn)
    written = []
    for page_student, page_assignment, result in chosen:
        target = feedback_path(output, page_student, page_assignment)
        replace_file(target, render_page(result, marks.get((result.student, result.assignment))))
        _copy_submission_files(output, page_student, page_assignment, target, warn)
        written.append(target)
    return written
