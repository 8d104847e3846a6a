"""A whole term with real nbgrader, a real Jupyter server and a real SQLite gradebook, in a
temporary copy of the course (its notebooks and nbgrader configuration; nothing is written into
the project's course/ folder):

release through the exchange -> two students fetch, answer and submit -> nbgrader collect ->
python -m grader autograde -> the Formgrader's own HTTP API lists both submissions for manual
grading and shows each test's result -> a written answer is graded and commented through that
API -> autograde again (resume) keeps the grade -> grades.csv and nbgrader export agree ->
python -m grader feedback -> nbgrader release_feedback -> a student's nbgrader fetch_feedback
gets a page with the hand-graded points and the comment.

nbgrader's exchange names students by the OS user; each student's commands here pass
``--student`` (CourseDirectory.student_id) and their own ``Exchange.cache``, as two users on a
shared JupyterHub would have. No step depends on timing: every wait is for an answer.
"""
import csv
import html
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from grader import course
from grader.build import submissions
from grader.build.mutants import mutants_of
from grader.nbgrader.api import course_config
from grader.record.formgrader_tree import INSTRUCTOR_ONLY
from corpora.points import auto_points, hand_points
from jupyter_helpers import jupyter_env, jupyter_server
from leak_checks import leaks

ROOT = course.ROOT
ASSIGNMENT = "ex1_softmax"
FULL, WRITTEN_POINTS = auto_points(ASSIGNMENT), hand_points(ASSIGNMENT)   # tests, written answers
WRITTEN = "derivation_softmax_ce"                 # one of ex1's written answers (4 points)
XSS = "<script>alert(1)</script>"
CONTINUED = "So dE/dz = y - t, because the targets sum to one."
COMMENT = "Right; say <b>why</b> the targets sum to one."
COMMAND_TIMEOUT = 600                             # a hang fails the test instead of blocking it


class Term:
    """The course copy, the students' homes and how to run each side's commands."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.course = tmp / "course-copy"
        self.work = self.course / "course"         # nbgrader's course/ folder of the copy
        self.env = jupyter_env(tmp)
        self.course_id = course_config().CourseDirectory.course_id
        for folder in ("solutions", "notebooks"):
            shutil.copytree(ROOT / folder, self.course / folder)
        # a course is solutions/ with grader/expected/ (course_lib.exercises.is_course)
        shutil.copytree(ROOT / "grader" / "expected", self.course / "grader" / "expected")
        shutil.copy(ROOT / "nbgrader_config.py", self.course)
        # the course's own configuration, which maps nbgrader onto the folder above it, and the
        # Formgrader's templates beside it (its MathJax from this machine)
        settings = self.course / "grader" / "nbgrader"
        shutil.copytree(ROOT / "grader" / "nbgrader" / "templates", settings / "templates")
        shutil.copy(ROOT / "grader" / "nbgrader" / "nbgrader_config.py", settings)

    def run(self, command: list, cwd: Path, code: int = 0) -> str:
        """Run ``command``; its output, once it exited with ``code``."""
        done = subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)
        assert done.returncode == code, (f"{' '.join(map(str, command))} exited "
                                      f"{done.returncode}:\n{done.stdout[-3000:]}\n"
                                      f"{done.stderr[-3000:]}")
        return done.stdout + done.stderr

    def instructor(self, *args) -> str:
        return self.run([sys.executable, "-m", "nbgrader", *args], self.course)

    def home(self, student: str) -> Path:
        return self.tmp / "home" / student

    def student(self, student: str, *args) -> str:
        self.home(student).mkdir(parents=True, exist_ok=True)
        return self.run([sys.executable, "-m", "nbgrader", *args, f"--student={student}",
                         f"--CourseDirectory.course_id={self.course_id}",
                         f"--Exchange.root={self.work / 'exchange'}",
                         "--Exchange.path_includes_course=True",
                         f"--Exchange.cache={self.home(student) / '.nbgrader-cache'}"],
                        self.home(student))

    def fetched(self, student: str) -> Path:
        return self.home(student) / self.course_id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    def grader(self, *args, code: int = 0) -> str:
        return self.run([sys.executable, "-m", "grader", *args], ROOT, code)


def _answer(term: Term, student: str, nb: nbformat.NotebookNode) -> None:
    """The student's edits, saved over the fetched copy (its cell ids and metadata kept)."""
    fetched = nbformat.read(term.fetched(student), as_version=4)
    assert [c.get("id") for c in fetched.cells] == \
        [c.get("id") for c in submissions.release_notebook(ASSIGNMENT).cells]
    nbformat.write(nb, term.fetched(student))


