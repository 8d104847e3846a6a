"""The fairness corpus (tests/corpora/fairness.py), graded in one batch with real kernels in the
sandbox: every correct variant keeps every point, every mistake loses exactly the tests it
names, the feedback says why, written answers in a new cell count as answered, and no hidden
expected value leaks into what a student is shown."""
import json
import re

import numpy as np
import pytest

from course_lib.wire import decode
from corpora import fairness
from grader import course
from grader.autograde import Options, autograde
from grader.run.limits import Limits
from grader.grade import blueprint

VARIANTS = fairness.VARIANTS
NAME = re.compile(r"^[a-z0-9_]+$")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The whole corpus in one batch, with the grader's default limits. (That grades do not
    depend on how busy the machine is, limits included, is tested where the limits matter:
    the adversarial corpus and test_limits' busy machine grade beside CPU-bound processes.)"""
    tmp = tmp_path_factory.mktemp("fairness")
    fairness.write(tmp / "submissions")
    results = autograde(tmp / "submissions",
                        Options(jobs=2, force=True, output=tmp / "out", limits=Limits()),
                        log=lambda line: None)
    return {(r.student, r.assignment): r for r in results}


# --- the corpus itself ---------------------------------------------------------------------------

def test_the_corpus_is_large_and_covers_every_assignment():
    assert len(VARIANTS) >= 66
    assert len(fairness.CORRECT) >= 33 and len(fairness.MISTAKES) >= 33
    for assignment in course.ASSIGNMENTS:
        assert sum(v.assignment == assignment for v in VARIANTS) >= 20, assignment
    names = [v.name for v in VARIANTS]
    assert len(set(names)) == len(names)
    assert all(NAME.match(name) for name in names)


def test_every_variant_names_real_cells():
    for variant in VARIANTS:
        plan = blueprint(variant.assignment)
        assert set(variant.loses) <= set(plan.tests), variant.name
        assert set(variant.manual_answered) <= set(plan.manual), variant.name
    assert all(not v.loses for v in fairness.CORRECT)
    assert all(v.loses and v.reason for v in fairness.MISTAKES)


# --- grading -------------------------------------------------------------------------------------

def _first_lost_text(result, lost: tuple) -> str:
    cell = next(c for c in result.cells if c.grade_id in lost)
    parts = [cell.reason]
    for outcome in cell.outcomes:
        parts += [outcome.get("hint", ""), outcome.get("detail", ""), outcome.get("got", "")]
    return "\n".join(parts)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_loses_exactly_its_own_points(graded, variant):
    result = graded.get((variant.name, variant.assignment))
    assert result is not None, "the submission is missing from the results"
    assert result.status == "graded", result.reason
    plan = blueprint(variant.assignment)
    assert [c.grade_id for c in result.cells] == list(plan.tests)
    lost = [c.grade_id for c in result.cells if not c.passed]
    assert lost == list(variant.loses), result.summary()
    points_lost = sum(c.points for c in result.cells if c.grade_id in variant.loses)
    assert result.max_score == plan.max_score
    assert result.score == result.max_score - points_lost, result.summary()
    if variant.reason:
        assert variant.reason in _first_lost_text(result, variant.loses), result.summary()
    for gid in variant.manual_answered:
        assert result.manual[gid]["answered"] is True, gid


# --- hidden expected values stay hidden ----------------------------------------------------------

def _numbers(value) -> list[float]:
    """Every number of a decoded expected value (arrays, dicts, lists, shapes)."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, np.ndarray):
        return [float(x) for x in value.ravel()]
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return [float(value)]
    return []


def _significant_digits(token: str) -> int:
    mantissa = re.split("[eE]", token.lstrip("+-"))[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return len(digits if "." in mantissa else digits.rstrip("0"))


def _shown_as(token: str, values: np.ndarray) -> bool:
    """Whether some value rounds to ``token`` at the precision the token shows."""
    mantissa, _, exponent = token.lstrip("+-").lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    half_unit = 0.5 * 10.0 ** (int(exponent or 0) - decimals) * (1 + 1e-9)
    return bool(np.any(np.abs(values - abs(float(token))) <= half_unit))


def test_hidden_expected_values_never_reach_the_feedback(graded):
    hidden = {}
    for assignment in course.ASSIGNMENTS:
        stored = json.loads((course.EXPECTED_DIR / f"{assignment}.json").read_text())
        for name, variants in stored["checks"].items():
            values = [x for case in variants["hidden"] for x in _numbers(decode(case["expected"]))]
            hidden[assignment, name] = np.abs(np.array(values, dtype=float))
    leaks, seen = [], 0
    for (student, assignment), result in graded.items():
        for cell in result.cells:
            for outcome in cell.outcomes:
                if "hidden case" not in outcome.get("tested", ""):
                    continue
                seen += 1
                values = hidden[assignment, outcome["check"]]
                for field in ("got", "detail"):
                    for token in NUMBER.findall(outcome.get(field) or ""):
                        if _significant_digits(token) >= 4 and _shown_as(token, values):
                            leaks.append(f"{student}/{cell.grade_id}/{field}: {token}")
    assert seen > 0, "no hidden case was reported at all"
    assert not leaks, leaks[:10]
