"""Feedback pages made from real grading results: they explain failures, render the task's maths
offline as MathML, escape whatever a submission produced, and never show hidden tests or the
expected values of hidden cases."""
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from nbgrader.api import Gradebook as NbGradebook

from grader import course as course_paths
from grader.build import submissions
from grader.build.mutants import mutants_of
from grader.grade import FAILED, GRADED, SubmissionResult, grade_submission
from grader.course import OutputTree
from grader.record.gradebook import Gradebook
from grader.record.marks import Marks
from grader.record.store import save_result
from grader.report.feedback import feedback_path, write_feedback
from grader.report.mathml import markdown_to_html
from grader.report.page import ANSWER_CHARS, TEMPLATES, render_page, text as as_html
from grader.report.task_text import answer_title
from grader.run.traffic import Traffic
from grader.text import STUB_NOTE, error_text
from course_lib.wire import summarize
from markupsafe import escape
from grader.results import CellResult
from leak_checks import leaks

ASSIGNMENT = "ex1_softmax"
WRITTEN = "derivation_softmax_ce"                 # ex1's hand-graded derivation (4 points)
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Graded ex1 submissions saved like autograde saves them: a perfect one, a typical mistake,
    one whose answer returns a script tag, and a file that is not JSON."""
    tmp = tmp_path_factory.mktemp("feedback")
    output, work = tmp / "course", tmp / "work"
    work.mkdir()
    mutant = mutants_of(ASSIGNMENT)[0]
    notebooks = {
        "alice": submissions.filled_release(ASSIGNMENT),
        "bob": submissions.filled_release(ASSIGNMENT, mutant.overrides),
        "mallory": submissions.filled_release(
            ASSIGNMENT, {"sigmoid_grad": f"def sigmoid_grad(y):\n    return {XSS!r}\n"}),
    }
    results = {}
    for student, nb in notebooks.items():
        path = submissions.write(nb, tmp / "subs" / f"{student}.ipynb")
        results[student] = grade_submission(ASSIGNMENT, student, path, work)
    broken = tmp / "subs" / "carol.ipynb"
    broken.write_text('{"cells": [')
    results["carol"] = grade_submission(ASSIGNMENT, "carol", broken, work)
    for result in results.values():
        save_result(OutputTree(output), result)
    pages = write_feedback(output)
    return output, results, mutant, pages


def page(output, student):
    return feedback_path(output, student, ASSIGNMENT).read_text()


def test_a_page_per_result(course):
    output, results, _, pages = course
    alice = results["alice"]
    assert alice.status == GRADED and alice.score == alice.max_score
    assert results["carol"].status == FAILED
    assert sorted(pages) == sorted(feedback_path(output, s, ASSIGNMENT) for s in results)
    text = page(output, "alice")
    assert f"{alice.score:g} / {alice.max_score:g} points" in text
    assert "derivation_softmax_ce" in text and "graded by your instructor" in text
    assert "What went wrong" not in text
    assert write_feedback(output, student="alice") == [feedback_path(output, "alice", ASSIGNMENT)]
    assert write_feedback(output, assignment="ex3_mnist") == []


def test_pages_are_where_nbgrader_releases_feedback(course, tmp_path):
    output = course[0]
    assert feedback_path(output, "alice", ASSIGNMENT) == \
        output / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    warnings = []                        # no autograded folder: release_feedback would fail
    write_feedback(output, student="alice", warn=warnings.append)
    assert len(warnings) == 1 and "release_feedback" in warnings[0] and "autograde" in warnings[0]
    folder = OutputTree(output).autograded("alice", ASSIGNMENT)
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-01-05 10:00:00.000000 UTC")
    (folder / "submission_secret.txt").write_text("s3cret")
    warnings.clear()
    [page] = write_feedback(output, student="alice", warn=warnings.append)
    assert not warnings
    assert (page.parent / "timestamp.txt").read_text() == "2026-01-05 10:00:00.000000 UTC"
    assert (page.parent / "submission_secret.txt").read_text() == "s3cret"


def test_points_and_comments_given_by_hand(course, tmp_path):
    """Once the instructor has graded the written answer (in the Formgrader, here straight into
    the gradebook), the page shows its points, the comment (escaped) and the total."""
    output, results, _, _ = course
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    gradebook = Gradebook(db_url)
    gradebook.register(ASSIGNMENT, tmp_path / "release")
    gradebook.record(results["alice"], "2026-01-05 10:00:00.000000 UTC")
    [page] = write_feedback(output, student="alice", db_url=db_url, warn=lambda _: None)
    assert "waiting for your instructor" in page.read_text()
    alice = results["alice"]
    given = {gid: (3.0 if gid == WRITTEN else info["points"]) for gid, info in alice.manual.items()}
    with NbGradebook(db_url) as gb:                 # 3 of 4 here, full points for the others
        for gid, points in given.items():
            gb.find_grade(gid, ASSIGNMENT, ASSIGNMENT, "alice").manual_score = points
        gb.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, "alice").manual_comment = f"Nice {XSS}"
        gb.db.commit()
    [page] = write_feedback(output, student="alice", db_url=db_url, warn=lambda _: None)
    text = page.read_text()
    assert f"<strong>3 / 4 points</strong>, graded by your instructor" in text
    written_points = sum(info["points"] for info in alice.manual.values())
    total = alice.score + sum(given.values())
    assert f"Total: <strong>{total:g} / {alice.max_score + written_points:g} points</strong>" \
        in text
    assert "Nice &lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    assert "waiting for your instructor" not in text
    # the answer is named by its title in the release, not by its grade id, and quoted (escaped)
    # beside the comment
    assert "Your derivation (typed)" in text and f"<code>{WRITTEN}</code>" not in text
    answer = alice.manual[WRITTEN]["text"].strip("\n")
    assert answer and str(escape(answer)) in text
    section = text.split("Your written answers", 1)[1]
    assert section.index("Your answer") < section.index("Nice &lt;script")


def test_a_failed_check_is_explained(course):
    output, results, mutant, _ = course
    test_id = mutant.must_fail[0]
    cell = next(c for c in results["bob"].cells if c.grade_id == test_id)
    assert not cell.passed
    visible = next(o for o in cell.outcomes if not o["passed"] and "hidden case" not in o["tested"])
    text = page(output, "bob")
    for field in ("tested", "expected", "got", "hint"):
        assert visible[field] and as_html(visible[field]) in text, field
    assert f'id="{test_id}"' in text and "0 / 2 points" in text
    # the task: the markdown before the answer in the release notebook, with its maths as MathML
    # (the student's own written answers are quoted as plain text, TeX and all, elsewhere)
    task = text.split("The task", 1)[1].split("Tested:", 1)[0]
    assert "<math" in task and r"\sigma" not in task and "$" not in task
    # the tests that passed get one line each, without their outcomes
    passed = [c.grade_id for c in results["bob"].cells if c.passed]
    assert passed and all(f"<code>{gid}</code> &middot;" in text for gid in passed)


def test_no_hidden_tests_or_hidden_expected_values(course):
    _, _, _, pages = course
    for path in pages:
        leaked = leaks(path.read_text(), ASSIGNMENT)
        assert not leaked, f"{path.name} shows hidden tests or expected values {leaked[:5]}"


def test_pages_are_self_contained(course):
    _, _, _, pages = course
    for path in pages:
        text = path.read_text()
        assert "<script" not in text
        assert not re.search(r"<(link|img|iframe|object|embed)\b", text)
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)
        assert "@import" not in text and "url(" not in text


def test_what_a_submission_returned_is_escaped(course):
    output, results, _, _ = course
    got = [o["got"] for c in results["mallory"].cells for o in c.outcomes if not o["passed"]]
    assert any(XSS in g for g in got)
    text = page(output, "mallory")
    assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_notes_and_reasons_are_escaped(tmp_path):
    result = SubmissionResult("eve", ASSIGNMENT, "/x/eve.ipynb", "", GRADED,
                              reason=f"time limit 60 s exceeded in cell 7 {XSS}", score=0,
                              max_score=12, notes=[f"answer cell {XSS!r} is missing"])
    save_result(OutputTree(tmp_path), result)
    [path] = write_feedback(tmp_path)
    text = path.read_text()
    assert "<script" not in text and text.count("&lt;script&gt;") == 2
    assert "The grader stopped running your notebook" in text and "time limit 60 s" in text


def visible_text(page: str) -> str:
    """What a browser shows of a page: its text, entities decoded, without the stylesheet."""
    class Reader(HTMLParser):
        parts, skip = [], False

        def handle_starttag(self, tag, attrs):
            self.skip = tag == "style"

        def handle_endtag(self, tag):
            self.skip = False

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    reader = Reader()
    reader.feed(page)
    return "".join(reader.parts)


def test_template_syntax_from_a_submission_is_shown_as_text():
    """The page's template escapes what it is given: markup and template syntax in what a student
    wrote or what their code returned are shown as they are, neither run nor evaluated."""
    hostile = "<script>alert(1)</script> {{ 7*7 }} {% if true %}x{% endif %} {# c #} &amp;"
    cell = CellResult("test_sigmoid", 2, 0, False, "failed", outcomes=[
        {"check": "sigmoid", "tested": f"sigmoid({hostile})", "passed": False,
         "expected": "0.5", "got": hostile, "detail": hostile, "hint": hostile}])
    result = SubmissionResult(f"eve{hostile}", ASSIGNMENT, "/x/eve.ipynb", "", GRADED,
                              reason=f"stopped {hostile}", score=0, max_score=2,
                              cells=[cell], notes=[f"note {hostile}"],
                              manual={WRITTEN: {"points": 4, "answered": True,
                                                "text": f"my answer {hostile}"}})
    marks = Marks(max_score=6, total=1, manual=1, manual_scores={WRITTEN: 1},
                  comments={WRITTEN: f"comment {hostile}", "sigmoid": f"other {hostile}"})
    page = render_page(result, marks)
    assert "<script" not in page and "49" not in page and "{{" in page
    shown = visible_text(page)
    # the student's name (title and page), the reason, the note, the outcome (tested, got,
    # detail, hint), the written answer and both comments
    assert shown.count(hostile) == 11, shown
    assert "</script> {{ 7*7 }}" in shown and "{% if true %}x{% endif %} {# c #} &amp;" in shown


def test_written_answers_are_titled_quoted_escaped_and_bounded():
    """A written answer is shown under its title from the release (not its grade id), with the
    student's text escaped and cut to ANSWER_CHARS; an unanswered one says so."""
    long = XSS + "x" * (2 * ANSWER_CHARS)
    result = SubmissionResult("eve", ASSIGNMENT, "/x/eve.ipynb", "", GRADED, score=0,
                              max_score=2, manual={
                                  WRITTEN: {"points": 4, "answered": True, "text": long}})
    page = render_page(result)
    assert "Your derivation (typed)" in page and "<script" not in page
    assert "&lt;script&gt;" in page and "x" * ANSWER_CHARS not in page
    assert "Only the beginning of your answer is shown" in page
    assert "x" * (ANSWER_CHARS - len(XSS) - 10) in page
    blank = SubmissionResult("eve", ASSIGNMENT, "/x/eve.ipynb", "", GRADED, score=0,
                             max_score=2, manual={WRITTEN: {"points": 4, "answered": False,
                                                            "text": "YOUR ANSWER HERE"}})
    page = render_page(blank)
    assert "You did not answer this question" in page and "YOUR ANSWER HERE" not in page


