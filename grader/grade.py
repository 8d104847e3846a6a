"""Grade one submission: plan, execute in a limited kernel, judge in this process.

The result is plain data (see ``SubmissionResult``), written as JSON next to the gradebook so
that feedback, the CSV and resumed runs all read the same record.
"""
from __future__ import annotations

import functools
import hashlib
import json
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_lib.checks import Outcome
from course_lib.exercises import HIDDEN, VISIBLE, VISIBLE_SEED, load, redact

from . import plan as planning
from . import settings
from .execute import Limits, execute

GRADED, FAILED = "graded", "failed"


@dataclass
class CellResult:
    grade_id: str
    points: float
    score: float
    passed: bool
    reason: str = ""
    outcomes: list = field(default_factory=list)      # Outcome dicts (hidden ones redacted)


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    file: str
    sha256: str
    status: str
    reason: str = ""
    score: float | None = None
    max_score: float = 0.0
    manual: dict = field(default_factory=dict)        # grade id -> {"points", "answered"}
    cells: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    sandbox: str = ""
    fingerprint: str = ""                              # what the grade depends on, for resuming

    def summary(self) -> str:
        """One line for people: why it was not graded, or where it lost points."""
        if self.status == FAILED:
            return self.reason
        lost = [c for c in self.cells if not c.passed]
        parts = [self.reason] if self.reason else []
        if lost:
            first = lost[0].reason if not lost[0].reason.startswith("not run") else ""
            parts.append(f"failed {len(lost)} of {len(self.cells)} tests: "
                         + ", ".join(c.grade_id for c in lost[:4]) + (" ..." if len(lost) > 4 else "")
                         + (f" ({first})" if first else ""))
        return "; ".join(parts)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "SubmissionResult":
        data = json.loads(text)
        data["cells"] = [CellResult(**c) for c in data.get("cells", [])]
        return cls(**data)


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


def judge_test(assignment: str, test: planning.TestCell, payloads: list) -> CellResult:
    """Compare harvested results with the expected ones, in this process."""
    exercise = load(assignment)
    stored = expected(assignment)
    results = {(r["check"], r["variant"]): r["results"] for r in payloads[0]["results"]}
    outcomes: list[Outcome] = []
    for name, variant, _ in test.calls:
        check = exercise[name]
        seed = VISIBLE_SEED if variant == VISIBLE else stored["hidden_seed"]
        cases = check.case_args(variant, seed)
        wanted = stored["checks"][name][variant]
        got = results.get((name, variant), [])
        if len(got) != len(wanted):
            outcomes.append(Outcome(name, False, check.tested,
                                    got=f"{len(got)} results for {len(wanted)} cases"))
            continue
        for i, (exp, value, args) in enumerate(zip(wanted, got, cases), start=1):
            outcome = check.judge(exp, value, args)
            outcomes.append(redact(outcome, i, len(cases)) if variant == HIDDEN else outcome)
    passed = all(o.passed for o in outcomes)
    failed = next((o for o in outcomes if not o.passed), None)
    reason = "" if passed else (f"{failed.check}: {failed.hint or failed.detail or 'wrong result'}")
    return CellResult(test.grade_id, test.points, test.points if passed else 0.0, passed,
                      reason, [o.to_dict() for o in outcomes])


def grade_submission(assignment: str, student: str, path: Path, workdir: Path,
                     limits: Limits | None = None) -> SubmissionResult:
    """Grade one file; never raises for a bad submission (the result says what went wrong)."""
    limits = limits or Limits()
    plan = blueprint(assignment)
    result = SubmissionResult(student, assignment, str(path), "", FAILED,
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
    result.manual = {gid: {"points": points, "answered": matched.manual_answered.get(gid, False)}
                     for gid, points in plan.manual.items()}
    nonce = uuid.uuid4().hex
    nb, roles = planning.grading_notebook(plan, matched, nonce, expected(assignment)["hidden_seed"])
    scratch = workdir / f"{student}-{assignment}-{nonce[:8]}"
    try:
        run = execute(nb, scratch, limits, assignment)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.sandbox = run.sandbox
    stop = ""
    if run.stopped_at is not None:
        stop = f"{run.stop_reason} in {describe_cell(roles[run.stopped_at])}" + (
            f": {run.stop_detail}" if run.stop_detail else "")
    index_of_test = {role["grade_id"]: i for i, role in enumerate(roles) if role["kind"] == "test"}
    for gid, test in plan.tests.items():
        index = index_of_test[gid]
        payloads = [p for p in run.harvests.get(index, []) if p.get("nonce") == nonce
                    and p.get("cell") == gid]
        if payloads:
            result.cells.append(judge_test(assignment, test, payloads))
        elif run.stopped_at is not None and run.stopped_at <= index:
            result.cells.append(CellResult(gid, test.points, 0.0, False, f"not run: {stop}"))
        else:
            error = run.errors.get(index, "it produced no results")
            result.cells.append(CellResult(gid, test.points, 0.0, False,
                                           f"the test could not run: {error}"))
    answer_errors = [f"{describe_cell(roles[i])} raised {text}" for i, text in sorted(run.errors.items())
                     if roles[i]["kind"] in ("answer", "extra", "given")]
    result.notes += answer_errors[:5]
    result.status = GRADED
    result.score = sum(c.score for c in result.cells)
    result.reason = stop
    result.seconds = round(time.monotonic() - start, 2)
    return result
