"""The graded checks of each notebook, one module per assignment.

A notebook's test cell calls ``check("name", answer)``: it runs the visible cases, computes the
expected results with the reference answers (``course_lib.answers``), prints what was tested and
either a success line or expected-against-got with a hint. A failure is printed on stderr in a
notebook, so that Run All goes on while nbgrader still counts the cell as failed, and raised as
``CheckFailed`` elsewhere. ``inputs("name")`` gives copies of a visible case's inputs.
Hidden tests call ``check_hidden("name", answer)``: other inputs, expected results read from the
grader's build output (``grader/expected/<assignment>.json``), and feedback that never shows
those values.

The project's grader replaces test cells by ``harvest``, which only runs the student's objects
and hands the case records over; judging then happens in the grader's process. The exercise
modules hold only what the student's kernel needs (inputs and how to call an answer): the
references, hints and special judges are in ``course_lib.answers``, which the grader's sandbox
leaves out.

The package's modules, one job each (their public names are re-exported here):

    course.py     where the course folder is (find_course, expected_path)
    model.py      Exercise: checks, stored cases and judging; load(assignment)
    harvesting.py harvest, run in the student's kernel while grading
    redaction.py  redact, hidden-case feedback without values
    ex*_*.py      one assignment each, its checks and inputs (EXERCISE)
"""
from __future__ import annotations

from ..checks import HIDDEN, VISIBLE, AnswerFormatError, CheckFailed
from .course import COURSE_VARIABLE, NoCourseError, expected_path, find_course, is_course
from .harvesting import CASES_VARIABLE, HARVEST_MIME, harvest
from .model import ASSIGNMENTS, VISIBLE_SEED, Exercise, load
from .redaction import redact

__all__ = ["Exercise", "ASSIGNMENTS", "load", "find_course", "is_course", "NoCourseError",
           "COURSE_VARIABLE", "harvest", "redact", "CheckFailed", "HIDDEN",
           "VISIBLE", "VISIBLE_SEED", "HARVEST_MIME", "CASES_VARIABLE", "AnswerFormatError"]
