"""Student-facing checks: what was tested, expected against got, a hint, or a clear success line.

A ``Check`` describes one graded quantity of an exercise: how to build its inputs from a random
generator, how to call the student's answer, and the tolerance. Grading is split in two halves
so that it can run in two places:

* ``Check.run(obj, args)`` calls the student's object on copies of the inputs and returns a plain
  *case record* (see ``course_lib.wire``). It needs neither the reference nor the expected
  value, so it can run in the grader's sandbox, where the reference answers do not exist.
* ``compare_values`` (through ``Exercise.judge``) compares an expected and a harvested result
  and returns an ``Outcome``.

The references, hints and special judges of each exercise live in ``course_lib.answers``, which
the grader's sandbox leaves out.

Fair comparison rules, the same everywhere:

* results are judged with tolerances wide enough for single-precision (float32) rounding, so
  float32 code, or code that mixes float32 and float64, is right; a wrong formula is still off
  by far more, and unstable formulas show up as inf/nan or errors;
* a number may come back as a 0-d, ``(1,)`` or ``(1, 1)`` array; labels and shapes as a list,
  tuple or integer array; where a shape matters (rows against columns) it is compared exactly;
* NumPy's overflow, division-by-zero and invalid-operation errors are raised while an answer
  runs, whatever error state the answer itself asks for, so an unstable formula cannot hide its
  overflow behind ``np.errstate(all="ignore")``.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .wire import decode, encode, fingerprint, summarize

__all__ = ["Check", "Hint", "Outcome", "CheckFailed", "AnswerFormatError", "answer_pair", "encode",
           "decode", "summarize", "compare_values", "VISIBLE", "HIDDEN", "case_seed"]

VISIBLE, HIDDEN = "visible", "hidden"
# float32 tolerances: measured rounding errors of correct float32 code on these checks stay below
# 3e-7 of the largest expected value and 1e-4 relative on entries that are not tiny
SINGLE_RTOL, SINGLE_ATOL = 1e-4, 1e-5          # atol is relative to the largest expected value
_MISSING = object()
WIDTH = 90          # characters of a message line: the Validate dialog cuts longer lines off


class CheckFailed(AssertionError):
    """A graded check did not pass; the message says what was tested, expected, got and a hint.

    Raised only outside a notebook (a script, a test): in a notebook a failed check prints its
    message on stderr instead (see ``report``). Should it be raised in IPython, it shows as that
    message alone, once: IPython asks an exception for ``_render_traceback_`` and prints what
    it returns instead of a traceback through course_lib."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class AnswerFormatError(Exception):
    """The answer returned something of the wrong form (raised by a check's ``call`` adapter).

    Its message is shown as it is: it says what form was expected."""


def answer_pair(result, what: str, first: str, second: str):
    """The two parts of a result that must be a pair (a tuple or a list of two); otherwise an
    ``AnswerFormatError`` that says so, e.g. ``answer_pair(r, "forward", "As", "Y")``."""
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return result
    kind = type(result).__name__
    size = f" of {len(result)} items" if isinstance(result, (tuple, list)) else ""
    raise AnswerFormatError(f"{what} must return the pair ({first}, {second}), as in `return "
                            f"{first}, {second}`; it returned a {kind}{size}")


def case_seed(seed: int, check: str, variant: str, index: int) -> int:
    """The seed of one case: the same anywhere, and it does not reveal ``seed`` (hidden cases
    reach the student's kernel as their own seeds, never the course's hidden seed)."""
    digest = hashlib.sha256(f"{seed}|{check}|{variant}|{index}".encode()).digest()
    return int.from_bytes(digest[:16], "little")


# --- running an answer (in the student's kernel or the grader's sandbox) ---------------------

@contextlib.contextmanager
def float_errors_raised():
    """Raise FloatingPointError on overflow, division by zero and invalid operations, and keep
    it so even where the answer sets its own error state (``np.errstate``, ``np.seterr``, as a
    decorator or an alias): NumPy builds every error state through one function, which is
    replaced for the duration. Underflow stays allowed."""
    from numpy._core import _ufunc_config

    real = _ufunc_config._make_extobj

    def forced(**options):
        if "all" in options:
            options.setdefault("under", options.pop("all"))
        options.update(divide="raise", over="raise", invalid="raise")
        return real(**options)

    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        _ufunc_config._make_extobj = forced
        try:
            yield
        finally:
            _ufunc_config._make_extobj = real


