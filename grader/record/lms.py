"""Gradebooks for learning platforms: the totals of grades.csv laid out as Canvas's and Moodle's
grade imports read them, with a roster that maps the course's student ids to the platform's.

The grades are read as grades.csv is made: the saved results (``store.load_results``) and the
gradebook's marks (``Gradebook.marks``), so a cell holds the same total as grades.csv's
``score``: the tests plus the points given by hand so far.

**The roster** is a CSV file with a header line; ``student`` is the course's id (grades.csv's
``student``), and the other columns are the platform's ids (``ROSTER_COLUMNS``). Canvas needs one
of ``canvas_id``, ``sis_user_id``, ``sis_login_id`` on every row (``name`` and ``section`` are
copied when given); Moodle needs the column it matches students on (``email``, ``username`` or
``idnumber``) on every row. Without a roster, the course's ids are written as the platform's
login (Canvas's SIS Login ID, Moodle's username).

**A graded student who is not in the roster is left out of the file**, with one line each on
stderr, and the export ends with exit status 1. Writing their row with an empty id would be
worse on both platforms: Moodle aborts the whole import at a row whose user it cannot find
(``gradeimport_csv_load_data::prepare_import_grade_data``), and Canvas cannot match it to a
student. The file as written imports cleanly; the warning and the exit status make sure the
missing students are seen, added to the roster and exported again. A roster student without a
grade for an assignment gets an empty cell.

**Grades still waiting for hand grading** are exported with the points given so far (what
grades.csv's ``score`` holds), and one line says how many there are: they are not final.
Submissions that could not be graded get an empty cell, and a line that says so.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import OutputTree
from grader.record.atomic import replace_file
from grader.record.gradebook import Gradebook
from grader.record.marks import Marks
from grader.record.store import load_results
from grader.results import GRADED
from grader.text import readable

CANVAS, MOODLE = "canvas", "moodle"
FORMATS = (CANVAS, MOODLE)
ROSTER_COLUMNS = ("student", "name", "canvas_id", "sis_user_id", "sis_login_id", "section",
                  "email", "username", "idnumber")
CANVAS_IDS = ("canvas_id", "sis_user_id", "sis_login_id")
MOODLE_IDS = ("email", "username", "idnumber")

# Canvas: Grades > Import reads a CSV in the layout of its own gradebook export: the columns
# Student, ID, SIS User ID, SIS Login ID, Section, then one column per assignment, headed by the
# assignment's name (or "Name (id)" as Canvas exports it; a name Canvas does not know becomes a
# new assignment), and a "Points Possible" row second. A student is matched by ID, SIS User ID or
# SIS Login ID. Followed: Canvas's Instructor Guide "How do I import grades in the Gradebook?"
# (community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807)
# as summarised by Ohio State's "Import a CSV file to Carmen Grades"
# (teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/
# import-csv-file-carmen-grades) and the column description of Canvas's export in nemogb's
# "Detailed Canvas Export Info" (nemogb-dev.github.io/nemogb-r/articles/
# detailed-canvas-export-info.html).
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"

# Moodle: Grades > Import > CSV file reads a header line and one row per student; on its preview
# page the teacher chooses which column identifies the user ("Map from") and which user field it
# holds ("Map to": email address, username, ID number or user id), and maps each other column to
# a grade item or to a new one. A row whose user is not found aborts the whole import; an empty
# cell means no grade. Followed: MoodleDocs "Grade import" (docs.moodle.org/311/en/Grade_import)
# and Moodle's grade/import/csv/classes/load_data.php (map_user_data_with_value).
MOODLE_HEADERS = {"email": "Email address", "username": "Username", "idnumber": "ID number"}


class RosterError(Exception):
    """The roster cannot be used; the message is one line naming the line and the fix."""


@dataclass
class Grade:
    """One student's grade for one assignment, as the export writes it."""
    score: str                  # grades.csv's score: "" when the submission was not graded
    max_score: float
    pending: bool               # written answers still waiting for hand grading
    failed: bool                # the submission could not be graded

    def describe(self, assignment: str) -> str:
        if self.failed:
            return f"{assignment} not graded"
        return f"{assignment} {self.score}/{self.max_score:g}" + (", pending" if self.pending else "")


@dataclass
class Grades:
    """Every grade, by student and assignment, and each assignment's points."""
    grades: dict = field(default_factory=dict)          # (student, assignment) -> Grade
    points: dict = field(default_factory=dict)          # assignment -> points possible

    @property
    def students(self) -> list[str]:
        return sorted({student for student, _ in self.grades})

    @property
    def assignments(self) -> list[str]:
        return sorted(self.points)