def _bob() -> nbformat.NotebookNode:
    """A typical mistake, a written answer with a script tag and maths, continued in a cell he
    added below it."""
    mutant = mutants_of(ASSIGNMENT)[0]
    nb = submissions.filled_release(ASSIGNMENT, {**mutant.overrides,
                                                 WRITTEN: f"By the chain rule {XSS} $a<b$."})
    where = next(i for i, c in enumerate(nb.cells) if submissions.grade_id(c) == WRITTEN)
    nb.cells.insert(where + 1, nbformat.v4.new_markdown_cell(CONTINUED))
    return nb


def _by_student(rows) -> dict:
    return {row["student"]: row for row in rows}


def _check_formgrader_lists_both(server, failing_test: str) -> dict:
    """The Formgrader's views of the class; returns the notebook submissions by student."""
    assignments = {a["name"]: a for a in server.get_json("/formgrader/api/assignments")}
    assert assignments[ASSIGNMENT]["num_submissions"] == 2
    listed = _by_student(server.get_json(f"/formgrader/api/submissions/{ASSIGNMENT}"))
    assert sorted(listed) == ["alice", "bob"]
    for row in listed.values():                    # "Manage Submissions": graded, with a time
        assert row["autograded"] and row["submitted"] and row["timestamp"]
        assert row["max_score"] == FULL + WRITTEN_POINTS and row["needs_manual_grade"]
    assert listed["alice"]["score"] == FULL and listed["bob"]["score"] < FULL
    for student in listed:                         # a student's page: not "(no submission)"
        [mine] = [s for s in server.get_json(f"/formgrader/api/student_submissions/{student}")
                  if s["name"] == ASSIGNMENT]
        assert mine["autograded"] and mine["submitted"]
    notebooks = _by_student(server.get_json(
        f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}"))
    assert sorted(notebooks) == ["alice", "bob"]   # "Manual Grading" lists both
    assert all(nb["index"] is not None for nb in notebooks.values())
    assert notebooks["bob"]["failed_tests"]
    status, page = server.get(f"/formgrader/submissions/{notebooks['bob']['id']}/")
    assert status == 200, page[:500]
    assert f"{failing_test}: 0 / " in page and "FAILED" in page      # the test's own result
    assert html.escape(CONTINUED, quote=False) in page               # the whole written answer
    assert XSS not in page and "alert(1)" in page                    # shown, inert
    assert not leaks(page, ASSIGNMENT)
    # the marker sees the model answer and the rubric right below the written answer
    assert INSTRUCTOR_ONLY in page and "Common wrong answers" in page
    assert page.index(html.escape(CONTINUED, quote=False)) < page.index(INSTRUCTOR_ONLY)
    return notebooks


def _grade_by_hand(server, submission_id: str) -> str:
    """Grade and comment bob's written answer as the Formgrader's page does (3 points; his other
    written answers get 0, so that nothing is left pending); its grade id."""
    grades = server.get_json(f"/formgrader/api/grades?submission_id={submission_id}")
    [grade] = [g for g in grades if g["name"] == WRITTEN]
    for other in grades:
        if other["name"] != WRITTEN and other["auto_score"] is None:
            server.put_json(f"/formgrader/api/grade/{other['id']}", {"manual_score": 0})
    assert grade["auto_score"] is None and grade["needs_manual_grade"]
    saved = server.put_json(f"/formgrader/api/grade/{grade['id']}", {"manual_score": 3})
    assert saved["manual_score"] == 3 and not saved["needs_manual_grade"]
    [comment] = [c for c in server.get_json(
        f"/formgrader/api/comments?submission_id={submission_id}") if c["name"] == WRITTEN]
    server.put_json(f"/formgrader/api/comment/{comment['id']}", {"manual_comment": COMMENT})
    return grade["id"]


def _project_files() -> set:
    """The files in the project's own course/ folder, which the test must leave alone."""
    return {p for p in (ROOT / "course").rglob("*") if p.is_file()}


def test_a_whole_term(tmp_path):
    before = _project_files()
    term = Term(tmp_path)
    term.instructor("release_assignment", ASSIGNMENT)
    for student in ("alice", "bob"):
        term.student(student, "fetch_assignment", ASSIGNMENT)
    _answer(term, "alice", submissions.filled_release(ASSIGNMENT))
    _answer(term, "bob", _bob())
    for student in ("alice", "bob"):
        term.student(student, "submit", ASSIGNMENT)
    term.instructor("collect", ASSIGNMENT)
    submitted = term.work / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]

    term.grader("autograde", str(submitted), "--output", str(term.work), "--jobs", "2")
    for student in ("alice", "bob"):
        folder = term.work / "autograded" / student / ASSIGNMENT
        assert (folder / "timestamp.txt").read_text() == \
            (submitted / student / ASSIGNMENT / "timestamp.txt").read_text()
        assert not leaks((folder / f"{ASSIGNMENT}.ipynb").read_text(), ASSIGNMENT)
    failing_test = mutants_of(ASSIGNMENT)[0].must_fail[0]

    with jupyter_server(term.course, tmp_path, app="server") as server:
        notebooks = _check_formgrader_lists_both(server, failing_test)
        grade_id = _grade_by_hand(server, notebooks["bob"]["id"])
        again = term.grader("autograde", str(submitted), "--output", str(term.work))
        assert "2 submissions already graded and unchanged" in again
        kept = server.get_json(f"/formgrader/api/grade/{grade_id}")
        assert kept["manual_score"] == 3 and not kept["needs_manual_grade"]

    ours = _by_student(csv.DictReader(open(term.work / "grades.csv", encoding="utf-8")))
    term.instructor("export", f"--to={tmp_path / 'export.csv'}")
    theirs = _by_student({**row, "student": row["student_id"]} for row in
                         csv.DictReader(open(tmp_path / "export.csv", encoding="utf-8")))
    for student in ("alice", "bob"):
        assert float(ours[student]["score"]) == float(theirs[student]["score"]), student
        assert float(ours[student]["max_score"]) == float(theirs[student]["max_score"]) == FULL + WRITTEN_POINTS
    assert ours["alice"]["manual_score"] == "pending"
    assert ours["bob"]["manual_score"] == "3"
    assert float(ours["bob"]["score"]) == float(ours["bob"]["auto_score"]) + 3

    # plain nbgrader's feedback, were it made from these notebooks, leaves the rubrics out too
    term.instructor("generate_feedback", ASSIGNMENT,
                    "--CourseDirectory.feedback_directory=course/plain-feedback")
    plain = (term.work / "plain-feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "alert(1)" in plain and "Instructor only" not in plain
    assert "Common wrong answers" not in plain
    term.grader("feedback", "--output", str(term.work))
    term.instructor("release_feedback", ASSIGNMENT)
    term.student("bob", "fetch_feedback", ASSIGNMENT)
    [page] = (term.home("bob") / term.course_id / ASSIGNMENT / "feedback").glob(
        f"*/{ASSIGNMENT}.html")
    text = page.read_text()
    assert page.parent.name == (submitted / "bob" / ASSIGNMENT / "timestamp.txt").read_text()
    assert "<strong>3 / 4 points</strong>, graded by your instructor" in text
    assert f"Total: <strong>{ours['bob']['score']} / {FULL + WRITTEN_POINTS:g} points</strong>" in text
    assert html.escape(COMMENT, quote=False) in text and "<b>why" not in text
    assert "<script" not in text and not leaks(text, ASSIGNMENT)
    assert "Instructor only" not in text and "Common wrong answers" not in text
    assert _project_files() == before


def test_regrading_keeps_the_points_given_by_hand(tmp_path):
    """The gradebook side of a resumed or repeated run, without kernels: the same submission
    again changes nothing the instructor gave; a new one (another timestamp) keeps the points
    and comment but flags them for review, as nbgrader's autograde does."""
    from nbgrader.api import Gradebook as NbGradebook

    from grader.record.gradebook import Gradebook
    from grader.results import GRADED, CellResult, SubmissionResult

    gradebook = Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    gradebook.register(ASSIGNMENT, tmp_path / "release")
    cells = [CellResult(gid, 1.0, 1.0, True) for gid in ("test_sigmoid", "test_softmax")]
    result = SubmissionResult("ann", ASSIGNMENT, "ann.ipynb", "", GRADED, score=2.0,
                              max_score=12.0, cells=cells, answers={},
                              manual={WRITTEN: {"points": 4.0, "answered": True, "text": "x"}})
    first, second = "2026-01-05 10:00:00.000000 UTC", "2026-01-06 09:30:00.000000 UTC"

    def written():
        with NbGradebook(gradebook.db_url) as gb:
            grade = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ann")
            comment = gb.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ann")
            return grade.manual_score, grade.needs_manual_grade, comment.manual_comment

    gradebook.record(result, first)
    assert written() == (None, True, None)
    with NbGradebook(gradebook.db_url) as gb:      # what the Formgrader's PUTs store
        grade = gb.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ann")
        grade.manual_score, grade.needs_manual_grade = 3.0, False
        gb.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ann").manual_comment = COMMENT
        gb.db.commit()
    gradebook.record(result, first)
    assert written() == (3.0, False, COMMENT)
    marks = gradebook.marks([result])[("ann", ASSIGNMENT)]
    assert (marks.auto, marks.manual, marks.total, marks.max_score) == (
        2.0, 3.0, 5.0, FULL + WRITTEN_POINTS)
    assert marks.pending == [] and marks.comments == {WRITTEN: COMMENT}
    gradebook.record(result, second)
    assert written() == (3.0, True, COMMENT)


def test_results_saved_before_the_formgrader_still_load(tmp_path):
    """A result saved by an earlier version (no answers, no written text) still loads and makes
    a feedback page; autograde grades such a submission again (it cannot fill the Formgrader)."""
    import json

    from grader.autograde import Options, _previous
    from grader.intake.discover import Submission
    from grader.report.feedback import render_page
    from grader.grade import assignment_fingerprint
    from grader.plan.material import file_sha256
    from grader.record.store import save_result
    from grader.results import SubmissionResult

    path = submissions.write(submissions.filled_release(ASSIGNMENT), tmp_path / "ann.ipynb")
    old = {"student": "ann", "assignment": ASSIGNMENT, "file": str(path),
           "sha256": file_sha256(path), "fingerprint": assignment_fingerprint(ASSIGNMENT),
           "status": "graded", "score": 12.0, "max_score": 12.0, "cells": [],
           "manual": {WRITTEN: {"points": 4.0, "answered": True}}}
    result = SubmissionResult.from_json(json.dumps(old))
    assert result.answers is None and "waiting for your instructor" in render_page(result)
    options, sub = Options(output=tmp_path / "out"), Submission("ann", ASSIGNMENT, path)
    save_result(options.tree, result)
    assert _previous(sub, options) is None                 # graded again
    result.answers = {}
    save_result(options.tree, result)
    assert _previous(sub, options) is not None             # a current result is reused


def test_written_answers_reach_the_formgrader_inert():
    """The Formgrader renders a written answer with nbconvert's markdown2html, which keeps raw
    HTML and javascript: links; the autograded notebook's text makes neither, and still reads
    as written (maths included)."""
    import re

    from nbconvert.filters.markdown import markdown2html

    from grader.record.formgrader_tree import inert_markdown

    attacks = [XSS, "<img src=x onerror=alert(1)>", '<a href="x" onmouseover="alert(1)">a</a>',
               "[click](javascript:alert(1))", "![i](javascript:alert(1))",
               "[r][q]\n\n[q]: javascript:alert(1)", "<javascript:alert(1)>",
               "$<script>alert(1)</script>$", "```\n</code><script>alert(1)</script>\n```"]
    for attack in attacks:
        rendered = markdown2html(inert_markdown(f"Since $a<b$ and x < y: {attack}"))
        tags = set(re.findall(r"<\s*([a-zA-Z]+)", rendered))
        assert tags <= {"p", "code", "pre"}, (attack, rendered)       # no <a>, <img>, <script>
        assert r"$a\lt b$" in rendered and "x &lt; y" in rendered