class ByValue(list):
    """Stand-in calls whose inputs the answer computes itself (a sample's columns, an earlier
    stage's result), so they may differ from the reference's in the last bits: recognised by
    value, to single-precision tolerance, not by their exact bytes."""


def _near(call, stored) -> bool:
    """Whether the inputs of a call equal stored ones: the same structure and shapes, and every
    number within single-precision rounding of the stored one."""
    if isinstance(stored, np.ndarray):
        if not isinstance(call, np.ndarray) or call.shape != stored.shape or \
                call.dtype.kind not in "fiub" or not np.all(np.isfinite(call)):
            return False
        scale = float(np.max(np.abs(stored))) if stored.size else 0.0
        try:
            return bool(np.allclose(call, stored, rtol=SINGLE_RTOL, atol=SINGLE_ATOL * scale))
        except FloatingPointError:
            return False
    if isinstance(stored, dict):
        return isinstance(call, dict) and call.keys() == stored.keys() and \
            all(_near(call[k], stored[k]) for k in stored)
    if isinstance(stored, (list, tuple)):
        return isinstance(call, (list, tuple)) and len(call) == len(stored) and \
            all(_near(c, v) for c, v in zip(call, stored))
    return type(call) is type(stored) and call == stored


def _stand_in(name: str, memo: dict, original, used: set):
    """A function that answers the inputs in ``memo`` with the reference results, and anything
    else with the student's own function. ``memo["exact"]`` maps the fingerprints of exact
    inputs to encoded results; ``memo["near"]`` lists ``[encoded inputs, encoded result]`` pairs
    recognised by value (``ByValue``)."""
    near = [(decode(inputs), result) for inputs, result in memo.get("near", ())]

    def stand_in(*args, **kwargs):
        call = list(args) + ([kwargs] if kwargs else [])
        key = fingerprint(call)
        found = memo.get("exact", {}).get(key)
        if found is None:
            found = next((result for inputs, result in near if _near(call, inputs)), None)
        if found is not None:
            used.add(name)
            return decode(found)
        if original is _MISSING:
            raise NameError(f"name {name!r} is not defined")
        return original(*args, **kwargs)
    stand_in.__name__ = name
    return stand_in


def _tolerant(name: str, original, used: set):
    """The student's function, returning nan instead of raising (its own test judges it)."""
    def tolerant(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the error is counted by that function's own test
            used.add(name)
            return float("nan")
    tolerant.__name__ = name
    return tolerant


@contextlib.contextmanager
def standing_in(obj, memos: dict, used: set, tolerated: Sequence[str] = (),
                replaced: dict | None = None):
    """While ``obj`` runs, the names in ``memos`` (functions of the notebook that the answer is
    expected to call) answer their known inputs with the reference results, the functions
    named in ``tolerated`` return nan instead of raising, and those in ``replaced`` are the
    given functions: a mistake in an earlier function does not cost the points of a later one."""
    namespace = getattr(obj, "__globals__", None)
    replaced = replaced or {}
    if not (memos or tolerated or replaced) or not isinstance(namespace, dict):
        yield
        return
    saved = {name: namespace.get(name, _MISSING) for name in [*memos, *tolerated, *replaced]}
    for name, memo in memos.items():
        namespace[name] = _stand_in(name, memo, saved[name], used)
    for name in tolerated:
        if saved[name] is not _MISSING and callable(saved[name]):
            namespace[name] = _tolerant(name, saved[name], used)
    namespace.update(replaced)
    try:
        yield
    finally:
        for name, original in saved.items():
            if original is _MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = original


def changed_inputs(before: tuple, after: tuple, names: Sequence[str] = ()) -> list[str]:
    """Which inputs (and which entries of dict inputs) differ after a call: 'grads['W1']'."""
    changed = []
    for i, (old, new) in enumerate(zip(before, after)):
        label = names[i] if i < len(names) else f"argument {i + 1}"
        if isinstance(old, dict) and isinstance(new, dict):
            changed += [f"{label}[{key!r}]" for key in old
                        if key not in new or fingerprint(old[key]) != fingerprint(new[key])]
            if set(new) - set(old):
                changed.append(f"{label} (entries were added)")
        elif fingerprint(old) != fingerprint(new):
            changed.append(label)
    return changed


# --- comparing results -------------------------------------------------------------------------

@dataclass
class Hint:
    """A typical mistake: ``applies(expected, got, args)`` recognises it, ``message`` explains.

    ``expected`` and ``got`` are decoded values; ``args`` are the case's inputs. ``errors``
    names exception types for which the hint is given instead of the generic error hint."""
    message: str
    applies: Callable[[Any, Any, tuple], bool]
    errors: tuple = ()


@dataclass
class Outcome:
    """The result of one check on one set of inputs."""
    check: str
    passed: bool
    tested: str
    expected: str = ""
    got: str = ""
    hint: str = ""
    detail: str = ""
    retry: str = ""         # how to get this case's inputs (visible cases, in the notebook)

    def __str__(self) -> str:
        if self.passed:
            return fold(f"PASSED {self.check}: {self.tested}"
                        + (f" ({self.detail})" if self.detail else ""), "  ")
        lines = [fold(f"FAILED {self.check}: {self.tested}", "    ")]
        if self.expected:
            lines.append(_value_lines("  expected: ", self.expected))
        if self.got:
            lines.append(_value_lines("  got:      ", self.got))
        if self.detail:
            lines.append(fold(f"  {self.detail}", "    "))
        if self.hint:
            lines.append(fold(f"  hint: {self.hint}", "        "))
        if self.retry:
            lines.append(fold(f"  {self.retry}", "    "))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "retry" or v}


