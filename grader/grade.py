"""Grade one submission: plan, execute in a limited kernel, judge in this process.

The result is plain data (see ``SubmissionResult``), written as JSON next to the gradebook so
that feedback, the CSV and resumed runs all read the same record.
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path

from course_lib.exercises import load

from grader.intake.reading import Rejected, parse_submission
from grader.plan.blueprint import Blueprint
from grader.plan.grading_notebook import grading_notebook
from grader.plan.matching import match
from grader.run.execute import execute
from grader.run.limits import Limits
from grader.judge.score import judge_test
from grader.text import readable
from grader.plan.material import Material, Submitted, blueprint_of, expected_of
from grader.results import FAILED, GRADED, CellResult, SubmissionResult
from grader.run.scratch import remove_tree


def blueprint(assignment: str) -> Blueprint:
    """The blueprint of one of the course's assignments."""
    return blueprint_of(Material.from_course(assignment))


def expected(assignment: str) -> dict:
    """The expected results of one of the course's assignments."""
    return expected_of(Material.from_course(assignment))


def assignment_fingerprint(assignment: str) -> str:
    """Changes whenever the source notebook or the expected results change."""
    return Material.from_course(assignment).fingerprint


def describe_cell(role: dict) -> str:
    kinds = {"answer": f"your answer {role.get('grade_id')!r}", "test": f"test {role.get('grade_id')!r}",
             "extra": "a cell you added", "given": "a cell of the assignment"}
    where = f"cell {role['position']}" if role.get("position") else "a cell"
    return f"{where} ({kinds[role['kind']]})"


def grade_submission(assignment: str, student: str, path: Path, workdir: Path,
                     limits: Limits | None = None) -> SubmissionResult:
    """Grade one file of the course's assignment (see ``grade``)."""
    return grade(Material.from_course(assignment), student, Submitted.read(path), workdir,
                 limits)


def grade(material: Material, student: str, submitted: Submitted, workdir: Path,
          limits: Limits | None = None, batch: str | None = None) -> SubmissionResult:
    """Grade one submitted file against the instructor's ``material``, running it in a fresh
    limited kernel under ``workdir`` (tagged with ``batch``, by default this process's batch);
    never raises for a bad submission (the result says what went wrong)."""
    limits = limits or Limits()
    plan = blueprint_of(material)
    assignment = material.assignment
    result = SubmissionResult(student, assignment, submitted.file, submitted.sha256, FAILED,
                              max_score=plan.max_score, fingerprint=material.fingerprint)
    start = time.monotonic()
    if submitted.problem:
        result.reason = submitted.problem
        return result
    try:
        cells, notes = parse_submission(submitted.data)
    except Rejected as rejected:
        result.reason = str(rejected)
        return result
    matched = match(plan, cells)
    result.notes = notes + matched.notes
    result.manual = {gid: {"points": points, "answered": matched.manual_answered.get(gid, False),
                           "text": readable(matched.manual_text.get(gid, ""))}
                     for gid, points in plan.manual.items()}
    result.answers = {gid: readable("\n\n".join(source for source, _ in copies))
                      for gid, copies in matched.answers.items() if copies}
    nonce = uuid.uuid4().hex
    stored = expected_of(material)
    nb, roles = grading_notebook(plan, matched, nonce, stored)
    scratch = workdir / f"{student}-{assignment}-{nonce[:8]}"
    try:
        run = execute(nb, scratch, limits, assignment, batch=batch)
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
    result.cpu_seconds = round(run.cpu_seconds, 2)
    return result
