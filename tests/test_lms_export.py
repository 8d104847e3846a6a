"""``python -m grader export``: grades.csv's totals in the layouts Canvas's and Moodle's grade
imports read (grader/record/lms.py), made from saved results written here directly (no kernel
runs): the header and Points Possible row Canvas documents, Moodle's identifier column, scores
that read back as grades.csv has them, one line per student missing from the roster, and one
line for a malformed roster."""
import csv
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook as NbGradebook

from grader.nbgrader.notebooks import nbgrader_meta, release_notebook
from grader.record import lms
from grader.course import OutputTree
from grader.record.gradebook import Gradebook
from grader.record.grades_csv import write_csv
from grader.record.store import load_results, save_result
from grader.results import FAILED, GRADED, CellResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
EX1, EX2 = "ex1_softmax", "ex2_backprop"


def _result(student, assignment, score, max_score, written=None, status=GRADED):
    """A result as autograde saves it; ``written``: the hand-graded answers (points each)."""
    manual = {gid: {"points": points, "answered": True, "text": "..."}
              for gid, points in (written or {}).items()}
    return SubmissionResult(student, assignment, f"{student}_{assignment}.ipynb", "0" * 64,
                            status, score=score if status == GRADED else None,
                            max_score=max_score, manual=manual)


def _ex1(student, lost=()):
    """An ex1 result with the release notebook's real grade ids, so the gradebook takes it;
    the tests in ``lost`` failed, the written answers are answered."""
    cells, manual = [], {}
    for cell in release_notebook(EX1).cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        gid, points = meta["grade_id"], float(meta.get("points", 0))
        if meta.get("solution"):
            manual[gid] = {"points": points, "answered": True, "text": "an answer"}
        else:
            cells.append(CellResult(gid, points, 0.0 if gid in lost else points, gid not in lost))
    return SubmissionResult(student, EX1, f"{student}.ipynb", "0" * 64, GRADED,
                            score=sum(c.score for c in cells),
                            max_score=sum(c.points for c in cells), manual=manual, cells=cells)


def _course(tmp_path, results):
    output = tmp_path / "course"
    for result in results:
        save_result(OutputTree(output), result)
    return output