def fold(line: str, indent: str, width: int = WIDTH) -> str:
    """A line folded at spaces into lines of at most ``width`` characters (a single word longer
    than that stays whole), the later ones indented: numbers such as ``1.0e-05`` or ``-0.25``
    are never broken."""
    if len(line) <= width:
        return line
    return "\n".join(textwrap.wrap(line, width, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False)) or line


def _value_lines(label: str, value: str) -> str:
    """``label`` and a value: a one-line value folded under it, a matrix (several lines) on the
    lines after its first, indented."""
    first, *rest = value.split("\n")
    return "\n".join([fold(label + first, " " * len(label))] +
                     [fold("    " + line, "     ") for line in rest])


class _Args:
    """The case's inputs, built only when a hint needs them (some cases load MNIST)."""

    def __init__(self, source):
        self._source, self._value = source, None

    def get(self) -> tuple:
        if self._value is None:
            self._value = self._source() if callable(self._source) else tuple(self._source)
        return self._value


def tolerance(rtol: float, atol: float, expected: np.ndarray) -> tuple[float, float]:
    """The (rtol, atol) to compare with: the check's own, widened to what single precision
    (float32) rounding can cause, relative to the largest expected value. A result computed
    partly or wholly in float32 is as right as one in float64; a wrong formula, an overflow or
    an underflow mistake is off by far more (inf, nan, or errors of order one)."""
    scale = float(np.max(np.abs(expected), initial=0.0))
    return max(rtol, SINGLE_RTOL), max(atol, SINGLE_ATOL * scale)


