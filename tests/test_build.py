"""The committed student notebooks and expected results are exactly what `python -m grader build`
makes from solutions/, they leak no solution or hidden test, and the sources carry no outputs."""
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from grader import course
from grader.build import submissions
from grader.build.generate import build, compute_expected, source_problems


def test_build_check_reports_nothing_out_of_date():
    assert build(check=True) == []


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_sources_have_no_outputs(assignment):
    assert source_problems(assignment) == []


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_release_leaks_no_solution_and_no_hidden_test(assignment):
    text = (course.RELEASE_DIR / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "check_hidden"):
        assert marker not in text
    release = submissions.release_notebook(assignment)
    released = {submissions.grade_id(c): c.source for c in release.cells}
    for cell in submissions.source_notebook(assignment).cells:
        gid = submissions.grade_id(cell)
        body = [line for line in submissions.solution_lines(cell.source)
                if line.strip() and not line.lstrip().startswith("#")]
        assert not any(line in released[gid] for line in body), f"{gid} leaks its solution"


@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_expected_results_match_course_lib(assignment):
    committed = json.loads((course.EXPECTED_DIR / f"{assignment}.json").read_text())
    assert committed == json.loads(json.dumps(compute_expected(assignment)))


def test_build_check_detects_a_stale_release(tmp_path, monkeypatch):
    stale = tmp_path / "notebooks"
    for assignment in course.ASSIGNMENTS:
        nb = submissions.release_notebook(assignment)
        nb.cells[0].source += "\n\nan edit made by hand"
        submissions.write(nb, stale / assignment / f"{assignment}.ipynb")
    monkeypatch.setattr(course, "RELEASE_DIR", stale)
    problems = build(check=True)
    assert any("out of date" in p for p in problems)


def test_build_check_ignores_jupyter_checkpoints(tmp_path, monkeypatch):
    release = tmp_path / "notebooks"
    for assignment in course.ASSIGNMENTS:
        nb = submissions.release_notebook(assignment)
        submissions.write(nb, release / assignment / f"{assignment}.ipynb")
        submissions.write(nb, release / assignment / ".ipynb_checkpoints" / "x-checkpoint.ipynb")
    monkeypatch.setattr(course, "RELEASE_DIR", release)
    assert build(check=True) == []


def test_build_check_detects_outputs_in_a_source(tmp_path, monkeypatch):
    assignment = course.ASSIGNMENTS[0]
    nb = submissions.source_notebook(assignment)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    submissions.write(nb, tmp_path / assignment / f"{assignment}.ipynb")
    monkeypatch.setattr(course, "SOURCE_DIR", tmp_path)
    assert any("have outputs" in p for p in source_problems(assignment))


def test_cli_build_check_exit_code():
    ok = subprocess.run([sys.executable, "-m", "grader", "build", "--check"], capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "grader", "build", "--nope"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "unrecognized arguments" in bad.stderr


def test_build_never_replaces_a_students_edit(tmp_path, monkeypatch):
    release, expected = tmp_path / "notebooks", tmp_path / "expected"
    shutil.copytree(course.RELEASE_DIR, release)
    shutil.copytree(course.EXPECTED_DIR, expected)
    monkeypatch.setattr(course, "RELEASE_DIR", release)
    monkeypatch.setattr(course, "EXPECTED_DIR", expected)
    notebook = release / "ex2_backprop" / "ex2_backprop.ipynb"
    answer = notebook.read_text().replace("raise NotImplementedError()", "return 42", 1)
    notebook.write_text(answer)
    (release / "ex1_softmax" / "my_notes.ipynb").write_text("{}")
    problems = build(assignments=["ex1_softmax", "ex2_backprop"], log=lambda line: None)
    assert notebook.read_text() == answer
    assert (release / "ex1_softmax" / "my_notes.ipynb").exists()
    assert len(problems) == 2 and all("--force" in p for p in problems)
    assert build(assignments=["ex2_backprop"], force=True, log=lambda line: None) == []
    assert notebook.read_text() != answer


def test_student_working_copy_is_made_once_and_never_overwritten(tmp_path):
    import importlib.util

    # the project's course.py, not grader.course (the name `course` in this module)
    spec = importlib.util.spec_from_file_location("course_script", course.ROOT / "course.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    work = tmp_path / "work"
    copied = script.working_copy(course.RELEASE_DIR, work)
    assert sorted(p.name for p in copied) == sorted(course.ASSIGNMENTS)
    mine = work / "ex1_softmax" / "ex1_softmax.ipynb"
    mine.write_text("my answers")
    assert script.working_copy(course.RELEASE_DIR, work) == []
    assert mine.read_text() == "my answers"
