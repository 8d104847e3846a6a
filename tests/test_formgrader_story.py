"""nbgrader's Formgrader tells one story (issue 24), seen in Chromium: after ``python -m grader
autograde`` of each kind of submission, and after the demo, every screen counts the same
submissions: Manage Assignments' "# Submissions", Manual Grading's assignment table
("Submissions") and its list of the notebook's submissions, Manage Students, and each student's
own page (the assignment as a link with its score, never "(no submission)" or "(not
autograded)"). A submission that could not be graded is on none of them.

One class, in a temporary copy of the course (tests/test_formgrader.py's ``Term``), grows by one
kind of submission at a time, each graded as an instructor would:

1. collected through nbgrader's exchange (release, fetch, submit, collect);
2. nbgrader's folder layout: one put into ``course/submitted/<student>/<assignment>/`` by hand
   (no timestamp.txt), one in a folder given on the command line;
3. a flat export of a learning platform (``<student>_<assignment>.ipynb``), with a malformed file.

In step 1 the hand-grading view shows the model answer right below the student's written answer.
The demo's class is seen in the Formgrader that the demo's last line names. A screenshot of each
page goes where tests/test_browser.py puts its own.
"""
from __future__ import annotations

import csv
import re
import shlex

import nbformat
import pytest

import course as course_py
from browser_helpers import browser, expect, need_chromium, open_page, shots  # noqa: F401
from grader.build import submissions
from grader.build.mutants import mutants_of
from grader.nbgrader.notebooks import stored_rubrics
from grader.record.formgrader_tree import INSTRUCTOR_ONLY
from jupyter_helpers import jupyter_server
from test_browser import MATHJAX_DONE
from test_formgrader import ASSIGNMENT, WRITTEN, Term, _answer

need_chromium()

LOADING = "Loading, please wait..."        # nbgrader's tables say this until their data came
SCORE = re.compile(r"^(\d+(?:\.\d+)?) / (\d+(?:\.\d+)?)$")


def _goto(page, server, path: str) -> None:
    """A Formgrader page, once its table has loaded."""
    page.goto(f"{server.url}{path}?token={server.token}")
    page.locator("table").first.wait_for()
    expect(page.get_by_text(LOADING)).to_have_count(0)


def _row(page, first_cell: str):
    """The table row whose first cell says exactly ``first_cell``."""
    return page.locator("table tbody tr").filter(has=page.locator(
        "td:first-child", has_text=re.compile(f"^\\s*{re.escape(first_cell)}\\s*$")))


def _score(text: str) -> tuple[float, float]:
    match = SCORE.match(text.strip())
    assert match, f"not a score: {text!r}"
    return float(match[1]), float(match[2])


def _screens(page, server, shots, step: str, assignments: list[str]) -> dict:
    """What each screen says: the submissions it counts or lists, per assignment, and each
    student's scores; a screenshot of each page."""
    seen = {"Manage Assignments": {}, "Manual Grading": {}, "its submissions": {},
            "Manage Students": {}, "student pages": {}}
    _goto(page, server, "/formgrader/manage_assignments")
    for assignment in assignments:
        seen["Manage Assignments"][assignment] = int(
            _row(page, assignment).locator(".num-submissions").inner_text())
    shots.take(page, f"{step}-manage-assignments")
    _goto(page, server, "/formgrader/gradebook")
    for assignment in assignments:
        seen["Manual Grading"][assignment] = int(
            _row(page, assignment).locator(".num-submissions").inner_text())
    shots.take(page, f"{step}-manual-grading")
    for assignment in assignments:
        _goto(page, server, f"/formgrader/gradebook/{assignment}/{assignment}")
        page.get_by_text("Show All Names").click()
        seen["its submissions"][assignment] = sorted(
            name.strip() for name in page.locator("table tbody tr a.name-shown").all_text_contents())
        shots.take(page, f"{step}-manual-grading-{assignment}")
    _goto(page, server, "/formgrader/manage_students")
    for row in page.locator("table tbody tr").all():
        seen["Manage Students"][row.locator(".id").inner_text().strip()] = \
            _score(row.locator(".score").inner_text())
    shots.take(page, f"{step}-manage-students")
    for student in seen["Manage Students"]:
        _goto(page, server, f"/formgrader/manage_students/{student}")
        seen["student pages"][student] = {
            row.locator(".name").inner_text().strip(): _score(row.locator(".score").inner_text())
            for row in page.locator("table tbody tr").all()}
        shots.take(page, f"{step}-student-{student}")
    return seen


