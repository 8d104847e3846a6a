"""Where the course lives and the seed of the hidden tests.

The course is a folder with ``solutions/`` and ``grader/expected/`` (a checkout of this project):
the one passed with ``--course DIR``, else ``$NN_COURSE_DIR``, else the current folder or the
nearest one above it that is a course, else the checkout this package is imported from (see
``course_lib.exercises.find_course``). ``ROOT`` and the folders below are looked up the first
time they are used (or set by ``use_course``); without a course, using them raises
``NoCourseError``. Nothing is ever written next to an installed package.

Instructors: the hidden tests' inputs are generated from ``HIDDEN_SEED``. The value committed
here is public, so for a real class pick your own, run ``python -m grader build``, and keep the
regenerated ``grader/expected/`` out of anything students can see.
"""
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS, COURSE_VARIABLE, NoCourseError, find_course

HIDDEN_SEED = 20261122

# ROOT                 the course folder
# SOURCE_DIR           ROOT/solutions: instructor notebooks (nbgrader source)
# RELEASE_DIR          ROOT/notebooks: the student versions
# EXPECTED_DIR         ROOT/grader/expected: expected results of every check
# WORK_DIR             ROOT/course: gradebook, submissions, feedback, exchange (not committed)
COURSE_PATHS = ("ROOT", "SOURCE_DIR", "RELEASE_DIR", "EXPECTED_DIR", "WORK_DIR")

__all__ = [*COURSE_PATHS, "HIDDEN_SEED", "ASSIGNMENTS", "COURSE_VARIABLE", "NoCourseError",
           "use_course"]


def use_course(folder=None) -> Path:
    """Work on the course in ``folder`` (default: the one ``find_course`` finds) and return it;
    raises ``NoCourseError`` if it is not a course."""
    root = find_course(folder)
    globals().update(ROOT=root, SOURCE_DIR=root / "solutions", RELEASE_DIR=root / "notebooks",
                     EXPECTED_DIR=root / "grader" / "expected", WORK_DIR=root / "course")
    return root


def __getattr__(name: str):
    if name in COURSE_PATHS:            # first use: find the course
        use_course()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
