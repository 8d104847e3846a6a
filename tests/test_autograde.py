"""python -m grader end to end, with real kernels, the sandbox and a real SQLite gradebook: the
demo class gets the expected scores and reasons, the CSV has exactly one row per submission,
feedback hides the hidden tests, an interrupted run resumes, and honest submissions get the same
scores as plain nbgrader gives them."""
import copy
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

import plain_nbgrader as nbgrader_autograde
from grader import course
from grader.build import submissions
from grader.autograde import Options, autograde
from grader.build.demo_class import run_demo
from grader.run.launch import BATCH_VARIABLE
from grader.run.limits import Limits
from grader.run.processes import _tagged_processes
from grader.build.mutants import mutants_of
from grader.record.store import load_result
from corpora.points import auto_points, hand_points

ROOT = course.ROOT


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    output = tmp_path_factory.mktemp("demo")
    lines = []
    assert run_demo(output, jobs=2, log=lines.append) == 0
    results = {}
    for path in (output / "results").rglob("*.json"):
        result = load_result(path)
        results[(result.student, result.assignment)] = result
    return output, results, "\n".join(lines)


def test_demo_class_scores_and_reasons(demo):
    _, results, _ = demo
    for assignment in course.ASSIGNMENTS:
        alice = results[("alice", assignment)]
        assert alice.score == alice.max_score
    assert results[("carol", "ex1_softmax")].score == 0
    bob = results[("bob", "ex1_softmax")]
    assert 0 < bob.score < bob.max_score
    frank = results[("frank", "ex1_softmax")]           # faked test cell: no points for it
    assert not next(c for c in frank.cells if c.grade_id == "test_softmax").passed
    erin = results[("erin", "ex2_backprop")]
    assert "time limit" in erin.reason and 0 < erin.score < erin.max_score
    dave = results[("dave", "ex1_softmax")]
    assert any("RuntimeError" in note for note in dave.notes)
    assert 0 < dave.score < dave.max_score
    grace = results[("grace", "ex1_softmax")]
    assert grace.status == "failed" and grace.score is None and "invalid JSON" in grace.reason


def test_demo_prints_the_gradebook_and_where_things_are(demo):
    output, _, printed = demo
    assert "grades.csv" in printed and "feedback" in printed
    assert str(output / "grades.csv") in printed


def test_csv_has_one_row_per_submission_and_no_fake_zeros(demo):
    output, results, _ = demo
    rows = list(csv.DictReader(open(output / "grades.csv")))
    assert len(rows) == len(results) == 11
    assert len({(r["student"], r["assignment"]) for r in rows}) == len(rows)
    for row in rows:
        if row["status"] == "failed":
            assert row["score"] == row["auto_score"] == row["manual_score"] == "" and row["reason"]
        else:
            assert row["status"] == "graded" and row["score"] != ""
    by = {(r["student"], r["assignment"]): r for r in rows}
    # score is the total so far; max_score counts the points of ex1's written answers too
    full, written = auto_points("ex1_softmax"), hand_points("ex1_softmax")
    assert all(float(by[(s, "ex1_softmax")]["max_score"]) == full + written
               for s in ("alice", "carol", "grace"))
    alice = by[("alice", "ex1_softmax")]
    assert (float(alice["score"]), float(alice["auto_score"]), alice["manual_score"]) == (
        full, full, "pending")
    assert by[("carol", "ex1_softmax")]["manual_score"] == "0"       # a blank answer scores 0


def test_gradebook_holds_the_scores(demo):
    output, results, _ = demo
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{output / 'gradebook.db'}") as gb:
        for (student, assignment), result in results.items():
            if result.status != "graded":
                continue
            submission = gb.find_submission(assignment, student)
            assert submission.score == pytest.approx(result.score)


def test_new_gradebook_is_at_nbgraders_schema_head(demo):
    """The grader stamps a new gradebook with the schema revision in this process; it must be
    the one nbgrader's own `alembic heads` gives, so that `nbgrader db upgrade` has nothing to
    do on it."""
    output, _, _ = demo
    from nbgrader.dbutil import _temp_alembic_ini
    with _temp_alembic_ini(f"sqlite:///{output / 'gradebook.db'}") as ini:
        heads = subprocess.run([str(Path(sys.executable).parent / "alembic"), "-c", ini, "heads"],
                               capture_output=True, text=True, check=True).stdout.split()
        current = subprocess.run([str(Path(sys.executable).parent / "alembic"), "-c", ini,
                                  "current"], capture_output=True, text=True, check=True).stdout
    assert heads and current.split()[0] == heads[0]


