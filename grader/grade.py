"""Grade one submission: plan, execute in a limited kernel, judge in this process.

The result is plain data (see ``SubmissionResult``), written as JSON next to the gradebook so
that feedback, the CSV and resumed runs all read the same record.
"""
from __future__ import annotations

import functools
import hashlib
import json
import time
import uuid
from pathlib import Path

from course_lib.exercises import load

from . import plan as planning
from . import settings
from .execute import Limits, execute
from .judge import judge_test
from .names import readable
from .results import FAILED, GRADED, CellResult, SubmissionResult
from .scratch import remove_tree


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def blueprint(assignment: str) -> planning.Blueprint:
    return planning.blueprint(assignment, settings.SOURCE_DIR / assignment / f"{assignment}.ipynb",
                              settings.RELEASE_DIR / assignment / f"{assignment}.ipynb")


@functools.lru_cache(maxsize=None)
def expected(assignment: str) -> dict:
    path = settings.EXPECTED_DIR / f"{assignment}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m grader build`")
    return json.loads(path.read_text())


def assignment_fingerprint(assignment: str) -> str:
    """Changes whenever the source notebook or the expected results change."""
    digest = hashlib.sha256()
    digest.update((settings.SOURCE_DIR / assignment / f"{assignment}.ipynb").read_bytes())
    digest.update((settings.EXPECTED_DIR / f"{assignment}.json").read_bytes())
    return digest.hexdigest()[:16]


def describe_cell(role: dict) -> str:
    kinds = {"answer": f"your answer {role.get('grade_id')!r}", "test": f"test {role.get('grade_id')!r}",
             "extra": "a cell you added", "given": "a cell of the assignment"}
    where = f"cell {role['position']}" if role.get("position") else "a cell"
    return f"{where} ({kinds[role['kind']]})"


def grade_submission(assignment: str, student: str, path: Path, workdir: Path,
                     limits: Limits | None = None) -> SubmissionResult:
    """Grade one file; never raises for a bad submission (the result says what went wrong)."""
    limits = limits or Limits()
    plan = blueprint(assignment)
    result = SubmissionResult(student, assignment, readable(str(path)), "", FAILED,
                              max_score=plan.max_score,
                              fingerprint=assignment_fingerprint(assignment))
    start = time.monotonic()
    try:
        result.sha256 = file_sha256(path)
        cells, notes = planning.read_submission(path)
    except planning.Rejected as rejected:
        result.reason = str(rejected)
        return result
    except OSError as error:
        result.reason = f"the file cannot be read: {error.strerror or error}"
        return result
    matched = planning.match(plan, cells)
    result.notes = notes + matched.notes
    result.manual = {gid: {"points": points, "answered": matched.manual_answered.get(gid, False),
                           "text": readable(matched.manual_text.get(gid, ""))}
                     for gid, points in plan.manual.items()}
    result.answers = {gid: readable("\n\n".join(source for source, _ in copies))
                      for gid, copies in matched.answers.items() if copies}
    nonce = uuid.uuid4().hex
    stored = expected(assignment)
    nb, roles = planning.grading_notebook(plan, matched, nonce, stored)
    scratch = workdir / f"{student}-{assignment}-{nonce[:8]}"
    try:
        run = execute(nb, scratch, limits, assignment)
    finally:
        remove_tree(scratch)               # whatever the run left there; never raises
    result.sandbox = run.sandbox
    stop = ""
    if run.stopped_at is not None:
        stop = readable(f"{run.stop_reason} in {describe_cell(roles[run.stopped_at])}" + (
            f": {run.stop_detail}" if run.stop_detail else ""))
    index_of_test = {role["grade_id"]: i for i, role in enumerate(roles) if role["kind"] == "test"}
    exercise, failed = load(assignment), set()
    for gid, test in plan.tests.items():
        index = index_of_test[gid]
        payloads = [p for p in run.harvests.get(index, []) if isinstance(p, dict)
                    and p.get("nonce") == nonce and p.get("cell") == gid]
        if len(payloads) == 1:
            result.cells.append(judge_test(exercise, stored, test, payloads[0], failed))
        elif len(payloads) > 1:
            failed.update(name for name, _, _ in test.calls)
            result.cells.append(CellResult(
                gid, test.points, 0.0, False, f"the test handed over {len(payloads)} results "
                "instead of one, so none was used: something in the notebook interferes with "
                "grading"))
        elif run.stopped_at is not None and run.stopped_at <= index:
            result.cells.append(CellResult(gid, test.points, 0.0, False, f"not run: {stop}"))
        else:
            error = readable(run.errors.get(index, "it produced no results"))
            result.cells.append(CellResult(gid, test.points, 0.0, False,
                                           f"the test could not run: {error}"))
    answer_errors = [f"{describe_cell(roles[i])} raised {readable(text)}"
                     for i, text in sorted(run.errors.items())
                     if roles[i]["kind"] in ("answer", "extra", "given")]
    result.notes += answer_errors[:5]
    result.status = GRADED
    result.score = sum(c.score for c in result.cells)
    result.reason = stop
    result.seconds = round(time.monotonic() - start, 2)
    return result
