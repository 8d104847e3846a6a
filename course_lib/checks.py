"""Student-facing checks: what was tested, expected against got, a hint, or a clear success line.

A ``Check`` describes one graded quantity of an exercise: how to build its inputs from a random
generator, which course_lib function computes the right answer, the tolerance, and hints that
recognise typical mistakes. Grading is split in two halves so that it can run in two places:

* ``Check.run(obj, args)`` calls the student's object on the inputs and ``encode``s the result
  as plain data (lists, numbers, strings). It needs neither the reference nor the expected value.
* ``Check.judge(expected, got, args)`` compares two encoded results and returns an ``Outcome``.

In a notebook both halves run in the student's kernel (``check`` for the visible cases,
``check_hidden`` for the hidden ones, whose expected values come from the grader's build
output). The project's grader runs only the first half in the sandboxed kernel and judges in its
own process, where the student's code cannot reach.

This module imports no reference implementation at import time; references are looked up by
name (``"course_lib.activations:softmax"``) only when a visible check computes an expected value.
"""
from __future__ import annotations

import base64
import copy
import importlib
import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Check", "Hint", "Outcome", "CheckFailed", "encode", "decode", "summarize",
           "VISIBLE", "HIDDEN"]

VISIBLE, HIDDEN = "visible", "hidden"
_MAX_ENCODED_FLOATS = 2_000_000


class CheckFailed(AssertionError):
    """A graded check did not pass; the message says what was tested, expected, got and a hint."""


# --- plain-data encoding of whatever a student's function returned --------------------------

def encode(value) -> dict:
    """Turn a result into plain, JSON-ready data without trusting the object.

    Arrays (and anything NumPy turns into a numeric array) become float64 data with their shape;
    tuples of ints stay exact (for answers such as shapes); dicts are encoded item by item;
    exceptions and ``None`` keep their meaning so that feedback can explain them.
    """
    if isinstance(value, BaseException):
        return {"kind": "error", "type": type(value).__name__, "message": str(value)[:500]}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, dict):
        return {"kind": "dict", "items": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(value)}
    if isinstance(value, (tuple, list)) and all(isinstance(v, (int, np.integer)) and
                                                not isinstance(v, bool) for v in value):
        return {"kind": "ints", "value": [int(v) for v in value]}
    if isinstance(value, (tuple, list)) and any(isinstance(v, (np.ndarray, tuple, list, dict))
                                                for v in value):
        if len(value) > 10_000:
            return {"kind": "other", "type": type(value).__name__,
                    "repr": f"a sequence of {len(value)} items (too long to grade)"}
        return {"kind": "list", "items": [encode(v) for v in value]}
    try:
        array = np.array(value, dtype=np.float64)
    except Exception:  # noqa: BLE001 - any failure means "not numeric"
        return {"kind": "other", "type": type(value).__name__, "repr": _safe_repr(value)}
    if array.size > _MAX_ENCODED_FLOATS:
        return {"kind": "other", "type": "array", "repr": f"an array of shape {array.shape} "
                "(too large to grade)"}
    data = np.ascontiguousarray(array, dtype="<f8").tobytes()
    return {"kind": "array", "shape": list(array.shape), "type": type(value).__name__,
            "data": base64.b64encode(data).decode("ascii")}


def _safe_repr(value) -> str:
    try:
        return repr(value)[:200]
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__} object>"


def decode(data: dict):
    """Inverse of ``encode`` for the kinds that carry values (arrays, dicts, ints, bools)."""
    kind = data.get("kind")
    if kind == "array":
        raw = base64.b64decode(data["data"])
        return np.frombuffer(raw, dtype="<f8").reshape(data["shape"]).astype(np.float64)
    if kind == "dict":
        return {k: decode(v) for k, v in data["items"].items()}
    if kind == "list":
        return [decode(v) for v in data["items"]]
    if kind in ("ints", "bool"):
        return tuple(data["value"]) if kind == "ints" else data["value"]
    return data


def summarize(data: dict) -> str:
    """A short human description of an encoded result: its kind and shape, then a few values."""
    kind = data.get("kind")
    if kind == "none":
        return "None (the function returned nothing)"
    if kind == "error":
        return f"an error: {data['type']}: {data['message']}"
    if kind == "other":
        return f"a {data['type']}: {data['repr']}"
    if kind in ("ints", "bool"):
        return repr(decode(data))
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {summarize(v)}" for k, v in data["items"].items()) + "}"
    if kind == "list":
        items = data["items"]
        shown = ", ".join(summarize(v) for v in items[:2])
        return f"a sequence of {len(items)} items: [{shown}{', ...' if len(items) > 2 else ''}]"
    array = decode(data)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    shown = np.array2string(array, precision=4, threshold=12, edgeitems=2, suppress_small=True)
    return f"array of shape {array.shape}: {' '.join(shown.split())}"


