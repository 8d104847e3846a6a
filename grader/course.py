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
from dataclasses import dataclass
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
           "OutputTree", "use_course"]

# written next to a submission by nbgrader submit and collect, and kept with its autograded copy
TIMESTAMP_FILE = "timestamp.txt"
SECRET_FILE = "submission_secret.txt"
UNKNOWN_ASSIGNMENT = "_unknown"          # the folder of results whose assignment is unknown


@dataclass(frozen=True)
class OutputTree:
    """Every path the grader writes (and reads back) under its output folder, as nbgrader's
    ``CourseDirectory.format_path`` names its steps' folders::

        <root>/results/<assignment>/<student>.json          one result per submission
        <root>/grades.csv
        <root>/gradebook.db                                  the default gradebook
        <root>/release/                                      nbgrader's generate_assignment output
        <root>/submitted/<student>/<assignment>/             what nbgrader collect writes, and
                                                             the grader's copy of the others
        <root>/autograded/<student>/<assignment>/            what the Formgrader reads
        <root>/feedback/<student>/<assignment>/<assignment>.html
        <root>/report/                                       the class report (instructors)
    """
    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def of(cls, output=None) -> "OutputTree":
        """The tree in ``output``, by default the course's ``course/`` folder."""
        return cls(Path(output) if output else __getattr__("WORK_DIR"))

    @property
    def results(self) -> Path:
        return self.root / "results"

    def result(self, student: str, assignment: str) -> Path:
        return self.results / (assignment or UNKNOWN_ASSIGNMENT) / f"{student}.json"

    def result_files(self) -> list[Path]:
        """Every saved result, sorted; the file's place names its (student, assignment)."""
        return sorted(self.results.glob("*/*.json"))

    @property
    def csv(self) -> Path:
        return self.root / "grades.csv"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def gradebook_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted_root(self) -> Path:
        return self.root / "submitted"

    def submitted(self, student: str, assignment: str) -> Path:
        return self.submitted_root / student / assignment

    @property
    def autograded_root(self) -> Path:
        return self.root / "autograded"

    def autograded(self, student: str, assignment: str) -> Path:
        return self.autograded_root / student / assignment

    @property
    def feedback_root(self) -> Path:
        return self.root / "feedback"

    @property
    def report_root(self) -> Path:
        return self.root / "report"

    def feedback(self, student: str, assignment: str) -> Path:
        """nbgrader's layout: the page is named after the notebook, named after the assignment."""
        name = assignment or UNKNOWN_ASSIGNMENT
        return self.feedback_root / student / name / f"{name}.html"


def use_course(folder=None) -> Path:
    """Work on the course in ``folder`` (default: the one ``find_course`` finds) and return it;
    raises ``NoCourseError`` if it is not a course."""
    root = find_course(folder)
    globals().update(ROOT=root, SOURCE_DIR=root / "solutions", RELEASE_DIR=root / "notebooks",
                     EXPECTED_DIR=root / "grader" / "expected", WORK_DIR=root / "course")
    return root


def __getattr__(name: str):
    if name in COURSE_PATHS:            # first use: find the course
        if name not in globals():
            use_course()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