def _formgrader_view(output: Path, student: str, assignment: str):
    """(autograded notebook, its timestamp.txt, the gradebook's timestamp of the submission)."""
    from nbgrader.api import Gradebook
    folder = output / "autograded" / student / assignment
    notebook = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    with Gradebook(f"sqlite:///{output / 'gradebook.db'}") as gb:
        recorded = gb.find_submission(assignment, student).timestamp
    return notebook, (folder / "timestamp.txt").read_text(), recorded


def test_graded_notebooks_go_to_the_autograded_tree(demo):
    """What the Formgrader reads: the release notebook with the answers, each test's result
    under its cell, and the submission's time in the gradebook (the file's, without nbgrader
    collect's timestamp.txt)."""
    output, results, _ = demo
    from nbgrader.utils import parse_utc
    graded = [r for r in results.values() if r.status == "graded"]
    for result in graded:
        nb, stamp, recorded = _formgrader_view(output, result.student, result.assignment)
        assert parse_utc(stamp) == recorded
        assert stamp == datetime.fromtimestamp(Path(result.file).stat().st_mtime, timezone.utc
                                               ).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
        outputs = {c.metadata["nbgrader"]["grade_id"]: c.outputs for c in nb.cells
                   if c.metadata.get("nbgrader", {}).get("points") and c.cell_type == "code"}
        for cell in result.cells:
            [shown] = outputs[cell.grade_id]
            assert shown.output_type == ("stream" if cell.passed else "error")
            first = shown.text if cell.passed else shown.evalue
            assert first.startswith(f"{cell.grade_id}: {cell.score:g} / {cell.points:g} points")
    bob, _, _ = _formgrader_view(output, "bob", "ex1_softmax")
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in bob.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    written = results[("bob", "ex1_softmax")].manual          # the answers graded by hand
    assert "derivation_softmax_ce" in written
    assert answers == {**results[("bob", "ex1_softmax")].answers,
                       **{gid: answers[gid] for gid in written}}
    assert "YOUR ANSWER HERE" not in answers["derivation_softmax_ce"]


def test_feedback_pages_hide_hidden_tests(demo):
    output, results, _ = demo
    pages = list((output / "feedback").rglob("*.html"))
    assert len(pages) == len(results)
    for page in pages:
        text = page.read_text()
        assert "check_hidden" not in text and "BEGIN HIDDEN" not in text
        assert str(json.loads((course.EXPECTED_DIR / "ex1_softmax.json").read_text())
                   ["hidden_seed"]) not in text


def _asleep(nb, seconds: int):
    """A copy of ``nb`` whose first graded function's cell sleeps ``seconds`` first."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and "def " in cell.source:
            cell.source = f"import time\ntime.sleep({seconds})\n" + cell.source
            return nb
    raise AssertionError("no code cell defines a function")


def test_interrupted_run_resumes_without_losing_grades(tmp_path):
    """Ctrl-C while ben's notebook is being graded (it sleeps, so it is still being graded
    whenever the signal comes, however busy the machine): ann's grade is kept, and the same
    command again grades the rest and leaves ann's alone."""
    folder = tmp_path / "subs"
    students = ["ann", "ben", "cid", "dee"]
    made = {}
    for i, student in enumerate(students):
        made[student] = submissions.filled_release("ex1_softmax",
                                                   mutants_of("ex1_softmax")[i].overrides)
        submissions.write(_asleep(made[student], 900) if student == "ben" else made[student],
                          folder / student / "ex1_softmax" / "ex1_softmax.ipynb")
    output = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "autograde", str(folder), "--jobs", "1",
               "--output", str(output)]
    said = tmp_path / "interrupted.log"
    with open(said, "wb") as log:
        process = subprocess.Popen(command + ["--idle-timeout", "1200", "--wall-factor", "30"],
                                   cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    results_dir = output / "results" / "ex1_softmax"
    # generous waits: they only bound a hang, and a loaded machine may be slow to grade the first
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline and len(list(results_dir.glob("*.json"))) < 1:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=600)
    text = said.read_text()
    assert process.returncode == 130 and "Traceback" not in text, text    # a clean stop
    assert "run the same command again to grade the rest" in text, text
    finished = {p.stem: p.stat().st_mtime for p in results_dir.glob("*.json")}
    assert sorted(finished) == ["ann"], "the run was not interrupted while grading ben"
    submissions.write(made["ben"], folder / "ben" / "ex1_softmax" / "ex1_softmax.ipynb")
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert again.returncode == 0, again.stderr
    assert "already graded" in again.stdout
    for student, mtime in finished.items():          # finished grades were kept, not redone
        assert (results_dir / f"{student}.json").stat().st_mtime == mtime
    rows = list(csv.DictReader(open(output / "grades.csv")))
    assert sorted(r["student"] for r in rows) == students
    assert all(r["status"] == "graded" for r in rows)


