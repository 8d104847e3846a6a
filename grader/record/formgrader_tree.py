"""The autograded tree that nbgrader's Formgrader reads: ``<output>/autograded/<student>/<assignment>/``.

The Formgrader lists a submission for manual grading when the gradebook holds it with the
timestamp that nbgrader's submitted folder has, and when
``<autograded>/<student>/<assignment>/<notebook>.ipynb`` exists. For each submission the
coordinating process writes that folder (only what changed):

    <assignment>.ipynb       the instructor's notebook as released (its cells, cell ids and nbgrader
                             metadata, so that grade ids match the gradebook), holding the
                             student's code in the answer cells and the written answers (with the
                             cells the student added right after them) in the written-answer
                             cells, and under each test cell one output with the test's result:
                             points, reason and each case's outcome (hidden cases are redacted by
                             the judge; the test cells keep their released source, without hidden
                             tests); a first cell sums up the grade and the grader's notes;
                             right below each hand-graded answer, a read-only cell "Instructor
                             only" with its model answer and rubric (from the build's
                             grader/expected/rubrics.json; no nbgrader metadata, so nbgrader
                             grades the notebook as before, and the feedback pages, made from the
                             results and the release, never see it)
    timestamp.txt            when it was submitted: nbgrader's time from ``nbgrader collect``, else
                             the file's modification time, in nbgrader's format
    submission_secret.txt    from ``nbgrader submit`` (copied with the submission), which
                             ``nbgrader release_feedback`` needs to name the page a student fetches;
                             a random one for files that did not come through the exchange

The notebook is written only for graded submissions; the two small files for every submission
whose student and assignment are known, so feedback can always be released.

What the student wrote is shown, never run, and written answers are made inert: the Formgrader
renders markdown as HTML without sanitising it (and keeps ``javascript:`` links), so every
``<`` of a written answer becomes ``&lt;`` (``\\lt`` in maths) and no ``](`` forms a link: it
still reads as written, and no tag or link of a student's reaches the instructor's browser.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import secrets
import textwrap
from pathlib import Path

from course_lib.checks import Outcome

from grader.course import SECRET_FILE, TIMESTAMP_FILE, OutputTree
from grader.intake.discover import Submission, read_secret
from grader.text import readable
from grader.nbgrader.notebooks import (nbgrader_meta, release_notebook, release_path,
                                       stored_rubrics)
from grader.record.atomic import replace_file
from grader.results import GRADED, CellResult, SubmissionResult

SUMMARY_CELL_ID = "grader-summary"
RUBRIC_CELL_PREFIX = "grader-rubric-"             # + the answer's grade id
INSTRUCTOR_ONLY = "Instructor only \u2014 rubric and model answer (students never see this)"
WIDTH = 110                                        # columns of a test's report
LESS_THAN = "&lt;"                                 # shows as "<", opens no tag
ZERO_WIDTH = "\u200b"                              # ZERO WIDTH SPACE: "](" forms no link
_MATHS = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)


def _secret(sub: Submission, folder: Path) -> bytes:
    """The submission's secret as ``nbgrader submit`` wrote it (read at intake), else the one
    already in the autograded folder, else a new random one (which no student holds)."""
    return sub.secret or read_secret(folder / SECRET_FILE) or secrets.token_hex(64).encode()


# --- the notebook --------------------------------------------------------------------------

def inert_markdown(text: str) -> str:
    """A student's markdown that renders as written but holds no HTML tag and no link: ``<``
    becomes ``\\lt`` inside ``$...$`` maths and ``&lt;`` elsewhere (so it shows as "<", except
    in a code span, which shows the entity), and an invisible space after ``]`` keeps
    ``[text](url)``, ``![image](url)`` and ``[label]: url`` from becoming links (nbconvert would
    render ``javascript:`` ones)."""
    text = text.replace("](", f"]{ZERO_WIDTH}(").replace("]:", f"]{ZERO_WIDTH}:")
    parts, start = [], 0
    for match in _MATHS.finditer(text):
        parts.append(text[start:match.start()].replace("<", LESS_THAN))
        parts.append(match.group(0).replace("<", r"\lt "))
        start = match.end()
    parts.append(text[start:].replace("<", LESS_THAN))
    return "".join(parts)


def _printed_outcome(data: dict) -> str:
    """One case's outcome as the student's notebook prints it (PASSED/FAILED, expected, got)."""
    known = {k: data[k] for k in ("check", "passed", "tested", "expected", "got", "hint", "detail")
             if k in data}
    try:
        return str(Outcome(**{"check": "", "passed": False, "tested": "", **known}))
    except TypeError:
        return readable(str(data))


def report_lines(cell: CellResult) -> list[str]:
    """What a test cell's output says: its points, the reason it failed, and every case."""
    verdict = "passed" if cell.passed else "failed"
    lines = [f"{cell.grade_id}: {cell.score:g} / {cell.points:g} points ({verdict}, graded by "
             "the course's grader)"]
    if cell.reason:
        lines.append(cell.reason)
    counts: dict[str, int] = {}                    # the same outcome in several cases: once
    for outcome in cell.outcomes:
        if isinstance(outcome, dict):
            text = _printed_outcome(outcome)
            counts[text] = counts.get(text, 0) + 1
    lines += [text if n == 1 else f"{text}\n  (the same in {n} cases)"
              for text, n in counts.items()]
    return [_wrapped(readable(line)) for line in lines]