def _graded(output) -> dict[str, list[str]]:
    """assignment -> the students graded, from grades.csv."""
    graded: dict[str, list[str]] = {}
    for row in csv.DictReader(open(output / "grades.csv", encoding="utf-8")):
        if row["status"] == "graded":
            graded.setdefault(row["assignment"], []).append(row["student"])
    return {assignment: sorted(students) for assignment, students in graded.items()}


def _check_one_story(seen: dict, graded: dict[str, list[str]]) -> None:
    """Every screen counts exactly the graded submissions, and the scores agree."""
    for assignment, students in graded.items():
        assert seen["Manage Assignments"][assignment] == len(students), (assignment, seen)
        assert seen["Manual Grading"][assignment] == len(students), (assignment, seen)
        assert seen["its submissions"][assignment] == students, (assignment, seen)
    everyone = sorted({s for students in graded.values() for s in students})
    assert sorted(seen["Manage Students"]) == everyone, seen
    for student, rows in seen["student pages"].items():
        mine = sorted(a for a, students in graded.items() if student in students)
        # an assignment the student handed in is a link named as it is; any other says why not
        assert sorted(name for name in rows if name in graded) == mine, (student, rows)
        assert all(name.endswith("(no submission)") for name in rows if name not in mine), rows
        # Manage Students' total is of every assignment's points, handed in or not
        got = sum(rows[a][0] for a in mine)
        assert got == seen["Manage Students"][student][0], (student, rows, seen)
        assert all(rows[a][1] > 0 for a in mine), (student, rows)       # never "0 / 0"