def test_comments_on_other_cells_are_titled_too():
    """A comment on a test or function cell is labelled by the title of its task (as a written
    answer is), with the grade id beside it for the table of tests; one the release does not
    know keeps its grade id."""
    result = SubmissionResult("eve", ASSIGNMENT, "/x/eve.ipynb", "", GRADED, score=0,
                              max_score=2, cells=[CellResult("test_softmax", 2, 0, False, "")])
    marks = Marks(max_score=2, total=0, comments={"test_softmax": "Shift by the max first.",
                                                  "no_such_cell": "Odd cell."})
    shown = visible_text(render_page(result, marks))
    assert "The softmax (test_softmax): Shift by the max first." in shown, shown
    assert "no_such_cell: Odd cell." in shown and "(no_such_cell)" not in shown


@pytest.mark.parametrize("assignment, grade_id, title", [
    ("ex1_softmax", "derivation_softmax_ce", "Your derivation (typed)"),
    ("ex2_backprop", "derivation_stage8", "Derivation of stage 8"),
    ("ex3_mnist", "learning_rate_study", "Question: Which learning rate?"),
    ("ex4_deep", "derivation_reduction", "From four rules back to nine stages"),
    ("ex1_softmax", "no_such_answer", ""),
])
def test_written_answer_titles_come_from_the_release(assignment, grade_id, title):
    assert answer_title(assignment, grade_id) == title


