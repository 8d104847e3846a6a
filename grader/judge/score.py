"""Harvested case records + the stored cases of the build -> a test cell's score and reasons.

This runs in the grader's process, never in the student's kernel, and does no I/O. Everything
harvested is checked for form and size first (``course_lib.wire.validate``): a record that
is not what the harvest makes costs that test its points, with a reason, and is not computed
with.
"""
from __future__ import annotations

from course_lib.checks import Outcome
from course_lib.wire import EncodingError, MAX_FLOATS, validate
from course_lib.exercises import HIDDEN, Exercise, redact

from grader.plan.blueprint import TestCell
from grader.results import CellResult

MAX_NOTES = 20


def _record(raw, check, budget: list) -> dict:
    """One harvested case record, checked: an encoded value, the stand-ins used (names the
    check declares) and the inputs changed in place (short texts)."""
    if not isinstance(raw, dict):
        raise EncodingError("a case record must be a dict")
    stood_in = raw.get("stood_in", [])
    changed = raw.get("changed", [])
    if not (isinstance(stood_in, list) and
            all(s in check.stand_ins + check.tolerated for s in stood_in)):
        raise EncodingError("a case record names stand-ins the check does not have")
    if not (isinstance(changed, list) and len(changed) <= MAX_NOTES and
            all(isinstance(c, str) and len(c) <= 200 for c in changed)):
        raise EncodingError("a case record's changed inputs must be a short list of texts")
    record = {"value": validate(raw.get("value"), budget), "stood_in": list(stood_in),
              "changed": list(changed)}
    if check.fallbacks and "with_course" in raw:
        record["with_course"] = validate(raw.get("with_course"), budget)
    return record


def _harvested(payload: dict, name: str, variant: str) -> list:
    for entry in payload.get("results", []) if isinstance(payload.get("results"), list) else []:
        if isinstance(entry, dict) and entry.get("check") == name and \
                entry.get("variant") == variant:
            return entry.get("results") if isinstance(entry.get("results"), list) else []
    return []


def judge_test(exercise: Exercise, stored: dict, test: TestCell, payload: dict,
               failed: set) -> CellResult:
    """Judge one test cell's harvest against the stored cases.

    ``failed`` holds the checks this submission has failed so far; the checks this test fails
    are added to it, for the tests after it that rely on them.
    """
    outcomes: list[Outcome] = []
    budget = [MAX_FLOATS]
    before = frozenset(failed)
    for name, variant, _ in test.calls:
        check = exercise[name]
        cases = stored["checks"][name][variant]
        got = _harvested(payload, name, variant)
        if len(got) != len(cases):
            outcomes.append(Outcome(name, False, check.tested,
                                    got=f"{len(got)} results for {len(cases)} cases"))
            failed.add(name)
            continue
        for i, (case, raw) in enumerate(zip(cases, got), start=1):
            try:
                record = _record(raw, check, budget)
            except EncodingError as error:
                outcome = Outcome(name, False, check.tested, got="a malformed result",
                                  detail=f"the grader did not use it: {error}")
            else:
                outcome = exercise.judge(
                    name, case, record,
                    lambda case=case, i=i: check.args_of(variant, i - 1, case["seed"]),
                    hidden=variant == HIDDEN, failed=before)
            outcomes.append(redact(outcome, i, len(cases)) if variant == HIDDEN else outcome)
            if not outcome.passed:
                failed.add(name)
    passed = all(o.passed for o in outcomes)
    first = next((o for o in outcomes if not o.passed), None)
    reason = "" if passed else f"{first.check}: {first.hint or first.detail or 'wrong result'}"
    return CellResult(test.grade_id, test.points, test.points if passed else 0.0, passed,
                      reason, [o.to_dict() for o in outcomes])
