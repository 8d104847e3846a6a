"""The graded checks of each notebook, one module per assignment.

The grader replaces test cells by ``harvest`` (below), which only runs the student's objects and
hands the encoded results over; judging then happens in the grader's process.

A notebook's test cell calls ``check("name", answer)``: it runs the visible cases, computes the
expected results with course_lib's reference, prints what was tested and either a success line or
expected-against-got with a hint, and raises ``CheckFailed`` on failure. Hidden tests call
``check_hidden("name", answer)``: other inputs, expected results read from the grader's build
output (``grader/expected/<assignment>.json``), and feedback that never shows those values.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path

from ..checks import HIDDEN, VISIBLE, Check, CheckFailed, Outcome, report

__all__ = ["Exercise", "ASSIGNMENTS", "load", "harvest", "redact", "CheckFailed", "HIDDEN",
           "VISIBLE", "VISIBLE_SEED", "HARVEST_MIME"]

ASSIGNMENTS = ("ex1_softmax", "ex2_backprop", "ex3_mnist")
VISIBLE_SEED = 2026


def expected_path(assignment: str) -> Path:
    """Where ``python -m grader build`` writes the expected results of an assignment."""
    spec = importlib.util.find_spec("grader")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the grader package is not installed, so hidden tests cannot "
                                "find their expected results; install the project with "
                                "`python3 course.py setup`")
    return Path(list(spec.submodule_search_locations)[0]) / "expected" / f"{assignment}.json"


class Exercise:
    """The checks of one assignment, looked up by name.

    ``sealed`` names the course_lib modules that implement this assignment's answers: the
    grader's sandbox leaves them out, so an answer cannot call the reference implementation.
    """

    def __init__(self, assignment: str, checks: list[Check], sealed: tuple[str, ...] = ()):
        self.assignment = assignment
        self.sealed = tuple(sealed)
        self.checks = {c.name: c for c in checks}
        if len(self.checks) != len(checks):
            raise ValueError(f"{assignment}: two checks share a name")

    def __getitem__(self, name: str) -> Check:
        try:
            return self.checks[name]
        except KeyError:
            raise KeyError(f"{self.assignment} has no check called {name!r}; known: "
                           f"{', '.join(self.checks)}") from None

    def visible_outcomes(self, name: str, obj) -> list[Outcome]:
        check = self[name]
        return [check.judge(check.expected(args), check.run(obj, args), args)
                for args in check.case_args(VISIBLE, VISIBLE_SEED)]

    def hidden_outcomes(self, name: str, obj) -> list[Outcome]:
        check = self[name]
        path = expected_path(self.assignment)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `python -m grader build`")
        stored = json.loads(path.read_text())
        cases = check.case_args(HIDDEN, stored["hidden_seed"])
        expected = stored["checks"][name][HIDDEN]
        return [redact(check.judge(exp, check.run(obj, args), args), i, len(cases))
                for i, (exp, args) in enumerate(zip(expected, cases), start=1)]

    def check(self, name: str, obj) -> None:
        """Run the visible cases of a check in the student's kernel and report."""
        report(self.visible_outcomes(name, obj))

    def check_hidden(self, name: str, obj) -> None:
        """Run the hidden cases against the stored expected results and report without them."""
        report(self.hidden_outcomes(name, obj))


def redact(outcome: Outcome, index: int, total: int) -> Outcome:
    """Hidden-case feedback: what was tested, what the student returned and the hint, but no
    expected value."""
    if outcome.passed:
        return outcome
    shape_only = outcome.expected.startswith("shape ")
    return Outcome(outcome.check, False, f"{outcome.tested} (hidden case {index} of {total})",
                   expected=outcome.expected if shape_only else "", got=_kind_only(outcome.got),
                   hint=outcome.hint,
                   detail=_value_free(outcome.detail))


def _kind_only(got: str) -> str:
    """What the student returned on a hidden input, without its values: where most of an answer
    is right, its values would be the hidden expected ones."""
    if got.startswith(("an error", "None", "a ", "shape ")):
        return got
    if got.startswith("array of shape"):
        return got.split(":")[0]
    return "a number" if got else ""


def _value_free(detail: str) -> str:
    """Keep what a detail says about counts ("3 of 20 values differ"), never the numbers."""
    count = re.match(r"\d+ of \d+ values differ", detail)
    if count:
        return count.group(0)
    return detail if detail.startswith("your result contains") else ""


def load(assignment: str) -> Exercise:
    """The ``Exercise`` of an assignment by name, e.g. ``load("ex1_softmax")``."""
    if assignment not in ASSIGNMENTS:
        raise KeyError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    return importlib.import_module(f"{__name__}.{assignment}").EXERCISE



HARVEST_MIME = "application/vnd.nn-course.harvest+json"


def harvest(assignment: str, nonce: str, cell: str, hidden_seed: int, calls) -> None:
    """Used by the grader in place of a test cell: run the student's objects on the visible and
    hidden inputs and hand the encoded results over as plain data (a display output of type
    ``HARVEST_MIME``). Nothing is compared here; the grader judges in its own process.

    ``calls`` lists ``(check_name, variant, get_object)``; ``get_object()`` looks the student's
    object up lazily, so that a missing definition becomes part of the feedback.
    """
    from IPython.display import display

    from ..checks import encode

    exercise = load(assignment)
    results = []
    for name, variant, get_object in calls:
        check = exercise[name]
        seed = VISIBLE_SEED if variant == VISIBLE else hidden_seed
        try:
            obj = get_object()
        except Exception as error:  # noqa: BLE001 - e.g. NameError: not defined
            encoded = [encode(error)] * check.cases.get(variant, 0)
        else:
            encoded = [check.run(obj, args) for args in check.case_args(variant, seed)]
        results.append({"check": name, "variant": variant, "results": encoded})
    display({HARVEST_MIME: {"nonce": nonce, "cell": cell, "results": results}}, raw=True)