def test_no_reason_ends_in_an_empty_message():
    """An exception without a message (`raise NotImplementedError()`, the stub) makes no reason
    that ends in "NotImplementedError:"; the stub's says what to do."""
    traffic = Traffic()
    traffic.error(3, {"ename": "NotImplementedError", "evalue": ""})
    traffic.error(4, {"ename": "KeyError", "evalue": " "})
    traffic.error(5, {"ename": "ValueError", "evalue": "bad shape"})
    assert traffic.errors[3] == f"NotImplementedError ({STUB_NOTE})"
    assert "replace `raise NotImplementedError()` with your code" in traffic.errors[3]
    assert traffic.errors[4] == "KeyError" and traffic.errors[5] == "ValueError: bad shape"
    assert error_text(RuntimeError()) == "RuntimeError"
    assert summarize({"kind": "error", "type": "NotImplementedError", "message": ""}) == \
        "an error: NotImplementedError"
    assert summarize({"kind": "error", "type": "ValueError", "message": "no"}) == \
        "an error: ValueError: no"


def test_templates_are_next_to_the_module():
    assert {"feedback.html.j2", "feedback.css"} <= {p.name for p in TEMPLATES.iterdir()}
    assert TEMPLATES.parent == Path(render_page.__code__.co_filename).parent