def _wrapped(text: str) -> str:
    """Long lines (hints) folded to the width of the Formgrader's output area, the rest of a
    line indented under its start."""
    folded = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        folded.append(line if len(line) <= WIDTH else textwrap.fill(
            line, WIDTH, subsequent_indent=indent, break_long_words=False,
            break_on_hyphens=False))
    return "\n".join(folded)


def result_output(cell: CellResult) -> nbformat.NotebookNode:
    """A passed test prints its report; a failed one shows it as an error, as in nbgrader's own
    autograded notebooks (where a failed test is a cell that raised)."""
    import nbformat

    lines = report_lines(cell)
    if cell.passed:
        return nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")
    return nbformat.v4.new_output("error", ename="TestFailed", evalue=lines[0], traceback=lines)


def _summary(result: SubmissionResult) -> str:
    written = sum(float(m.get("points", 0)) for m in result.manual.values())
    lines = [f"**Autograded by the course's grader**: {result.score:g} / {result.max_score:g} "
             "points from the tests (their results are under each test cell)"
             + (f"; the written answers ({written:g} points) are graded by hand." if written
                else "."), "", f"File: `{result.file}`"]
    if result.reason:
        lines += ["", f"The grader stopped: {result.reason}"]
    if result.notes:
        lines += ["", "Notes from the grader:", ""] + [f"- {note}" for note in result.notes]
    return inert_markdown(readable("\n".join(lines)))


def rubric_cell(gid: str, answer: dict) -> nbformat.NotebookNode:
    """The marker's cell under a hand-graded answer: its model answer and rubric, read-only and
    marked as the instructor's (``metadata.grader.instructor_only``)."""
    points = float(answer.get("points") or 0)
    text = (f"**{INSTRUCTOR_ONLY}**: `{gid}`, {points:g} point{'' if points == 1 else 's'}\n\n"
            f"---\n\n**Model answer**\n\n{answer.get('model_answer') or '(none)'}\n\n---\n\n"
            f"**Rubric**\n\n{answer.get('rubric') or '(none)'}")
    import nbformat

    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = (RUBRIC_CELL_PREFIX + gid)[:64]
    cell.metadata = {"editable": False, "deletable": False,
                     "grader": {"instructor_only": True, "rubric_for": gid}}
    return cell


def is_instructor_only(cell) -> bool:
    """A cell the grader added for the marker (never for a student's eyes)."""
    meta = cell.get("metadata", {}).get("grader", {}) if isinstance(cell, dict) else {}
    return isinstance(meta, dict) and bool(meta.get("instructor_only"))