def test_what_a_killed_run_leaves_is_removed_by_the_next_and_long_names_are_graded(tmp_path):
    """SIGKILL (no clean-up is possible) while a student with a 55-character name is graded:
    the next run removes the scratch folders the killed one left in the temporary folder, and
    grades that student (the kernel's sockets live in the run's folder, whose path must stay
    short whatever the name)."""
    long_name = "z" + "_student_whose_name_is_long" * 2          # graded after ann's
    folder = tmp_path / "subs"
    made = {student: submissions.filled_release("ex1_softmax", mutants_of("ex1_softmax")[i].overrides)
            for i, student in enumerate(["ann", long_name])}
    for student, nb in made.items():
        submissions.write(_asleep(nb, 900) if student == long_name else nb,
                          folder / student / "ex1_softmax" / "ex1_softmax.ipynb")
    temporary = Path(tempfile.mkdtemp(prefix="nnk-"))      # its own, and short: sockets live there
    env = dict(os.environ, TMPDIR=str(temporary))
    output = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "autograde", str(folder), "--jobs", "1",
               "--output", str(output)]
    try:
        process = subprocess.Popen(command + ["--idle-timeout", "1200", "--wall-factor", "30"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        results_dir = output / "results" / "ex1_softmax"
        deadline = time.monotonic() + 1200                  # bounds a hang only
        while time.monotonic() < deadline and not (results_dir / "ann.json").exists():
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=600)
        left = sorted(temporary.iterdir())
        assert any(p.name.startswith("grader-scratch-") for p in left), left
        killed_batch = next(p.name.split("-")[2] for p in left if p.name.startswith("grader-scratch-"))

        submissions.write(made[long_name], folder / long_name / "ex1_softmax" / "ex1_softmax.ipynb")
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=1200)
        assert again.returncode == 0, again.stderr
        assert sorted(temporary.iterdir()) == [], "the killed run's folders (or the new run's) are left"
        assert _tagged_processes(killed_batch, BATCH_VARIABLE) == []
        rows = {r["student"]: r for r in csv.DictReader(open(output / "grades.csv"))}
        assert rows[long_name]["status"] == "graded", rows[long_name]
        graded = load_result(results_dir / f"{long_name}.json")
        assert graded.score > 0 and not graded.reason, graded.reason
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def test_same_scores_as_plain_nbgrader(tmp_path):
    assignment = "ex1_softmax"
    made = {"solution": submissions.filled_release(assignment),
            "blank": submissions.release_notebook(assignment)}
    for i, mutant in enumerate(mutants_of(assignment)[:3]):
        made[f"mutant{i}"] = submissions.filled_release(assignment, mutant.overrides)
    paths = {s: submissions.write(nb, tmp_path / "flat" / f"{s}_{assignment}.ipynb")
             for s, nb in made.items()}
    ours = autograde(tmp_path / "flat", Options(jobs=2, output=tmp_path / "ours",
                                                 limits=Limits()), log=lambda line: None)
    theirs = nbgrader_autograde.autograde(assignment, paths, tmp_path / "nbgrader")
    for result in ours:
        assert result.score == nbgrader_autograde.total(theirs[result.student])[0], result.student
    # flat exports feed the Formgrader too, timed by the file
    nb, stamp, recorded = _formgrader_view(tmp_path / "ours", "mutant0", assignment)
    assert recorded is not None and stamp.endswith(" UTC")
    assert len([c for c in nb.cells if c.get("outputs")]) == len(ours[0].cells)
