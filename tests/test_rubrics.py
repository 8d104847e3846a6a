"""The rubrics of the hand-graded answers: every one is complete (criteria whose points sum to the
cell's, accepted alternatives, common wrong answers), the build stores them and never releases
them, the perfect student's submission does not hold them, and the grader shows each one to the
marker right below the student's answer in the autograded notebook, never in a feedback page."""
import json
import shutil

import nbformat
import pytest

from grader import course
from grader.build import generate, submissions
from grader.nbgrader.notebooks import (MARK_SCHEME_MARKERS, RUBRICS_FILE, hand_graded_answers,
                                       is_hand_graded, nbgrader_meta, rubric_criteria,
                                       rubric_problems, stored_rubrics)
from grader.record.formgrader_tree import (INSTRUCTOR_ONLY, autograded_notebook, is_instructor_only,
                                      write_autograded)
from grader.results import GRADED, SubmissionResult

HAND_GRADED_POINTS = {"ex1_softmax": 7, "ex2_backprop": 8, "ex3_mnist": 5, "ex4_deep": 8}
ASSIGNMENT = "ex1_softmax"                        # the one graded with a kernel here
WRITTEN = "derivation_softmax_ce"


def _rubric_lines() -> set[str]:
    """Lines of every rubric long enough to be told apart from the notebooks' other text."""
    return {line.strip() for assignment in course.ASSIGNMENTS
            for answer in stored_rubrics(assignment).values()
            for line in answer["rubric"].splitlines() if len(line.strip()) > 30}


def shows_a_rubric(text: str, model_answer: str = "") -> list[str]:
    """What of the rubrics ``text`` shows (an empty list when nothing); a rubric's line that
    restates a formula of ``model_answer`` does not count."""
    found = [marker for marker in (*MARK_SCHEME_MARKERS, "MARK SCHEME", "Instructor only",
                                   "**Also accept**", "**Common wrong answers**") if marker in text]
    return found + sorted(line for line in _rubric_lines()
                          if line in text and line not in model_answer)


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_every_hand_graded_answer_has_a_complete_rubric(assignment):
    cells = [c for c in submissions.source_notebook(assignment).cells if is_hand_graded(c)]
    assert sum(nbgrader_meta(c)["points"] for c in cells) == HAND_GRADED_POINTS[assignment]
    for cell in cells:
        gid, points = nbgrader_meta(cell)["grade_id"], nbgrader_meta(cell)["points"]
        assert rubric_problems(cell) == [], gid
        answer = hand_graded_answers([cell])[gid]
        criteria = rubric_criteria(answer["rubric"])
        assert len(criteria) >= 2 and sum(criteria) == points, (gid, criteria)
        assert answer["model_answer"] and "MARK SCHEME" not in answer["model_answer"]
        for section in ("**Also accept**", "**Common wrong answers**"):
            after = answer["rubric"].split(section, 1)[1].lstrip("\n")
            assert after.startswith("- "), (gid, section)    # at least one item


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_the_build_stores_the_rubrics(assignment):
    stored = stored_rubrics(assignment)
    assert stored == hand_graded_answers(submissions.source_notebook(assignment).cells)
    assert sum(a["points"] for a in stored.values()) == HAND_GRADED_POINTS[assignment]


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_releases_and_the_perfect_student_hold_no_rubric(assignment):
    release = (course.RELEASE_DIR / assignment / f"{assignment}.ipynb").read_text()
    assert shows_a_rubric(json.dumps(json.loads(release), ensure_ascii=False)) == []
    rubrics = stored_rubrics(assignment)
    for gid, text in submissions.solutions(assignment).items():
        assert shows_a_rubric(text, rubrics.get(gid, {}).get("model_answer", "")) == [], gid


def test_the_build_refuses_a_missing_or_wrong_rubric(tmp_path, monkeypatch):
    nb = submissions.source_notebook(ASSIGNMENT)
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == WRITTEN)
    folder = tmp_path / ASSIGNMENT
    folder.mkdir()
    shutil.copytree(course.SOURCE_DIR / ASSIGNMENT, folder, dirs_exist_ok=True)
    monkeypatch.setattr(course, "SOURCE_DIR", tmp_path)
    original = cell.source

    def problems(source):
        cell.source = source
        submissions.write(nb, folder / f"{ASSIGNMENT}.ipynb")
        return [p for p in generate.source_problems(ASSIGNMENT) if WRITTEN in p]

    assert problems(original) == []
    assert any("criteria give 5 points" in p
               for p in problems(original.replace("- **1 point:**", "- **2 points:**", 1)))
    begin, end = MARK_SCHEME_MARKERS
    without = original.split(begin)[0] + original.split(end)[1].lstrip("\n")
    assert any("no rubric" in p for p in problems(without))
    outside = without + f"\n{begin}\n{original.split(begin)[1]}"
    assert any("inside the solution region" in p for p in problems(outside))