def _roster(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "grader", "export", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


CLASS = [_result("alice", EX1, 12, 12), _result("alice", EX2, 19.5, 24),
         _result("bob", EX1, 7.25, 12), _result("carol", EX2, 0, 24)]
ROSTER = ("student,name,canvas_id,sis_user_id,sis_login_id,section,email,username,idnumber\n"
          'alice,"Doe, Alice",101,S1,adoe,Lab A,alice@uni.example,adoe,N1\n'
          "bob,Bob Roe,102,S2,broe,Lab B,bob@uni.example,broe,N2\n"
          "carol,Carol Poe,103,S3,cpoe,Lab A,carol@uni.example,cpoe,N3\n"
          "dave,Dave Moe,104,S4,dmoe,Lab B,dave@uni.example,dmoe,N4\n")


def test_canvas_layout_and_scores_read_back(tmp_path):
    output = _course(tmp_path, CLASS)
    target = tmp_path / "canvas.csv"
    lines = []
    exported = lms.export(lms.CANVAS, output, target, _roster(tmp_path, ROSTER), warn=lines.append)
    assert not exported.left_out and not lines
    rows = _rows(target)
    # Canvas's import layout: the student columns, one column per assignment (by name), and the
    # Points Possible row second
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", EX1, EX2]
    assert rows[1] == ["Points Possible", "", "", "", "", "12", "24"]
    assert rows[2][:5] == ["Doe, Alice", "101", "S1", "adoe", "Lab A"]
    body = {row[3]: row[5:] for row in rows[2:]}
    assert body == {"adoe": ["12", "19.5"], "broe": ["7.25", ""], "cpoe": ["", "0"],
                    "dmoe": ["", ""]}                # a roster student with no grade: empty
    # every score is grades.csv's score for that student and assignment
    write_csv(tmp_path / "grades.csv", load_results(output / "results")[0])
    logins = {"alice": "adoe", "bob": "broe", "carol": "cpoe"}
    for row in csv.DictReader(open(tmp_path / "grades.csv", newline="")):
        column = 5 + [EX1, EX2].index(row["assignment"])
        [exported_row] = [r for r in rows[2:] if r[3] == logins[row["student"]]]
        assert float(exported_row[column]) == float(row["score"])


def test_moodle_layout_and_its_identifier(tmp_path):
    output = _course(tmp_path, CLASS)
    roster = _roster(tmp_path, ROSTER)
    lms.export(lms.MOODLE, output, tmp_path / "moodle.csv", roster, warn=pytest.fail)
    rows = _rows(tmp_path / "moodle.csv")
    assert rows[0] == ["Email address", EX1, EX2]       # no Points Possible row: Moodle would
    assert rows[1] == ["alice@uni.example", "12", "19.5"]   # read it as a student
    assert {row[0]: row[1:] for row in rows[1:]} == {
        "alice@uni.example": ["12", "19.5"], "bob@uni.example": ["7.25", ""],
        "carol@uni.example": ["", "0"], "dave@uni.example": ["", ""]}
    lms.export(lms.MOODLE, output, tmp_path / "by-id.csv", roster, moodle_id="idnumber",
               warn=pytest.fail)
    assert _rows(tmp_path / "by-id.csv")[0][0] == "ID number"
    ids_only = _roster(tmp_path, "student,username\nalice,adoe\nbob,broe\ncarol,cpoe\n")
    lms.export(lms.MOODLE, output, tmp_path / "by-name.csv", ids_only, warn=pytest.fail)
    assert _rows(tmp_path / "by-name.csv")[0] == ["Username", EX1, EX2]


def test_without_a_roster_the_course_ids_are_used_and_it_says_so(tmp_path):
    output = _course(tmp_path, CLASS)
    run = _cli("--format", "moodle", "--output-dir", output)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("\n") == 1 and "no roster" in run.stderr
    rows = _rows(output / "grades-moodle.csv")
    assert rows[0] == ["Username", EX1, EX2]
    assert [row[0] for row in rows[1:]] == ["alice", "bob", "carol"]


def test_a_student_missing_from_the_roster_gets_one_line_and_exit_status_1(tmp_path):
    output = _course(tmp_path, CLASS + [_result("erin", EX1, 11, 12)])
    roster = _roster(tmp_path, "student,sis_user_id\nalice,S1\nbob,S2\n")
    target = tmp_path / "canvas.csv"
    run = _cli("--format", "canvas", "--roster", roster, "--output-dir", output,
               "--output", target)
    assert run.returncode == 1
    missing = [line for line in run.stderr.splitlines() if line.startswith("not in the roster")]
    assert missing == [f"not in the roster: carol ({EX2} 0/24): add a row for them",
                       f"not in the roster: erin ({EX1} 11/12): add a row for them"]
    assert "2 graded students left out" in run.stderr
    ids = [row[2] for row in _rows(target)[2:]]
    assert ids == ["S1", "S2"]                       # left out of the file, not given empty ids
    assert "traceback" not in run.stderr.lower()


@pytest.mark.parametrize("text, expected", [
    ("student,name,emial\nalice,A,a@x\n", "line 1: unknown column 'emial'"),
    ("name,email\nAlice,a@x\n", "line 1: no 'student' column"),
    ("student,name\nalice,Alice\n", "line 1: Moodle matches students by email, username or idnumber"),
    ("student,email\nalice,a@x\nbob\n", "line 3: 1 fields where the header has 2"),
    ("student,email\nalice,a@x\n\nbob,\n", "line 4: bob has no email: fill it in"),
    ("student,email\nalice,a@x\nbob,a@x\n", "line 3: email a@x is also on line 2"),
    ("", "is empty"),
])
def test_a_malformed_roster_is_one_line(tmp_path, text, expected):
    with pytest.raises(lms.RosterError, match=expected.replace("(", r"\(")):
        lms.read_roster(_roster(tmp_path, text), lms.MOODLE)


def test_a_malformed_roster_stops_the_command_in_one_line(tmp_path):
    output = _course(tmp_path, CLASS)
    roster = _roster(tmp_path, "student,sis_user_id\nalice,S1\nbob,\n")
    target = tmp_path / "canvas.csv"
    run = _cli("--format", "canvas", "--roster", roster, "--output-dir", output,
               "--output", target)
    assert run.returncode == 1 and not target.exists()
    assert run.stderr.splitlines() == [
        f"error: {roster} line 3: bob has no sis_user_id: fill it in (or remove the row)"]
    run = _cli("--format", "canvas", "--roster", tmp_path / "nope.csv", "--output-dir", output)
    assert run.returncode == 1 and run.stderr.count("\n") == 1
    assert run.stderr.startswith(f"error: no roster at {tmp_path / 'nope.csv'}")
    run = _cli("--format", "blackboard", "--output-dir", output)
    assert run.returncode == 2 and "invalid choice: 'blackboard'" in run.stderr
    assert "Traceback" not in run.stderr


def test_failed_submissions_and_pending_hand_grading_are_flagged(tmp_path):
    output = _course(tmp_path, [_result("alice", EX1, 8, 8, written={"derivation": 4}),
                                _result("bob", EX1, 0, 8, status=FAILED)])
    lines = []
    exported = lms.export(lms.MOODLE, output, tmp_path / "m.csv", warn=lines.append)
    assert exported.pending == 1 and exported.failed == 1
    assert any(line.startswith("1 grade still awaits hand grading") for line in lines)
    assert any(line.startswith("1 submission could not be graded") for line in lines)
    assert _rows(tmp_path / "m.csv")[1:] == [["alice", "8"], ["bob", ""]]


@pytest.mark.slow                  # registering the assignment in nbgrader's gradebook: ~15 s
def test_points_given_by_hand_are_in_the_total(tmp_path):
    """With the gradebook: the written answers' points given in the Formgrader count, as in
    grades.csv; an answer not graded yet keeps its student's total flagged as pending."""
    alice, bob = _ex1("alice"), _ex1("bob", lost={_ex1("x").cells[0].grade_id})
    output = _course(tmp_path, [alice, bob])
    db_url = f"sqlite:///{output / 'gradebook.db'}"
    gradebook = Gradebook(db_url)
    gradebook.register(EX1, tmp_path / "release")
    for result in (alice, bob):
        gradebook.record(result, "2026-01-05 10:00:00.000000 UTC")
    given = {}                                       # alice's written answers, each given points
    with NbGradebook(db_url) as gb:
        for written, info in alice.manual.items():
            given[written] = min(3.0, info["points"])
            gb.find_grade(written, EX1, EX1, "alice").manual_score = given[written]
        gb.db.commit()
    lines = []
    exported = lms.export(lms.CANVAS, output, tmp_path / "c.csv", warn=lines.append)
    assert exported.pending == 1                     # bob's written answer waits
    rows = _rows(tmp_path / "c.csv")
    written_points = sum(info["points"] for info in alice.manual.values())
    assert rows[1][5] == f"{alice.max_score + written_points:g}"
    scores = {row[3]: float(row[5]) for row in rows[2:]}
    assert scores == {"alice": alice.score + sum(given.values()), "bob": bob.score}
    write_csv(tmp_path / "grades.csv", [alice, bob], marks=gradebook.marks([alice, bob]))
    for row in csv.DictReader(open(tmp_path / "grades.csv", newline="")):
        assert scores[row["student"]] == float(row["score"])