def _first_mismatch(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> str:
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"; first at index {index}" if index else ""
    return (f"{int(bad.sum())} of {bad.size} values differ{where}: expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}")


def _generic_value_hint(expected: np.ndarray, got: np.ndarray, hidden: bool) -> str:
    """Hints that apply to any numeric array: transposes, sign, and a constant factor (only for
    arrays with several non-zero values, and never for hidden cases, where a ratio would reveal
    the hidden expected values)."""
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and \
            np.allclose(got, expected.T, rtol=1e-5, atol=1e-12) and not np.allclose(got, expected):
        return "your result is the transpose of the expected one"
    if np.any(expected != 0) and np.allclose(got, -expected, rtol=1e-5, atol=1e-12):
        return "your result has the wrong sign"
    nonzero = np.abs(expected) > 1e-12
    if hidden or nonzero.sum() < 2 or not np.all(np.abs(got[~nonzero]) < 1e-12):
        return ""
    ratio = got[nonzero] / expected[nonzero]
    factor = float(ratio.flat[0])
    if factor != 0 and abs(factor - 1) > 1e-4 and np.allclose(ratio, factor, rtol=1e-5):
        return (f"your values are {factor:.6g} times the expected ones: look for a missing "
                "or extra factor (such as 1/m, the batch size, or 1/2)")
    return ""


def _custom_hint(hints: Sequence[Hint], expected, got, args: _Args) -> str:
    for hint in hints:
        try:
            with np.errstate(all="ignore"):
                if hint.applies(expected, got, args.get()):
                    return hint.message
        except Exception:  # noqa: BLE001 - a hint that cannot be evaluated simply does not apply
            continue
    return ""


def _error_hint(got: dict) -> str:
    kind = got["type"]
    if kind == "NotImplementedError":
        return "not implemented yet: replace `raise NotImplementedError()` with your code"
    if kind == "FloatingPointError":
        return ("a floating-point overflow, division by zero or invalid operation happened (for "
                "example exp(1000) = inf, or log(0)): rewrite the formula so that it stays finite "
                "for large inputs; note that np.where evaluates both branches, and that "
                "silencing NumPy's warnings does not count as avoiding the overflow")
    if kind == "AnswerFormatError":
        return got["message"]
    if kind == "NameError":
        return "a name is not defined: run the cell that defines it, or check its spelling"
    if kind in ("ImportError", "ModuleNotFoundError"):
        return ("an import failed: while grading, your code has NumPy, the notebook's own imports "
                "and course_lib's given modules; other packages and the course's reference "
                "answers are not available while grading")
    return "your code raised an exception; run it on the inputs above to see where"


def _as_array(got: dict):
    """The numeric value of a result that may stand for an array: an array, a list of ints
    (labels), a bool, or a list of numbers that came as one-element arrays (a history of
    accuracies each returned as shape (1,)); None for anything else."""
    kind = got.get("kind")
    if kind == "array":
        return decode(got)
    if kind == "ints":
        return np.asarray(got["value"], dtype=np.int64)
    if kind == "bool":
        return np.asarray(float(got["value"]))
    if kind == "list" and got["items"] and all(
            item.get("kind") == "array" and np.prod(item["shape"], dtype=np.int64) == 1
            for item in got["items"]):
        return np.array([float(decode(item).reshape(())) for item in got["items"]])
    return None


def compare_values(name: str, tested: str, expected: dict, got: dict, args=(), *,
                   rtol: float = 1e-7, atol: float = 1e-10, hints: Sequence[Hint] = (),
                   hidden: bool = False, shape_note: str = "", answer_kind: str = "",
                   variable: bool = False) -> Outcome:
    """Compare an expected and a student result, both encoded, and explain any difference.

    The order follows what a student should fix first: errors and missing return values, then
    the type and shape, then non-finite numbers, then the values themselves. ``args`` are the
    case's inputs, or a function that builds them (only called if a hint needs them).
    ``shape_note`` explains why the exact shape matters, for the feedback. ``answer_kind``
    (for a fixed question, whose expected value is the answer) is shown in place of the
    expected value; ``variable`` says the answer is a variable named ``name``, not a function.
    """
    outcome = _summarized(_compare(name, tested, expected, got, args, rtol=rtol, atol=atol,
                                   hints=hints, hidden=hidden, shape_note=shape_note,
                                   variable=variable), expected, got)
    if answer_kind and not outcome.passed:
        outcome.expected = answer_kind
    return outcome


# An outcome's expected or got value still to be summarised (``_summarized``): summaries are
# made only for the outcomes that are kept, not for each item of a dict or list that matches.
_PENDING = object()


def _summarized(outcome: Outcome, expected: dict, got: dict) -> Outcome:
    """``outcome`` with the summaries of ``expected`` and ``got`` where ``_compare`` left them
    pending."""
    if outcome.expected is _PENDING:
        outcome.expected = summarize(expected)
    if outcome.got is _PENDING:
        outcome.got = summarize(got)
    return outcome


def _compare(name: str, tested: str, expected: dict, got: dict, args=(), *, rtol: float,
             atol: float, hints: Sequence[Hint], hidden: bool, shape_note: str,
             variable: bool = False) -> Outcome:
    """``compare_values`` with the values' summaries left pending (see ``_summarized``)."""
    args = args if isinstance(args, _Args) else _Args(args)
    outcome = Outcome(name, False, tested, expected=_PENDING, got=_PENDING)
    kind = got.get("kind")
    if kind == "error":
        outcome.hint = next((h.message for h in hints if got["type"] in h.errors), "") or \
            _error_hint(got)
        return outcome
    if kind == "none":
        if variable:
            outcome.got = "None"
            outcome.hint = f"{name} is still None: assign your answer to it"
        else:
            outcome.hint = "did you forget the `return` statement?"
        return outcome
    options = dict(rtol=rtol, atol=atol, hints=hints, hidden=hidden, shape_note=shape_note)
    if expected["kind"] == "dict":
        return _compare_dicts(name, tested, expected, got, args, **options)
    if expected["kind"] == "list":
        return _compare_lists(name, tested, expected, got, args, **options)
    if expected["kind"] in ("ints", "bool"):
        value = decode(got) if kind == expected["kind"] else None
        if expected["kind"] == "ints" and kind == "array":
            array = decode(got)
            if array.ndim == 1 and np.all(array == np.round(array)):
                value = tuple(int(v) for v in array)
        wanted = tuple(np.atleast_1d(decode(expected)))
        outcome.passed = value is not None and tuple(np.atleast_1d(value)) == wanted
        if not outcome.passed:
            swapped = value is not None and len(wanted) > 1 and \
                tuple(np.atleast_1d(value)) == wanted[::-1]
            outcome.hint = _custom_hint(hints, decode(expected), decode(got), args) or (
                "the sizes are in the wrong order: rows come first, then columns" if swapped
                else "")
        return outcome
    exp, val = decode(expected), _as_array(got)
    if val is None:
        outcome.hint = "the result should be a NumPy array (or a number)"
        return outcome
    if exp.ndim == 0 and val.size == 1:
        val = val.reshape(())                   # a number as 0-d, (1,) or (1, 1): all fine
    if val.shape != exp.shape:
        outcome.expected = f"shape {exp.shape}"
        outcome.got = f"shape {val.shape}"
        if val.shape == exp.shape[::-1] and exp.ndim == 2:
            outcome.hint = "your result looks transposed: check which axis holds the samples"
        elif val.size == exp.size:
            outcome.hint = "right number of values, wrong shape: check reshapes and keepdims"
        else:
            outcome.hint = _custom_hint(hints, exp, val, args) or (
                f"a result of shape {exp.shape} is expected: check the axis you work along "
                "and the shapes of the arrays you combine")
        if shape_note:
            outcome.detail = shape_note
        return outcome
    if not np.all(np.isfinite(val)) and np.all(np.isfinite(exp)):
        outcome.detail = "your result contains nan or inf"
        outcome.hint = _custom_hint(hints, exp, val, args) or \
            "overflow? exp of a large number is inf: make the computation numerically stable"
        return outcome
    rtol, atol = tolerance(rtol, atol, exp)
    with np.errstate(all="ignore"):
        close = np.allclose(val, exp, rtol=rtol, atol=atol)
    if close:
        outcome.passed = True
        largest = float(np.max(np.abs(val - exp), initial=0))
        outcome.detail = f"largest difference {largest:.1e}" if largest else \
            "largest difference 0"
        return outcome
    outcome.detail = _first_mismatch(exp, val, rtol, atol)
    outcome.hint = _custom_hint(hints, exp, val, args) or _generic_value_hint(exp, val, hidden)
    return outcome


def _compare_dicts(name, tested, expected, got, args, **options) -> Outcome:
    if got.get("kind") != "dict":
        return Outcome(name, False, tested, expected="a dict " + summarize(expected),
                       got=summarize(got), hint="return a dict with the same keys as params")
    missing = sorted(set(expected["items"]) - set(got["items"]))
    if missing:
        return Outcome(name, False, tested, expected=f"keys {sorted(expected['items'])}",
                       got=f"keys {sorted(got['items'])}", hint=f"missing {', '.join(missing)}")
    for key, exp in expected["items"].items():
        outcome = _compare(f"{name}[{key!r}]", tested, exp, got["items"][key], args, **options)
        if not outcome.passed:
            _summarized(outcome, exp, got["items"][key])
            outcome.check = name
            outcome.detail = f"in {key!r}: {outcome.detail}".rstrip(": ")
            return outcome
    return Outcome(name, True, tested, detail="all entries match")


def _compare_lists(name, tested, expected, got, args, **options) -> Outcome:
    if got.get("kind") != "list":
        return Outcome(name, False, tested, expected=summarize(expected), got=summarize(got),
                       hint=_custom_hint(options["hints"], expected, got, args) or
                       "return a list (or a generator) of items")
    if len(got["items"]) != len(expected["items"]):
        return Outcome(name, False, tested, expected=f"{len(expected['items'])} items",
                       got=f"{len(got['items'])} items",
                       hint=_custom_hint(options["hints"], expected, got, args))
    for i, (exp, item) in enumerate(zip(expected["items"], got["items"])):
        outcome = _compare(name, tested, exp, item, args, **options)
        if not outcome.passed:
            _summarized(outcome, exp, item)
            outcome.detail = f"item {i}: {outcome.detail}".rstrip(": ")
            return outcome
    return Outcome(name, True, tested, detail="all items match")


# --- the check itself ----------------------------------------------------------------------------

@dataclass
class Check:
    """One graded quantity, as the student's kernel sees it (no reference, no hints).

    Parameters
    ----------
    name : str
        Identifier used in notebooks: ``check("softmax", softmax)``.
    tested : str
        What is tested, in words a student understands.
    make_args : callable(rng) -> tuple
        Builds the inputs for one case from a ``numpy.random.Generator``.
    call : callable(obj, args) -> result, optional
        How to use the student's object; by default ``obj(*args)``. For a graded variable use
        ``call=lambda obj, args: obj``. It raises ``AnswerFormatError`` for a result of the
        wrong form.
    cases : dict
        Number of cases per variant, e.g. ``{"visible": 1, "hidden": 3}``.
    extreme : callable(rng) -> tuple, optional
        Inputs of one more hidden case at the edge of floating point (for example scores whose
        probabilities underflow), added after the random ones.
    strict_floats : bool
        Raise NumPy floating-point errors while the answer runs (overflow, division by zero and
        invalid operations; underflow is allowed), so that an unstable formula that only
        happens to give the right number fails.
    keeps_inputs : bool
        The task says not to modify the inputs: an answer that changes them in place fails.
    arg_names : tuple of str
        Names of the inputs, for messages.
    stand_ins : tuple of str
        Functions of the notebook that the answer is expected to call and that have their own
        tests; while it runs, they answer the case's inputs with the reference results.
    tolerated : tuple of str
        Functions of the notebook the answer calls on inputs nobody can know in advance (a
        training loop's accuracy); while it runs, they return nan instead of raising, and the
        judge leaves what they computed aside when they failed their own tests.
    fallbacks : tuple of str
        Functions of the notebook the task tells the answer to use, on inputs nobody can know in
        advance (a training loop's minibatches and steps). The answer is run a second time with
        the course's versions of them in their place; when one of them failed its own test, the
        answer is judged on that second run, so that the mistake is not counted twice.
    shape_note : str
        Why the exact shape matters, shown when the shape is wrong (rows against columns).
    answer_kind : str
        For a fixed question (the same answer for every case, such as a shape): what kind of
        value is expected, e.g. "a tuple of two ints (rows, columns)". A failure shows this in
        place of the expected value, which would be the answer itself.
    variable : bool
        The answer is a variable of the notebook named like the check, not a function (so a
        ``None`` means it was not assigned, not a missing ``return``).
    """
    name: str
    tested: str
    make_args: Callable[[np.random.Generator], tuple]
    call: Callable[[Any, tuple], Any] | None = None
    rtol: float = 1e-7
    atol: float = 1e-10
    cases: dict = field(default_factory=lambda: {VISIBLE: 1, HIDDEN: 3})
    extreme: Callable[[np.random.Generator], tuple] | None = None
    strict_floats: bool = True
    keeps_inputs: bool = False
    arg_names: tuple = ()
    stand_ins: tuple = ()
    tolerated: tuple = ()
    fallbacks: tuple = ()
    shape_note: str = ""
    answer_kind: str = ""
    variable: bool = False

    def count(self, variant: str) -> int:
        return self.cases.get(variant, 0) + (1 if variant == HIDDEN and self.extreme else 0)

    def seeds(self, variant: str, seed: int) -> list[int]:
        """The seed of every case of a variant (see ``case_seed``)."""
        return [case_seed(seed, self.name, variant, i) for i in range(self.count(variant))]

    def args_of(self, variant: str, index: int, case: int) -> tuple:
        """The inputs of one case from its own seed."""
        rng = np.random.default_rng(case)
        if variant == HIDDEN and self.extreme and index == self.count(variant) - 1:
            return self.extreme(rng)
        return self.make_args(rng)

    def case_args(self, variant: str, seed: int) -> list[tuple]:
        """The inputs of every case of a variant; the same seed gives the same inputs anywhere."""
        return [self.args_of(variant, i, s) for i, s in enumerate(self.seeds(variant, seed))]

    def invoke(self, obj, args: tuple):
        """Call ``obj`` the way the notebook does and return its result in checkable form."""
        return self.call(obj, args) if self.call else obj(*args)

    def run(self, obj, args: tuple, memos: dict | None = None,
            fallbacks: dict | None = None) -> dict:
        """Call the student's object on copies of the inputs; the case record:
        ``{"value": encoded result, "changed": [inputs changed in place], "stood_in": [...]}``,
        and ``"with_course"``, the result of a second run with the course's versions of the
        ``fallbacks`` (name -> source of the function) in place of the student's."""
        if not fallbacks:
            return self._run_once(obj, args, memos or {})
        course, differed = course_functions(fallbacks), set()
        shadows = {name: _shadowed(name, getattr(obj, "__globals__", {}).get(name), function,
                                   differed) for name, function in course.items()}
        record = self._run_once(obj, args, memos or {}, shadows)
        if differed or record["value"].get("kind") == "error":
            # the student's versions did not do what the course's do: run again with those
            record["with_course"] = self._run_once(obj, args, memos or {}, course)["value"]
        return record

    def _run_once(self, obj, args: tuple, memos: dict, replaced: dict | None = None) -> dict:
        fresh = copy.deepcopy(args)
        used: set[str] = set()
        guard = float_errors_raised() if self.strict_floats else contextlib.nullcontext()
        try:
            with guard, standing_in(obj, memos, used, self.tolerated, replaced):
                result = self.invoke(obj, fresh)
        except Exception as error:  # noqa: BLE001 - the student's error is part of the feedback
            result = error
        record = {"value": encode(result), "stood_in": sorted(used)}
        if self.keeps_inputs:
            record["changed"] = changed_inputs(args, fresh, self.arg_names)
        return record


SHADOWED_CALLS = 10     # calls of one function per run compared with the course's version


def _shadowed(name: str, student, course, differed: set):
    """The student's function, which also notes in ``differed`` when its result is not the
    course's on the same inputs (or when it is missing or raises): then a second run with the
    course's version can give another result, otherwise it cannot. Only the first
    ``SHADOWED_CALLS`` calls are compared (a training loop makes thousands; a wrong formula
    shows in the first few, and an error later still leads to the second run)."""
    compared = [0]

    def shadowed(*args, **kwargs):
        if not callable(student):
            differed.add(name)
            raise NameError(f"name {name!r} is not defined")
        if name in differed or compared[0] >= SHADOWED_CALLS:
            return student(*args, **kwargs)
        compared[0] += 1
        expected = course(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        try:
            result = student(*args, **kwargs)
        except Exception:
            differed.add(name)
            raise
        if not _near(result, expected):
            differed.add(name)
        return result
    shadowed.__name__ = name
    return shadowed


def course_functions(sources: dict) -> dict:
    """The course's versions of some notebook functions from their sources (stored by the build),
    defined in one namespace with NumPy as ``np``, so that they can call each other."""
    namespace = {"np": np}
    for name, source in sources.items():
        exec(compile(source, f"<course {name}>", "exec"), namespace)  # noqa: S102 - build output
    return {name: namespace[name] for name in sources}


def report(outcomes: Sequence[Outcome]) -> None:
    """Print the success line, or the first failure's explanation.

    In a notebook (an IPython kernel) the failure is printed on stderr, once and without a
    traceback, and nothing is raised: Run All goes on to the next checks, while nbgrader's
    Validate and autograde still count the cell as failed (for them a cell that wrote to
    stderr failed, just like one that raised). Anywhere else (a script, a test) it raises
    ``CheckFailed``."""
    failed = [o for o in outcomes if not o.passed]
    if not outcomes:
        message = "no case was run: the check has no inputs for this variant"
    elif failed:
        message = str(failed[0])
    else:
        first = outcomes[0]
        count = f"{len(outcomes)} case{'s' if len(outcomes) != 1 else ''}"
        print(str(Outcome(first.check, True, first.tested,
                          detail=count + (f", {first.detail}" if first.detail else ""))))
        return
    if not _in_notebook():
        raise CheckFailed(message)
    sys.stdout.flush()                  # what the cell printed before comes first
    print(message, file=sys.stderr, flush=True)


def _in_notebook() -> bool:
    """Whether this runs in an IPython kernel (a notebook, or nbgrader executing one)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def as_json(data) -> str:
    """Deterministic JSON for build outputs (sorted keys, no spaces to vary)."""
    return json.dumps(data, sort_keys=True, indent=1)