def test_build_check_notices_a_stale_rubric_file(tmp_path, monkeypatch):
    expected = tmp_path / "expected"
    shutil.copytree(course.EXPECTED_DIR, expected)
    stale = json.loads((expected / RUBRICS_FILE).read_text())
    stale["ex3_mnist"]["learning_rate_study"]["rubric"] += "\n- an edit made by hand"
    (expected / RUBRICS_FILE).write_text(json.dumps(stale))
    monkeypatch.setattr(course, "EXPECTED_DIR", expected)
    problems = generate.build(check=True, assignments=("ex3_mnist",))
    assert problems == [f"{expected / RUBRICS_FILE} is out of date"]


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_each_rubric_sits_right_below_its_answer(assignment):
    """The autograded notebook of every assignment, from a result (no kernel)."""
    rubrics = stored_rubrics(assignment)
    result = SubmissionResult("ann", assignment, "ann.ipynb", "", GRADED, score=0.0,
                              max_score=1.0, cells=[], answers={},
                              manual={gid: {"points": a["points"], "answered": True,
                                            "text": f"my answer to {gid}"}
                                      for gid, a in rubrics.items()})
    release = submissions.release_notebook(assignment)
    nb = autograded_notebook(result, release, rubrics)
    nbformat.validate(nb)
    added = [c for c in nb.cells if is_instructor_only(c)]
    assert len(added) == len(rubrics) and len(nb.cells) == len(release.cells) + 1 + len(rubrics)
    for gid, answer in rubrics.items():
        where = next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == gid)
        assert nb.cells[where].source == f"my answer to {gid}"
        below = nb.cells[where + 1]
        assert is_instructor_only(below) and below.cell_type == "markdown"
        assert "nbgrader" not in below.metadata            # nbgrader neither grades nor locks it
        assert below.metadata["editable"] is False and below.metadata["deletable"] is False
        assert INSTRUCTOR_ONLY in below.source
        assert answer["model_answer"] in below.source and answer["rubric"] in below.source


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One ex1 solution graded by the grader (about 10 s), its autograded folder and its
    feedback page written as autograde and feedback write them."""
    from grader.grade import grade_submission
    from grader.intake.discover import Submission
    from grader.course import OutputTree
    from grader.intake.discover import submission_time
    from grader.record.store import save_result
    from grader.report.feedback import write_feedback

    tmp = tmp_path_factory.mktemp("rubrics")
    output, work = tmp / "course", tmp / "work"
    work.mkdir()
    path = submissions.write(submissions.filled_release(ASSIGNMENT), tmp / "subs" / "ann.ipynb")
    result = grade_submission(ASSIGNMENT, "ann", path, work)
    assert result.status == GRADED and result.score == result.max_score
    sub = Submission("ann", ASSIGNMENT, path)
    sub.timestamp = submission_time(sub)
    folder = write_autograded(OutputTree(output), result, sub)
    save_result(OutputTree(output), result)
    [page] = write_feedback(output, warn=lambda _: None)
    return nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4), page.read_text()


def test_the_graded_notebook_shows_the_rubric_below_the_answer(graded):
    nb, _ = graded
    where = next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == WRITTEN)
    assert "### BEGIN SOLUTION" not in nb.cells[where].source    # the student's text, as written
    below = nb.cells[where + 1]
    assert is_instructor_only(below) and INSTRUCTOR_ONLY in below.source
    assert stored_rubrics(ASSIGNMENT)[WRITTEN]["rubric"] in below.source
    shown = [i for i, c in enumerate(nb.cells) if is_instructor_only(c)]    # one per answer
    assert where + 1 in shown and len(shown) == len(stored_rubrics(ASSIGNMENT)) == 2
    assert all(is_hand_graded(nb.cells[i - 1]) for i in shown)


def test_the_feedback_page_shows_no_rubric(graded):
    _, page = graded
    assert "derivation_softmax_ce" in page and shows_a_rubric(page) == []


def test_plain_nbgrader_feedback_drops_the_rubric_cells():
    """Should plain ``nbgrader generate_feedback`` be run on the autograded notebooks, the
    course's nbgrader configuration drops the marker's cells before GetGrades and the HTML."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    from grader.nbgrader.api import course_config

    config = course_config()
    first, *rest = GenerateFeedback(config=config).preprocessors
    assert GetGrades in rest
    rubrics = stored_rubrics("ex4_deep")
    result = SubmissionResult("ann", "ex4_deep", "ann.ipynb", "", GRADED, score=0.0,
                              max_score=1.0, cells=[], answers={}, manual={})
    nb = autograded_notebook(result, submissions.release_notebook("ex4_deep"), rubrics)
    assert sum(map(is_instructor_only, nb.cells)) == len(rubrics) == 3
    kept, _ = first(config=config).preprocess(nb, {})
    assert not any(map(is_instructor_only, kept.cells))
    assert shows_a_rubric(nbformat.writes(kept)) == []


def test_an_autograded_notebook_is_made_again_only_when_what_it_is_made_from_changes(tmp_path):
    """A rerun over an unchanged class leaves each autograded notebook as it is (its stamp says
    what it was made from); another result or another grader version makes it again."""
    from grader.course import OutputTree
    from grader.intake.discover import Submission

    tree = OutputTree(tmp_path / "course")
    result = SubmissionResult("ann", ASSIGNMENT, "ann.ipynb", "0" * 64, GRADED, score=0.0,
                              max_score=15.0, answers={})
    sub = Submission("ann", ASSIGNMENT, tmp_path / "ann.ipynb", timestamp="2026-12-07 10:00:00")
    path = write_autograded(tree, result, sub, "v1") / f"{ASSIGNMENT}.ipynb"
    made = nbformat.read(path, as_version=4)
    assert len(made.metadata["grader"]["made_from"]) == 64
    # a mark only a rebuild would remove: the same result and version leave the file alone
    path.write_text(path.read_text().replace("Autograded by the course", "KEPT by the course"))
    write_autograded(tree, result, sub, "v1")
    assert "KEPT by the course" in path.read_text()
    write_autograded(tree, result, sub, "v2")                   # another grader version
    assert "KEPT" not in path.read_text() and "Autograded by the course" in path.read_text()
    path.write_text(path.read_text().replace("Autograded by the course", "KEPT by the course"))
    result.notes.append("a new note")                           # another result
    write_autograded(tree, result, sub, "v2")
    assert "KEPT" not in path.read_text() and "a new note" in path.read_text()
    path.unlink()                                               # a notebook removed by hand
    write_autograded(tree, result, sub, "v2")
    assert "a new note" in path.read_text()