# --- comparing results -------------------------------------------------------------------------

@dataclass
class Hint:
    """A typical mistake: ``applies(expected, got, args)`` recognises it, ``message`` explains."""
    message: str
    applies: Callable[[Any, Any, tuple], bool]


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

    def __str__(self) -> str:
        if self.passed:
            return f"PASSED {self.check}: {self.tested}" + (f" ({self.detail})" if self.detail else "")
        lines = [f"FAILED {self.check}: {self.tested}"]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.got:
            lines.append(f"  got:      {self.got}")
        if self.detail:
            lines.append(f"  {self.detail}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _first_mismatch(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> str:
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"; first at index {index}" if index else ""
    return (f"{int(bad.sum())} of {bad.size} values differ{where}: expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}")


def _generic_value_hint(expected: np.ndarray, got: np.ndarray, args: tuple) -> str:
    """Hints that apply to any numeric answer: transposes, scale factors and sign."""
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and \
            np.allclose(got, expected.T, rtol=1e-6, atol=1e-12) and not np.allclose(got, expected):
        return "your result is the transpose of the expected one"
    if np.allclose(got, -expected, rtol=1e-6, atol=1e-12):
        return "your result has the wrong sign"
    nonzero = np.abs(expected) > 1e-12
    if nonzero.any() and np.all(np.abs(got[~nonzero]) < 1e-12):
        ratio = got[nonzero] / expected[nonzero]
        if np.allclose(ratio, ratio.flat[0], rtol=1e-6) and abs(ratio.flat[0] - 1) > 1e-6:
            factor = ratio.flat[0]
            return (f"your values are {factor:.6g} times the expected ones: look for a missing "
                    "or extra factor (such as 1/m, the batch size, or 1/2)")
    return ""


def compare_values(name: str, tested: str, expected, got, args: tuple = (), *,
                   rtol: float = 1e-7, atol: float = 1e-10,
                   hints: Sequence[Hint] = ()) -> Outcome:
    """Compare an expected and a student result, both encoded, and explain any difference.

    The order of the checks follows what a student should fix first: errors and missing return
    values, then the type and shape, then non-finite numbers, then the values themselves.
    """
    outcome = Outcome(name, False, tested, expected=summarize(expected), got=summarize(got))
    kind = got.get("kind")
    if kind == "error":
        if got["type"] == "NotImplementedError":
            outcome.hint = "not implemented yet: replace `raise NotImplementedError()` with your code"
        elif got["type"] == "FloatingPointError":
            outcome.hint = ("a floating-point overflow or invalid operation happened (for example "
                            "exp(1000) = inf, or log(0)): rewrite the formula so that it stays "
                            "finite for large inputs; note that np.where evaluates both branches")
        else:
            outcome.hint = "your code raised an exception; run it on the inputs above to see where"
        return outcome
    if kind == "none":
        outcome.hint = "did you forget the `return` statement?"
        return outcome
    if expected["kind"] == "dict":
        return _compare_dicts(name, tested, expected, got, args, rtol=rtol, atol=atol, hints=hints)
    if expected["kind"] == "list":
        return _compare_lists(name, tested, expected, got, args, rtol=rtol, atol=atol, hints=hints)
    if expected["kind"] in ("ints", "bool"):
        outcome.passed = decode(got) == decode(expected) if kind == expected["kind"] else False
        if not outcome.passed:
            outcome.hint = _custom_hint(hints, decode(expected), decode(got), args)
        return outcome
    if kind != "array":
        outcome.hint = "the result should be a NumPy array (or a number)"
        return outcome
    exp, val = decode(expected), decode(got)
    if val.shape != exp.shape:
        outcome.expected = f"shape {exp.shape}"
        outcome.got = f"shape {val.shape}"
        if val.shape == exp.shape[::-1] and exp.ndim == 2:
            outcome.hint = "your result looks transposed: check which axis holds the samples"
        elif val.size == exp.size:
            outcome.hint = "right number of values, wrong shape: check reshapes and keepdims"
        else:
            outcome.hint = _custom_hint(hints, exp, val, args) or \
                "check the shapes of the matrices you multiply"
        return outcome
    if not np.all(np.isfinite(val)) and np.all(np.isfinite(exp)):
        outcome.detail = "your result contains nan or inf"
        outcome.hint = _custom_hint(hints, exp, val, args) or \
            "overflow? exp of a large number is inf: make the computation numerically stable"
        return outcome
    if np.allclose(val, exp, rtol=rtol, atol=atol):
        outcome.passed = True
        outcome.detail = f"largest difference {float(np.max(np.abs(val - exp), initial=0)):.1e}"
        return outcome
    outcome.detail = _first_mismatch(exp, val, rtol, atol)
    outcome.hint = _custom_hint(hints, exp, val, args) or _generic_value_hint(exp, val, args)
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
        outcome = compare_values(f"{name}[{key!r}]", tested, exp, got["items"][key], args,
                                 **options)
        if not outcome.passed:
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
        outcome = compare_values(name, tested, exp, item, args, **options)
        if not outcome.passed:
            outcome.detail = f"item {i}: {outcome.detail}".rstrip(": ")
            return outcome
    return Outcome(name, True, tested, detail="all items match")


def _custom_hint(hints: Sequence[Hint], expected, got, args) -> str:
    for hint in hints:
        try:
            if hint.applies(expected, got, args):
                return hint.message
        except Exception:  # noqa: BLE001 - a hint that cannot be evaluated simply does not apply
            continue
    return ""


# --- the check itself ----------------------------------------------------------------------------

def _resolve(path: str):
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass
class Check:
    """One graded quantity.

    Parameters
    ----------
    name : str
        Identifier used in notebooks: ``check("softmax", softmax)``.
    tested : str
        What is tested, in words a student understands.
    make_args : callable(rng) -> tuple
        Builds the inputs for one case from a ``numpy.random.Generator``.
    reference : str
        ``"module:function"`` computing the right answer from the same inputs.
    call : callable(obj, args) -> result, optional
        How to use the student's object; by default ``obj(*args)``. For a graded variable use
        ``call=lambda obj, args: obj``.
    cases : dict
        Number of cases per variant, e.g. ``{"visible": 1, "hidden": 3}``.
    judge_with : str, optional
        ``"module:function"`` replacing the value comparison:
        ``function(check, expected, got, args) -> Outcome``, for answers judged by a property
        (such as the accuracy a trained network reaches) rather than by equality.
    strict_floats : bool
        Run the student's code with NumPy floating-point errors raised (overflow, division by
        zero, invalid operations; underflow is allowed), so that an unstable formula that only
        happens to give the right number, with a RuntimeWarning, still fails.
    """
    name: str
    tested: str
    make_args: Callable[[np.random.Generator], tuple]
    reference: str
    call: Callable[[Any, tuple], Any] | None = None
    rtol: float = 1e-7
    atol: float = 1e-10
    hints: Sequence[Hint] = ()
    cases: dict = field(default_factory=lambda: {VISIBLE: 1, HIDDEN: 3})
    strict_floats: bool = True
    judge_with: str | None = None

    def case_args(self, variant: str, seed: int) -> list[tuple]:
        """The inputs of every case of a variant; the same seed gives the same inputs anywhere."""
        salt = zlib.crc32(self.name.encode())
        offset = 0 if variant == VISIBLE else 1_000_003
        return [self.make_args(np.random.default_rng([seed, salt, offset + i]))
                for i in range(self.cases.get(variant, 0))]

    def run(self, obj, args: tuple) -> dict:
        """Call the student's object on copies of the inputs and encode what comes back."""
        fresh = copy.deepcopy(args)
        errors = dict(over="raise", divide="raise", invalid="raise", under="ignore")
        try:
            with np.errstate(**(errors if self.strict_floats else {})):
                result = self.call(obj, fresh) if self.call else obj(*fresh)
        except Exception as error:  # noqa: BLE001 - the student's error is part of the feedback
            return encode(error)
        return encode(result)

    def expected(self, args: tuple) -> dict:
        """The reference result for one case, encoded (needs the reference implementation)."""
        return encode(_resolve(self.reference)(*copy.deepcopy(args)))

    def judge(self, expected: dict, got: dict, args: tuple) -> Outcome:
        if self.judge_with is not None:
            return _resolve(self.judge_with)(self, expected, got, args)
        return compare_values(self.name, self.tested, expected, got, args, rtol=self.rtol,
                              atol=self.atol, hints=self.hints)


def report(outcomes: Sequence[Outcome]) -> None:
    """Print the outcomes; raise ``CheckFailed`` with the first failure's explanation."""
    if not outcomes:
        raise CheckFailed("no case was run: the check has no inputs for this variant")
    failed = [o for o in outcomes if not o.passed]
    if not failed:
        first = outcomes[0]
        count = f"{len(outcomes)} case{'s' if len(outcomes) != 1 else ''}"
        print(f"PASSED {first.check}: {first.tested} ({count}"
              + (f", {first.detail})" if first.detail else ")"))
        return
    print(failed[0])
    raise CheckFailed(str(failed[0]))


def as_json(data) -> str:
    """Deterministic JSON for build outputs (sorted keys, no spaces to vary)."""
    return json.dumps(data, sort_keys=True, indent=1)
