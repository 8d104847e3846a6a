"""What runs in the student's kernel in place of a test cell while grading: ``harvest`` runs the
student's objects on the cases' inputs and hands the records over as plain data."""
from __future__ import annotations

from ..wire import encode
from .model import load

__all__ = ["HARVEST_MIME", "harvest"]

HARVEST_MIME = "application/vnd.nn-course.harvest+json"


def harvest(assignment: str, nonce: str, cell: str, calls) -> None:
    """Used by the grader in place of a test cell: run the student's objects on the cases' inputs
    and hand the case records over as plain data (one display output of type ``HARVEST_MIME``).
    Nothing is compared here; the grader judges in its own process.

    ``calls`` lists ``(check_name, variant, cases, get_object)`` where ``cases`` is a list of
    ``(seed, stand_ins)`` or ``(seed, stand_ins, fallbacks)`` and ``get_object()`` looks the
    student's object up lazily, so that a missing definition becomes part of the feedback.
    """
    from IPython.display import display

    exercise = load(assignment)
    results = []
    for name, variant, cases, get_object in calls:
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
