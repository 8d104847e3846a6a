"""The ``Exercise`` of an assignment: its checks, the cases stored for them, and the judging of what
a student's answer returned.

A stored case (``Exercise.case``) is ``{"seed", "expected", "alternatives", "stand_ins"}``:
the seed its inputs are made from, the encoded reference result, other accepted results (an
equivalent convention), and the reference results of the functions the answer is expected to
call, keyed by the fingerprint of their exact inputs, or listed with their inputs where the
answer computes those itself (see ``Check.stand_ins`` and ``checks.ByValue``).
"""
from __future__ import annotations

import copy
import importlib
import inspect
import json
import textwrap

from ..checks import HIDDEN, VISIBLE, ByValue, Check, Outcome, compare_values, report
from ..wire import encode, fingerprint
from .course import expected_path
from .redaction import redact

__all__ = ["ASSIGNMENTS", "VISIBLE_SEED", "Exercise", "load"]

ASSIGNMENTS = ("ex1_softmax", "ex2_backprop", "ex3_mnist", "ex4_deep")
VISIBLE_SEED = 2026


class Exercise:
    """The checks of one assignment, looked up by name.

    ``sealed`` names the top-level course_lib modules that implement this assignment's answers:
    the grader's sandbox leaves them out (with ``course_lib.answers``), so an answer cannot call
    a reference implementation.
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

    @property
    def answers(self):
        """The module of reference answers, hints and judges (not available while grading)."""
        return importlib.import_module(f"course_lib.answers.{self.assignment}")

    # --- what is expected (needs the answers) --------------------------------------------------

    def case(self, name: str, variant: str, index: int, seed: int) -> dict:
        """Everything stored about one case: its seed, expected result, accepted alternatives
        and the stand-in results for the functions the answer calls.

        A check whose reference is ``None`` is judged from the answer alone by its special
        judge (for example a training run whose returned weights must reach a test accuracy):
        nothing is computed for it, and only the seed (and its fallbacks) stored."""
        check, answers = self[name], self.answers
        if answers.REFERENCES[name] is None:
            if name not in answers.JUDGES:
                raise ValueError(f"{self.assignment}: check {name!r} has no reference and no "
                                 "judge")
            return {"seed": seed, "expected": encode(None), **self._fallbacks(check)}
        args = check.args_of(variant, index, seed)
        stored = {"seed": seed, "expected": encode(check.invoke(answers.REFERENCES[name], args)),
                  **self._fallbacks(check)}
        alternatives = [{"expected": encode(check.invoke(reference, args)), "note": note}
                        for reference, note in answers.ALTERNATIVES.get(name, ())]
        if alternatives:
            stored["alternatives"] = alternatives
        if check.stand_ins:
            stored["stand_ins"] = self._memos(name, args)
        return stored

    def _fallbacks(self, check: Check) -> dict:
        """``{"fallbacks": name -> source}`` of the course's versions a check falls back on."""
        if not check.fallbacks:
            return {}
        return {"fallbacks": {function: textwrap.dedent(inspect.getsource(
            self.answers.FALLBACKS[function])) for function in check.fallbacks}}

    def cases(self, name: str, variant: str, seed: int) -> list[dict]:
        return [self.case(name, variant, i, s) for i, s in enumerate(self[name].seeds(variant, seed))]

    def _memos(self, name: str, args: tuple) -> dict:
        """For each stand-in function: fingerprint of its exact inputs -> encoded reference."""
        answers = self.answers
        memos = {}
        for function in self[name].stand_ins:
            calls = answers.STAND_IN_CALLS[name][function](*args)
            reference = answers.REFERENCES[function]
            if isinstance(calls, ByValue):
                memos[function] = {"near": [[encode(list(inner)), encode(reference(*inner))]
                                            for inner in calls]}
            else:
                memos[function] = {"exact": {fingerprint(list(inner)): encode(reference(*inner))
                                             for inner in calls}}
        return memos

    # --- judging ---------------------------------------------------------------------------------

    def judge(self, name: str, case: dict, record: dict, args, *, hidden: bool = False,
              failed: frozenset = frozenset()) -> Outcome:
        """The outcome of one case: the harvested ``record`` against the stored ``case``.

        ``args`` are the case's inputs or a function that builds them (used by hints);
        ``failed`` holds the checks this submission failed before, for tests that rely on them.
        """
        check, answers = self[name], self.answers
        special = answers.JUDGES.get(name)
        if special is not None:
            outcome = special(self, check, case, record, args, hidden=hidden, failed=failed)
        else:
            outcome = self.compare(name, case["expected"], record["value"], args, hidden=hidden)
            for alternative in case.get("alternatives", ()) if not outcome.passed else ():
                other = self.compare(name, alternative["expected"], record["value"], args,
                                     hidden=hidden)
                if other.passed:
                    outcome = other
                    outcome.detail = alternative["note"]
                    break
        relied = sorted(set(check.fallbacks) & set(failed))
        if not outcome.passed and relied and "with_course" in record:
            # judged on the run with the course's versions of the functions that failed
            second = {key: value for key, value in record.items() if key != "with_course"}
            again = self.judge(name, case, {**second, "value": record["with_course"]}, args,
                               hidden=hidden, failed=failed - set(relied))
            names = " and ".join(relied)
            again.detail = "; ".join(filter(None, [again.detail, (
                f"your {names} failed its own test, so {name} was also run with the course's "
                f"{names}" + (": that mistake is counted only once" if again.passed else ""))]))
            outcome = again
        changed = record.get("changed") or []
        if outcome.passed and check.keeps_inputs and changed:
            outcome = Outcome(name, False, check.tested, got="the right values, but "
                              f"{', '.join(changed[:3])} changed in place",
                              hint="the task asks you not to modify the inputs: build new "
                                   "arrays and a new dict (for example `g + wd * W`, not `g += "
                                   "...`), or work on copies")
        leaned_on = sorted(set(record.get("stood_in") or ()) & set(failed) & set(check.stand_ins))
        if leaned_on:
            names = ", ".join(leaned_on)
            outcome.detail = (f"{outcome.detail}; " if outcome.detail else "") + (
                f"your {names} failed its own test, so the course's {names} answered for it "
                "here: that mistake is counted only once")
        return outcome

    def compare(self, name: str, expected: dict, got: dict, args, *, hidden: bool = False
                ) -> Outcome:
        """Value comparison of a check, with its tolerance and the answers' hints."""
        check = self[name]
        return compare_values(name, check.tested, expected, got, args, rtol=check.rtol,
                              atol=check.atol, hints=self.answers.HINTS.get(name, ()),
                              hidden=hidden, shape_note=check.shape_note,
                              answer_kind=check.answer_kind, variable=check.variable)

    # --- in a notebook ---------------------------------------------------------------------------

    def _outcomes(self, name: str, obj, variant: str, cases: list[dict]) -> list[Outcome]:
        check, outcomes = self[name], []
        for i, case in enumerate(cases, start=1):
            args = check.args_of(variant, i - 1, case["seed"])
            record = check.run(obj, args, case.get("stand_ins"))
            outcome = self.judge(name, case, record, args, hidden=variant == HIDDEN)
            if variant == HIDDEN:
                outcome = redact(outcome, i, len(cases))
            elif not outcome.passed and args:
                number = f", {i}" if i > 1 else ""
                outcome.retry = (f"to try it yourself: `args = inputs({name!r}{number})`" + (
                    " gives this case's inputs" if check.call else f", then `{name}(*args)`"))
            outcomes.append(outcome)
        return outcomes

    def visible_outcomes(self, name: str, obj) -> list[Outcome]:
        return self._outcomes(name, obj, VISIBLE, self.cases(name, VISIBLE, VISIBLE_SEED))

    def hidden_outcomes(self, name: str, obj) -> list[Outcome]:
        path = expected_path(self.assignment)
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `python -m grader build`")
        stored = json.loads(path.read_text())
        return self._outcomes(name, obj, HIDDEN, stored["checks"][name][HIDDEN])

    def inputs(self, name: str, case: int = 1) -> tuple:
        """Copies of the inputs of a visible case of a check (the first by default), as the
        check passes them to the answer, to try it on them in a scratch cell:
        ``args = inputs("softmax")``, then ``softmax(*args)``. Hidden cases have no such door."""
        check = self[name]
        seeds = check.seeds(VISIBLE, VISIBLE_SEED)
        if not 1 <= case <= len(seeds):
            raise IndexError(f"{name} has {len(seeds)} visible case{'s' * (len(seeds) != 1)}; "
                             f"case {case} does not exist")
        return copy.deepcopy(check.args_of(VISIBLE, case - 1, seeds[case - 1]))

    def check(self, name: str, obj) -> None:
        """Run the visible cases of a check in the student's kernel and report (see
        ``checks.report``: in a notebook a failure is printed, elsewhere raised)."""
        report(self.visible_outcomes(name, obj))

    def check_hidden(self, name: str, obj) -> None:
        """Run the hidden cases against the stored expected results and report without them."""
        report(self.hidden_outcomes(name, obj))


def load(assignment: str) -> Exercise:
    """The ``Exercise`` of an assignment by name, e.g. ``load("ex1_softmax")``."""
    if assignment not in ASSIGNMENTS:
        raise KeyError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    return importlib.import_module(f"{__package__}.{assignment}").EXERCISE

