"""Where the course is: the folder with the instructor's sources and the grader's expected results
(``find_course``), and the expected results' file of an assignment (``expected_path``)."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["COURSE_VARIABLE", "NoCourseError", "is_course", "find_course", "expected_path"]

COURSE_VARIABLE = "NN_COURSE_DIR"      # the course folder, when it cannot be found otherwise


class NoCourseError(FileNotFoundError):
    """No course folder was found (see ``find_course``); the message says what to do."""


def is_course(folder: Path) -> bool:
    """A course is a folder with the instructor's sources (``solutions/``) and the grader's
    expected results (``grader/expected/``), as in a checkout of this project."""
    return (folder / "solutions").is_dir() and (folder / "grader" / "expected").is_dir()


def _not_a_course(named: str) -> NoCourseError:
    return NoCourseError(f"{named} is not a course: it has no solutions/ and grader/expected/ "
                         "folders (name the project checkout, or a copy of it)")


def find_course(folder=None) -> Path:
    """The course folder, resolved: ``folder`` if given; else ``$NN_COURSE_DIR`` if set; else the
    current folder or the nearest one above it that is a course (``is_course``); else the
    checkout the ``grader`` package is imported from (an editable install). Raises
    ``NoCourseError``, with a one-line message, when none is a course."""
    if folder is not None:
        path = Path(folder).expanduser().resolve()
        if not is_course(path):
            raise _not_a_course(str(path))
        return path
    named = os.environ.get(COURSE_VARIABLE)
    if named:
        path = Path(named).expanduser().resolve()
        if not is_course(path):
            raise _not_a_course(f"{COURSE_VARIABLE}={named}")
        return path
    try:
        here = Path.cwd().resolve()
    except OSError:                         # the current folder was deleted
        here = None
    for candidate in ([here, *here.parents] if here else []):
        if is_course(candidate):
            return candidate
    spec = importlib.util.find_spec("grader")
    if spec is not None and spec.submodule_search_locations:
        checkout = Path(list(spec.submodule_search_locations)[0]).resolve().parent
        if is_course(checkout):
            return checkout
    raise NoCourseError(f"no course found in {here or 'the current folder'} (a course has "
                        "solutions/ and grader/expected/): run it from the project checkout, pass "
                        f"--course DIR or set {COURSE_VARIABLE}")


def expected_path(assignment: str) -> Path:
    """Where ``python -m grader build`` writes the expected results of an assignment: in the
    course's ``grader/expected/`` (see ``find_course``)."""
    return find_course() / "grader" / "expected" / f"{assignment}.json"