def _check_model_answer_beside_the_answer(page, server, shots, student: str) -> None:
    """The hand-grading view of a submission: the model answer and the rubric, read-only and
    marked for the instructor, in the cell right below the student's written answer."""
    [notebook] = [nb for nb in server.get_json(
        f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
        if nb["student"] == student]
    page.goto(f"{server.url}/formgrader/submissions/{notebook['id']}/?token={server.token}")
    page.wait_for_function(MATHJAX_DONE)
    answer = page.locator(".nbgrader_cell", has=page.locator(f"#{WRITTEN}"))
    rubrics = page.locator("#notebook-container .cell", has_text=INSTRUCTOR_ONLY)
    expect(rubrics).to_have_count(len(stored_rubrics(ASSIGNMENT)))    # one per written answer
    rubric = answer.locator("xpath=ancestor-or-self::div[contains(concat(' ', "
                            "normalize-space(@class), ' '), ' cell ')][1]"
                            "/following-sibling::div[1]")
    rubric.scroll_into_view_if_needed()
    shots.take(page, "hand-grading-model-answer")
    assert rubric.is_visible() and answer.is_visible()
    text = rubric.inner_text()
    assert "Model answer" in text and "Rubric" in text and "Common wrong answers" in text
    model = stored_rubrics(ASSIGNMENT)[WRITTEN]["model_answer"]
    prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", model, flags=re.S)       # without its maths
    words = re.findall(r"[A-Za-z]{6,}", prose)[:5]
    assert words and all(word in text for word in words), (words, text[:500])
    assert rubric.locator(".MathJax").count() > 0 and "\\frac" not in text   # maths typeset
    # the next cell after the answer's, below it on the page
    assert answer.evaluate(
        "(a, text) => { let c = a.closest('.cell').nextElementSibling;"
        " return !!c && c.innerText.includes(text); }", INSTRUCTOR_ONLY)
    assert rubric.bounding_box()["y"] >= answer.bounding_box()["y"] + \
        answer.bounding_box()["height"] - 1


def _submit_through_the_exchange(term: Term, work: dict) -> None:
    term.instructor("release_assignment", ASSIGNMENT)
    for student, nb in work.items():
        term.student(student, "fetch_assignment", ASSIGNMENT)
        _answer(term, student, nb)
        term.student(student, "submit", ASSIGNMENT)
    term.instructor("collect", ASSIGNMENT)


def _mistaken(n: int) -> nbformat.NotebookNode:
    return submissions.filled_release(ASSIGNMENT, mutants_of(ASSIGNMENT)[n].overrides)


def test_every_screen_counts_the_same_submissions(tmp_path, browser, shots):  # noqa: F811
    term = Term(tmp_path)
    submitted = term.work / "submitted"

    everyone: set[str] = set()

    def autograde(folder, code: int = 0) -> dict[str, list[str]]:
        """Grade ``folder`` (exit status ``code``: 1 when a submission could not be graded);
        every submission graded so far (grades.csv has this run's)."""
        term.grader("autograde", str(folder), "--output", str(term.work), "--jobs", "2",
                    code=code)
        everyone.update(_graded(term.work).get(ASSIGNMENT, []))
        return {ASSIGNMENT: sorted(everyone)}

    with jupyter_server(term.course, tmp_path, app="server") as server, \
            open_page(browser, shots, "formgrader-story") as page:
        # 1. collected through the exchange
        _submit_through_the_exchange(term, {"alice": submissions.filled_release(ASSIGNMENT),
                                            "bob": _mistaken(0)})
        graded = autograde(submitted)
        assert graded == {ASSIGNMENT: ["alice", "bob"]}
        _check_one_story(_screens(page, server, shots, "exchange", [ASSIGNMENT]), graded)
        _check_model_answer_beside_the_answer(page, server, shots, "bob")

        # 2. nbgrader's layout: put into course/submitted by hand, and in another folder
        submissions.write(_mistaken(1), submitted / "erin" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        autograde(submitted)
        outside = tmp_path / "ux_subs"
        submissions.write(_mistaken(2), outside / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        graded = autograde(outside)
        assert graded == {ASSIGNMENT: ["alice", "bob", "carol", "erin"]}
        _check_one_story(_screens(page, server, shots, "folder-layout", [ASSIGNMENT]), graded)

        # 3. a flat export, with a file that cannot be graded (on no screen)
        flat = tmp_path / "lms-export"
        submissions.write(submissions.filled_release(ASSIGNMENT),
                          flat / f"dave_{ASSIGNMENT}.ipynb")
        text = nbformat.writes(submissions.filled_release(ASSIGNMENT))
        (flat / f"frank_{ASSIGNMENT}.ipynb").write_text(text[: len(text) // 2])
        graded = autograde(flat, code=1)
        assert graded == {ASSIGNMENT: ["alice", "bob", "carol", "dave", "erin"]}
        seen = _screens(page, server, shots, "flat-export", [ASSIGNMENT])
        _check_one_story(seen, graded)
        assert "frank" not in seen["Manage Students"]

    # the grader's copies are marked as its own; nbgrader's folders are not
    assert (submitted / "dave" / ASSIGNMENT / ".grader-copy").is_file()
    assert not (submitted / "alice" / ASSIGNMENT / ".grader-copy").exists()
    assert (submitted / "erin" / ASSIGNMENT / "timestamp.txt").is_file()


@pytest.mark.parametrize("default", [True, False])
def test_the_demo_names_the_command_that_shows_its_class(default):
    """The demo's last line is one command: ``python3 course.py instructor --demo`` for the
    demo's own folder, else the variable that course.py passes to the Formgrader."""
    from grader import course
    from grader.build.demo_class import formgrader_command

    output = course.WORK_DIR / "demo" if default else course.ROOT / "elsewhere" / "demo"
    command = formgrader_command(output)
    if default:
        assert command == "python3 course.py instructor --demo"
        _, variables = course_py.lab_options("instructor", output=course_py.DEMO_OUTPUT, env={})
        assert variables[course_py.FORMGRADER_OUTPUT] == "course/demo"
    else:
        assert command == f"{course_py.FORMGRADER_OUTPUT}=elsewhere/demo python3 course.py " \
                          "instructor"


def test_the_demos_class_is_seen_in_the_formgrader(tmp_path, browser, shots):  # noqa: F811
    """``python -m grader demo`` into the course copy's course/demo, then the Formgrader as the
    demo's last line says to open it: every screen counts the demo's graded submissions."""
    term = Term(tmp_path)
    output = term.work / "demo"
    printed = term.grader("demo", "--output", str(output), "--jobs", "2")
    last = printed.strip().splitlines()[-1]
    assert last.startswith("in the Formgrader:"), printed[-2000:]
    words = shlex.split(last.split(":", 1)[1])
    assert words[1:] == ["python3", "course.py", "instructor"], last
    variable, value = words[0].split("=", 1)
    assert variable == course_py.FORMGRADER_OUTPUT
    _, variables = course_py.lab_options("instructor", output=value, env={})
    graded = _graded(output)
    assert len(graded) == 4 and sum(map(len, graded.values())) >= 8, graded
    with jupyter_server(term.course, tmp_path, app="server", env=variables) as server, \
            open_page(browser, shots, "formgrader-demo") as page:
        _check_one_story(_screens(page, server, shots, "demo", sorted(graded)), graded)