@dataclass
class Exported:
    """What ``export`` wrote and what the instructor should know about it."""
    path: Path
    students: int = 0
    assignments: int = 0
    left_out: list = field(default_factory=list)        # one line per graded student left out
    pending: int = 0
    failed: int = 0


# --- the grades --------------------------------------------------------------------------------

def read_grades(output: Path, db_url: str = "", warn: Callable[[str], None] = print) -> Grades:
    """The grades as grades.csv has them, from ``output/results`` and the gradebook (``db_url``,
    default ``output/gradebook.db``). Unreadable results are reported through ``warn``."""
    results, unreadable = load_results(OutputTree(output).results)
    for path in unreadable:
        warn(f"skipped {path}: not a readable result")
    nameless = [r for r in results if not r.assignment]
    if nameless:
        warn(f"left out {len(nameless)} result{'s' if len(nameless) != 1 else ''} with no "
             "assignment (their file names did not say which; see grades.csv)")
    results = [r for r in results if r.assignment]
    gradebook = Gradebook(db_url or OutputTree(output).gradebook_url)
    try:
        marks = gradebook.marks(results)
    except Exception as error:  # noqa: BLE001 - the tests' points beat no export at all
        warn(f"the gradebook could not be read, so the export leaves out the points given by "
             f"hand: {gradebook.describe(error)}")
        marks = {}
    book = Grades()
    for result in results:
        mark = marks.get((result.student, result.assignment)) or Marks.of_result(result)
        score = mark.csv_fields(bool(result.manual))["score"]
        book.grades[(result.student, result.assignment)] = Grade(
            score=score, max_score=mark.max_score, pending=bool(mark.pending),
            failed=result.status != GRADED or score == "")
        book.points[result.assignment] = max(book.points.get(result.assignment, 0.0),
                                             mark.max_score)
    return book


# --- the roster --------------------------------------------------------------------------------

def read_roster(path: Path, platform: str, moodle_id: str | None = None) -> tuple[list, str]:
    """The roster's rows (dicts with every column of ``ROSTER_COLUMNS``, in the file's order) and
    the column the platform matches on (Moodle's; "" for Canvas). Raises ``RosterError``."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"no roster at {path}: pass the CSV file that maps the course's "
                          "student ids to the platform's (see docs/instructors.md)") from None
    except IsADirectoryError:
        raise RosterError(f"{path} is a folder: pass the roster's CSV file") from None
    except UnicodeDecodeError:
        raise RosterError(f"{path} is not UTF-8 text: save it as CSV UTF-8") from None
    lines = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(lines, [])]
    except csv.Error as error:
        raise RosterError(f"{path} line 1: {error}: save it again as a plain CSV file") from None
    where = f"{path} line 1"
    if not any(header):
        raise RosterError(f"{path} is empty: its first line is the header, e.g. "
                          f"{','.join(ROSTER_COLUMNS)}")
    unknown = [name for name in header if name not in ROSTER_COLUMNS]
    if unknown:
        raise RosterError(f"{where}: unknown column {unknown[0]!r}: the columns are "
                          f"{', '.join(ROSTER_COLUMNS)}")
    twice = [name for name in header if header.count(name) > 1]
    if twice:
        raise RosterError(f"{where}: the column {twice[0]!r} is there twice: keep one")
    if "student" not in header:
        raise RosterError(f"{where}: no 'student' column: add one with the course's student "
                          "ids (grades.csv's student)")
    if platform == CANVAS:
        ids = [name for name in CANVAS_IDS if name in header]
        if not ids:
            raise RosterError(f"{where}: Canvas matches students by canvas_id, sis_user_id or "
                              "sis_login_id: add one of these columns")
        key = ""
    else:
        key = moodle_id or next((name for name in MOODLE_IDS if name in header), "")
        if key not in header:
            wanted = key or "email, username or idnumber"
            raise RosterError(f"{where}: Moodle matches students by {wanted}: add that column")
        ids = [key]
    rows, seen = [], {}
    while True:
        try:
            fields = next(lines, None)
        except csv.Error as error:
            raise RosterError(f"{path} line {lines.line_num}: {error}: save it again as a plain "
                              "CSV file") from None
        if fields is None:
            break
        number = lines.line_num
        if not any(value.strip() for value in fields):
            continue                                     # blank lines are allowed
        where = f"{path} line {number}"
        if len(fields) != len(header):
            raise RosterError(f"{where}: {len(fields)} fields where the header has "
                              f"{len(header)}: quote a value that holds a comma")
        row = dict.fromkeys(ROSTER_COLUMNS, "")
        row.update((name, value.strip()) for name, value in zip(header, fields))
        if not row["student"]:
            raise RosterError(f"{where}: no student id: fill in the course's id for this row")
        if not any(row[name] for name in ids):
            raise RosterError(f"{where}: {row['student']} has no {' or '.join(ids)}: fill it in "
                              "(or remove the row)")
        for name in ("student", *ids):
            if row[name] and (name, row[name]) in seen:
                raise RosterError(f"{where}: {name} {row[name]} is also on line "
                                  f"{seen[(name, row[name])]}: each student needs their own")
            seen[(name, row[name])] = number
        rows.append(row)
    return rows, key


# --- the files ---------------------------------------------------------------------------------

def _canvas(book: Grades, roster: list) -> list[list[str]]:
    """Canvas's layout: the student columns, the Points Possible row, a row per student."""
    assignments = book.assignments
    rows = [CANVAS_HEADER + assignments,
            [POINTS_POSSIBLE, "", "", "", ""] + [_points(book.points[a]) for a in assignments]]
    for entry in roster:
        student = entry["student"]
        rows.append([entry["name"] or student, entry["canvas_id"], entry["sis_user_id"],
                     entry["sis_login_id"], entry["section"]]
                    + [_cell(book, student, a) for a in assignments])
    return rows


