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
from grader.build.generate import build, compute_expected, kernel_language_info, source_problems


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
    sys.path.insert(0, str(course.ROOT))
    try:
        import course as course_py          # course.py, beside grader.course (a local `course`
    finally:                                # would shadow that in the whole function)
        sys.path.pop(0)
    work = tmp_path / "work"
    copied = course_py.working_copy(course.RELEASE_DIR, work)
    assert sorted(p.name for p in copied) == sorted(course.ASSIGNMENTS)
    mine = work / "ex1_softmax" / "ex1_softmax.ipynb"
    mine.write_text("my answers")
    assert course_py.working_copy(course.RELEASE_DIR, work) == []
    assert mine.read_text() == "my answers"


# --- the release as JupyterLab saves it ----------------------------------------------------------

@pytest.mark.parametrize("assignment", course.ASSIGNMENTS)
def test_release_is_already_in_the_form_jupyterlab_saves(assignment):
    """Opening a release notebook in JupyterLab changes nothing, so it does not show as modified
    the moment it opens (it did: JupyterLab put the kernel's full ``language_info`` into the
    ``{"name": "python"}`` that the release had). nbformat 4.5 with a valid, unique id on every
    cell; the kernelspec and ``language_info`` the kernel reports (the Python version aside:
    ``course.py lab`` puts the local one into the working copy); bytes as nbformat writes them."""
    from jupyter_client.kernelspec import KernelSpecManager

    path = course.RELEASE_DIR / assignment / f"{assignment}.ipynb"
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids) and len(set(ids)) == len(ids), ids
    nbformat.validate(nb)
    info = dict(nb.metadata.language_info)
    assert info == kernel_language_info(info.get("version")), info
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert dict(nb.metadata.kernelspec) == {"name": "python3", "display_name": spec.display_name,
                                            "language": spec.language}
    # what Jupyter's contents manager would write back (nbformat.write, no conversion)
    assert nbformat.writes(nb, version=nbformat.NO_CONVERT) + "\n" == text


def test_working_copy_takes_the_kernels_python_version(tmp_path):
    sys.path.insert(0, str(course.ROOT))
    try:
        import course as course_py
    finally:
        sys.path.pop(0)
    release = tmp_path / "release" / "ex1_softmax"
    release.mkdir(parents=True)
    notebook = nbformat.read(course.RELEASE_DIR / "ex1_softmax" / "ex1_softmax.ipynb",
                             as_version=nbformat.NO_CONVERT)
    notebook.metadata.language_info["version"] = "3.0.0"
    nbformat.write(notebook, release / "ex1_softmax.ipynb", version=nbformat.NO_CONVERT)
    course_py.working_copy(tmp_path / "release", tmp_path / "work")
    copy = tmp_path / "work" / "ex1_softmax" / "ex1_softmax.ipynb"
    text = copy.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    assert nb.metadata.language_info == kernel_language_info()      # this Python's version
    assert nbformat.writes(nb, version=nbformat.NO_CONVERT) + "\n" == text
