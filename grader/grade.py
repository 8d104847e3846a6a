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
from grader.judge.verdict import judge_run
from grader.text import readable
from grader.plan.material import Material, Submitted, blueprint_of, expected_of
from grader.results import FAILED, GRADED, SubmissionResult
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
    nb, roles, cases = grading_notebook(plan, matched, nonce, stored)
    # bounded, as the kernel's sockets are in it (a socket's path has at most 107 bytes)
    scratch = workdir / f"{student[:12]}-{assignment[:12]}-{nonce[:8]}"
    try:
        run = execute(nb, scratch, limits, assignment, batch=batch, cases=cases)
    finally:
        remove_tree(scratch)               # whatever the run left there; never raises
    result.sandbox = run.sandbox
    verdict = judge_run(plan, load(assignment), stored, run, roles, nonce)
    result.cells, result.reason = verdict.cells, verdict.stop
    result.notes += verdict.notes
    result.status = GRADED
    result.score = sum(c.score for c in result.cells)
    result.seconds = round(time.monotonic() - start, 2)
    result.cpu_seconds = round(run.cpu_seconds, 2)
    return result
