"""What runs in the student's kernel in place of a test cell while grading: ``harvest`` runs the
student's objects on the cases' inputs and hands the records over as plain data."""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..wire import encode
from .model import load

__all__ = ["HARVEST_MIME", "CASES_VARIABLE", "harvest"]

HARVEST_MIME = "application/vnd.nn-course.harvest+json"
# The folder, read-only in the kernel, where the grader leaves each harvest cell's cases as
# ``<index>.json``: the data can be megabytes (the course's results standing in for earlier
# stages), which as a literal in the cell's source cost a kernel half a second to receive,
# echo and compile.
CASES_VARIABLE = "NN_COURSE_GRADER_CASES"


def _cases(index: int) -> list:
    """The cases of the notebook's ``index``-th harvest cell, as the grader left them."""
    folder = os.environ.get(CASES_VARIABLE)
    if not folder:
        raise RuntimeError(f"harvest runs only while grading (${CASES_VARIABLE} is not set)")
    return json.loads((Path(folder) / f"{int(index)}.json").read_text(encoding="utf-8"))


def harvest(assignment: str, nonce: str, cell: str, index: int, calls) -> None:
    """Used by the grader in place of a test cell: run the student's objects on the cases' inputs
    and hand the case records over as plain data (one display output of type ``HARVEST_MIME``).
    Nothing is compared here; the grader judges in its own process.

    ``calls`` lists ``(check_name, variant, get_object)``: ``get_object()`` looks the student's
    object up lazily, so that a missing definition becomes part of the feedback. The cases of the
    ``index``-th harvest cell (``CASES_VARIABLE``) hold, per call, a list of ``(seed, stand_ins)``
    or ``(seed, stand_ins, fallbacks)``.
    """
    from IPython.display import display

    exercise = load(assignment)
    results = []
    for (name, variant, get_object), cases in zip(calls, _cases(index), strict=True):
        check = exercise[name]
        try:
            obj = get_object()
        except Exception as error:  # noqa: BLE001 - e.g. NameError: not defined
            records = [{"value": encode(error), "stood_in": []} for _ in cases]
        else:
            records = [check.run(obj, check.args_of(variant, i, seed), memos, *fallbacks)
                       for i, (seed, memos, *fallbacks) in enumerate(cases)]
        results.append({"check": name, "variant": variant, "results": records})
    display({HARVEST_MIME: {"nonce": nonce, "cell": cell, "results": results}}, raw=True)
