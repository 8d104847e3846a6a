"""Feedback on a hidden case with its values taken out, so that it cannot reveal the hidden
expected results (``redact``, used by the judge and by ``check_hidden``)."""
from __future__ import annotations

import re

from ..checks import Outcome

__all__ = ["redact"]


def redact(outcome: Outcome, index: int, total: int) -> Outcome:
    """Hidden-case feedback: what was tested, the kind of result and the hint, but no expected
    value and none of the student's values (where most of an answer is right, they would be
    the hidden expected ones)."""
    if outcome.passed:
        return outcome
    shape_only = outcome.expected.startswith("shape ")
    return Outcome(outcome.check, False, f"{outcome.tested} (hidden case {index} of {total})",
                   expected=outcome.expected if shape_only else "", got=_kind_only(outcome.got),
                   hint=outcome.hint, detail=_value_free(outcome.detail))


def _kind_only(got: str) -> str:
    """What kind of result a hidden case got, without any of its values."""
    if got.startswith("an error: "):
        return "an error: " + got[len("an error: "):].split(":")[0]   # the type, not the message
    if got.startswith(("None", "shape ", "the right values", "keys ")) or \
            re.fullmatch(r"\d+ items", got):
        return got
    if got.startswith(("array of shape", "a sequence of", "a ")):
        return got.split(":")[0]
    if re.fullmatch(r"\(?[-\d, ]*\)?", got):
        return f"a tuple of {got.count(',') + (1 if got.strip('(), ') else 0)} integers"
    if re.fullmatch(r"[-+0-9.eE]+|nan|inf|-inf", got):
        return "a number"
    return "a result of another kind" if got else ""


def _value_free(detail: str) -> str:
    """Keep what a detail says without numbers: counts ("3 of 20 values differ") and fixed
    phrases, never values."""
    count = re.match(r"(in '\w+': |item \d+: )?\d+ of \d+ values differ", detail)
    if count:
        return count.group(0)
    kept = [part for part in detail.split("; ") if part.startswith(
        ("your result contains", "your ", "the velocity convention", "history accuracies"))
        and not any(ch.isdigit() for ch in part.replace("float32", ""))]
    return "; ".join(kept)