def _moodle(book: Grades, roster: list, key: str) -> list[list[str]]:
    """Moodle's layout: the column that identifies the user, then one per grade item."""
    assignments = book.assignments
    rows = [[MOODLE_HEADERS[key]] + assignments]
    for entry in roster:
        rows.append([entry[key]] + [_cell(book, entry["student"], a) for a in assignments])
    return rows


def _points(value: float) -> str:
    """An assignment's points; "" when no result knows them (only failed submissions, no
    gradebook)."""
    return f"{value:g}" if value else ""


def _cell(book: Grades, student: str, assignment: str) -> str:
    grade = book.grades.get((student, assignment))
    return "" if grade is None or grade.failed else grade.score


def export(platform: str, output: Path, target: Path, roster_path: Path | None = None, *,
           db_url: str = "", moodle_id: str | None = None,
           warn: Callable[[str], None] = print) -> Exported:
    """Write ``target``, the gradebook of ``output`` (the folder autograde wrote to) for
    ``platform`` (``CANVAS`` or ``MOODLE``), its students mapped through the roster at
    ``roster_path`` (without one, by the course's ids). Everything the instructor should know
    goes through ``warn``, one line each. Raises ``RosterError`` before writing anything."""
    if platform not in FORMATS:
        raise ValueError(f"unknown format {platform!r}: {' or '.join(FORMATS)}")
    if roster_path is not None:
        roster, key = read_roster(roster_path, platform, moodle_id)
    else:
        roster, key = None, "username"
    book = read_grades(output, db_url, warn)
    exported = Exported(Path(target), assignments=len(book.assignments))
    if roster is None:
        where = "Canvas's SIS Login ID" if platform == CANVAS else "Moodle's Username"
        warn(f"no roster: the course's student ids are written as {where}, which matches "
             "only if they are the students' logins there (--roster maps them)")
        roster = [dict(dict.fromkeys(ROSTER_COLUMNS, ""), student=s, sis_login_id=s, username=s)
                  for s in book.students]
    listed = {entry["student"] for entry in roster}
    for student in book.students:
        if student not in listed:
            grades = ", ".join(book.grades[(student, a)].describe(a) for a in book.assignments
                               if (student, a) in book.grades)
            exported.left_out.append(f"not in the roster: {readable(student)} ({grades}): "
                                     "add a row for them")
    for line in exported.left_out:
        warn(line)
    exported.students = len(roster)
    written = [book.grades[(e["student"], a)] for e in roster for a in book.assignments
               if (e["student"], a) in book.grades]
    pending = [g for g in written if g.pending and not g.failed]
    exported.pending, exported.failed = len(pending), sum(g.failed for g in written)
    if exported.pending:
        warn(f"{exported.pending} grade{'s still await' if exported.pending != 1 else ' still awaits'}"
             " hand grading: their cells hold the points given so far, not a final total; grade them "
             "in the Formgrader and export again")
    if exported.failed:
        warn(f"{exported.failed} submission{'s' if exported.failed != 1 else ''} could not be "
             "graded (see grades.csv): their cells are empty")
    rows = _canvas(book, roster) if platform == CANVAS else _moodle(book, roster, key)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [[readable(value) for value in row] for row in rows])
    replace_file(Path(target), buffer.getvalue().encode("utf-8"))
    return exported