def test_a_failed_submission_gets_its_reason(course):
    output, results, _, _ = course
    text = page(output, "carol")
    assert "invalid JSON" in results["carol"].reason
    assert "could not be graded" in text and "invalid JSON" in text and "What to do" in text
    assert "<table" not in text


def test_maths_become_mathml_and_bad_formulas_stay_readable():
    html = markdown_to_html(r"Let $a_1 * b_2$ and $$\frac{x_i}{2}$$, price \$5, `$code$`, "
                            r"broken $\frac{$ here.")
    assert html.count("<math") == 2 and "<em>" not in html
    assert "$5" in html and "<code>$code$</code>" in html
    assert r'<code class="tex">$\frac{$</code>' in html


def test_cli(course, tmp_path):
    output = course[0]
    run = subprocess.run([sys.executable, "-m", "grader", "feedback", "--output", str(output)],
                         capture_output=True, text=True, cwd=course_paths.ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert str(feedback_path(output, "alice", ASSIGNMENT)) in run.stdout
    bad = subprocess.run([sys.executable, "-m", "grader", "feedback", "--no-such-flag"],
                         capture_output=True, text=True, cwd=course_paths.ROOT, timeout=120)
    assert bad.returncode == 2 and "usage:" in bad.stderr
    empty = subprocess.run([sys.executable, "-m", "grader", "feedback", "--output",
                            str(tmp_path)], capture_output=True, text=True, cwd=course_paths.ROOT,
                           timeout=120)
    assert empty.returncode == 1 and "autograde" in empty.stderr
