"""From files to submissions: every file gets a row or a note; names from nbgrader, Canvas,
Moodle and browsers are read right; one student and assignment is one submission; names that are
not UTF-8 still make safe ids. No grading here (the corpus tests grade)."""
import csv
import os

import pytest

from grader.intake.discover import discover
from grader.intake.names import parse_flat, student_id
from grader.record.grades_csv import write_csv
from grader.results import GRADED, SubmissionResult

ASSIGNMENTS = ("ex1_softmax", "ex2_backprop", "ex3_mnist")


def touch(path, age=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    if age:
        stamp = path.stat().st_mtime - age
        os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize("stem, student, assignment, version", [
    ("alice_ex1_softmax", "alice", "ex1_softmax", 0),
    ("alice-ex1_softmax", "alice", "ex1_softmax", 0),
    ("ex2_backprop_bob", "bob", "ex2_backprop", 0),
    ("Ann Lee ex3_mnist", "Ann_Lee", "ex3_mnist", 0),
    ("alice_ex1_softmax (2)", "alice", "ex1_softmax", 2),
    ("alice_ex1_softmax_v3", "alice", "ex1_softmax", 3),
    ("lastfirst_12345_67890_ex1_softmax", "lastfirst", "ex1_softmax", 0),
    ("lastfirst_LATE_12345_67890_ex1_softmax", "lastfirst", "ex1_softmax", 0),
    ("lastfirst_12345_67890_ex1_softmax-1", "lastfirst", "ex1_softmax", 1),
    ("Ann Lee_123456_assignsubmission_file_ex2_backprop", "Ann_Lee", "ex2_backprop", 0),
])
def test_flat_names(stem, student, assignment, version):
    info = parse_flat(stem, ASSIGNMENTS)
    assert (student_id(info.student), info.assignment, info.version) == \
        (student, assignment, version)


def test_student_ids_are_safe():
    assert student_id("  Zoë  Ångström ") == "Zoë_Ångström"
    assert student_id("../../etc") == "etc"
    latin1 = os.fsdecode(b"b\xe9b")                    # a name from an old zip tool
    assert student_id(latin1) == "béb"
    assert student_id("///") .startswith("student_")


def test_every_file_gets_a_row_or_a_note(tmp_path):
    touch(tmp_path / "frank" / "ex1_softmax" / "ex1_softmax.ipynb", age=100)
    touch(tmp_path / "frank" / "ex1_softmax_v2.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook")
    touch(tmp_path / "deep" / "submitted" / "alice" / "ex1_softmax" / "ex1_softmax.ipynb")
    touch(tmp_path / "homework-final.ipynb")
    touch(tmp_path / "carl" / "ex2_backprop" / "ex2_backprop.ipynb")
    (tmp_path / "carl" / "ex2_backprop" / "scratch.py").write_text("x = 1")
    subs, skipped = discover(tmp_path, ASSIGNMENTS)
    by = {(s.student, s.assignment): s for s in subs}
    frank = by[("frank", "ex1_softmax")]
    assert "ex1_softmax_v2.ipynb" in " ".join(frank.notes) and "not graded" in " ".join(frank.notes)
    assert not any(s.student in ("notes", "deep") for s in subs)
    reasons = " ".join(entry.reason for entry in skipped)
    assert "notes.txt" in reasons and "one level too deep" in reasons
    assert "cannot tell the assignment" in by[("homework-final", "")].problem
    assert "scratch.py" in " ".join(by[("carl", "ex2_backprop")].notes)


def test_one_submission_per_student_and_assignment(tmp_path):
    touch(tmp_path / "f02_ex1_softmax.ipynb", age=100)
    touch(tmp_path / "f02-ex1_softmax.ipynb")
    touch(tmp_path / "lastfirst_12345_67890_ex1_softmax.ipynb")
    touch(tmp_path / "lastfirst_LATE_12345_67999_ex1_softmax-1.ipynb", age=50)
    touch(tmp_path / "smithjo_111_1_ex2_backprop.ipynb")
    touch(tmp_path / "smithjo_222_2_ex2_backprop.ipynb")
    subs, _ = discover(tmp_path, ASSIGNMENTS)
    by = {(s.student, s.assignment): s for s in subs}
    f02 = by[("f02", "ex1_softmax")]
    assert f02.path.name == "f02-ex1_softmax.ipynb"              # the newest
    assert "f02_ex1_softmax.ipynb" in f02.notes[0]
    canvas = by[("lastfirst", "ex1_softmax")]
    assert canvas.path.name.endswith("-1.ipynb")                 # the resubmission
    assert any("late" in n for n in canvas.notes)
    # two Canvas users with the same name stay two students
    assert {("smithjo_111", "ex2_backprop"), ("smithjo_222", "ex2_backprop")} <= set(by)
    assert len(subs) == 4


def test_csv_survives_any_text(tmp_path):
    nasty = SubmissionResult("b\udce9b", "ex1_softmax", "/x/\udcff.ipynb", "", GRADED,
                             reason="\udcff \ud800 lone surrogates", score=1.0, max_score=12)
    write_csv(tmp_path / "grades.csv", [nasty])
    rows = list(csv.DictReader(open(tmp_path / "grades.csv", encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["status"] == "graded"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_notebooks_in_any_json_encoding_are_read(tmp_path, encoding):
    """JSON may be UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32; some Windows
    editors save that way, and the cells must come out the same."""
    from grader.intake.reading import parse_submission
    text = ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": '
            '"code", "id": "a1", "metadata": {}, "source": ["x = \\"\u00e9t\u00e9\\"\\n"], '
            '"outputs": [], "execution_count": null}]}')
    path = tmp_path / "n.ipynb"
    path.write_bytes(text.encode(encoding))
    cells, notes = parse_submission(path.read_bytes())
    assert [c["source"] for c in cells] == ['x = "\u00e9t\u00e9"\n']
    assert bool(notes) == (encoding in ("utf-16", "utf-32")), notes


def test_binary_files_are_refused_with_a_reason(tmp_path):
    from grader.intake.reading import Rejected, parse_submission
    path = tmp_path / "n.ipynb"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(Rejected, match="binary, not text"):
        parse_submission(path.read_bytes())