def autograded_notebook(result: SubmissionResult, release: nbformat.NotebookNode,
                        rubrics: dict | None = None) -> nbformat.NotebookNode:
    """The release notebook with the student's answers, each test's result and, under each
    hand-graded answer, its rubric from ``rubrics`` (grade id -> model answer, rubric; see the
    module docstring)."""
    import nbformat

    nb = copy.deepcopy(release)
    tests = {cell.grade_id: cell for cell in result.cells}
    answers = result.answers or {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if gid in result.manual:
            text = result.manual[gid].get("text") or ""
            cell.source = inert_markdown(text) if text.strip() else cell.source
        elif meta.get("solution") and cell.cell_type == "code":
            cell.source = answers.get(gid, f"# the grader found no cell for the answer {gid!r} "
                                           "in this submission (see the notes at the top)")
        elif gid in tests:
            cell.outputs = [result_output(tests[gid])]
    for gid, answer in (rubrics or {}).items():
        where = next((i for i, cell in enumerate(nb.cells) if nbgrader_meta(cell).get("grade_id")
                      == gid and nbgrader_meta(cell).get("solution")), None)
        if where is not None:
            nb.cells.insert(where + 1, rubric_cell(gid, answer))
    summary = nbformat.v4.new_markdown_cell(_summary(result))
    summary.id = SUMMARY_CELL_ID
    nb.cells.insert(0, summary)
    return nb


@functools.lru_cache(maxsize=None)
def _release(assignment: str) -> nbformat.NotebookNode:
    return release_notebook(assignment)


# --- the folder ----------------------------------------------------------------------------

def update_file(path: Path, data: bytes) -> None:
    """Write a file unless it already holds exactly this (a resumed run changes nothing)."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    replace_file(path, data)


def write_autograded(tree: OutputTree, result: SubmissionResult, sub: Submission,
                     made_by: str = "") -> Path:
    """Write (or bring up to date) the submission's autograded folder, with the time and secret
    read at intake; returns the folder. The notebook needs a result graded by this version of
    the grader (one that kept the answers); an older result keeps whatever notebook is there.
    A notebook made from the same result, release and rubrics by the same grader code
    (``made_by``, its version) is left as it is, unread and unbuilt."""
    folder = tree.autograded(result.student, result.assignment)
    folder.mkdir(parents=True, exist_ok=True)
    update_file(folder / TIMESTAMP_FILE, sub.timestamp.encode())
    update_file(folder / SECRET_FILE, _secret(sub, folder))
    if result.status == GRADED and result.answers is not None:
        path = folder / f"{result.assignment}.ipynb"
        stamp = _made_from(result, made_by)
        if _stamped(path, stamp):
            return folder
        import nbformat

        nb = autograded_notebook(result, _release(result.assignment),
                                 stored_rubrics(result.assignment))
        nb.metadata.setdefault("grader", {})[MADE_FROM] = stamp
        update_file(path, nbformat.writes(nb).encode("utf-8"))
    return folder


MADE_FROM = "made_from"            # the notebook's metadata.grader key holding its stamp


def _made_from(result: SubmissionResult, made_by: str) -> str:
    """A digest of everything an autograded notebook is made from."""
    digest = hashlib.sha256()
    for part in (made_by, result.to_json(), _assignment_inputs(result.assignment)):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def _assignment_inputs(assignment: str) -> str:
    """A digest of the assignment's release notebook and stored rubrics."""
    digest = hashlib.sha256()
    try:
        digest.update(release_path(assignment).read_bytes())
    except OSError:
        pass
    digest.update(json.dumps(stored_rubrics(assignment), sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def _stamped(path: Path, stamp: str) -> bool:
    """Whether the notebook at ``path`` carries ``stamp`` (a digest: no other text holds it)."""
    try:
        return stamp.encode("ascii") in path.read_bytes()
    except OSError:
        return False
