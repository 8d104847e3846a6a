"""What the training tests of notebooks 3 and 4 share: the weights a training answer returned,
and the judge that scores them by the test accuracy they reach, computed here from those weights
(never taken from numbers the student's code reports)."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ..checks import Outcome
from ..wire import decode, summarize


@functools.lru_cache(maxsize=2)
def test_set(dtype: str = "float64"):
    """The MNIST test images (784, 10000) as ``dtype`` and their labels (10000,)."""
    from ..mnist import load_mnist
    return load_mnist("test", dtype=np.dtype(dtype))


def returned_weights(encoded: dict, shapes: dict, dtype: str = "float64") -> dict | None:
    """The arrays ``params[name]`` of an encoded ``{"params": ..., "history": ...}`` result, one
    for every name of ``shapes`` (name -> shape) and of exactly that shape; None when one is
    missing or of another shape (a forged result must not make the grader compute with huge
    arrays). Other entries of params are ignored."""
    if encoded.get("kind") != "dict":
        return None
    params = encoded["items"].get("params", {})
    if params.get("kind") != "dict":
        return None
    arrays = {}
    for name, shape in shapes.items():
        value = params["items"].get(name, {})
        if value.get("kind") != "array" or value.get("shape") != list(shape):
            return None
        arrays[name] = decode(value).astype(dtype)
    return arrays


def judge_reached_accuracy(exercise, check, case, record, args, *, hidden: bool, trainer: str,
                           shapes: dict, accuracy: Callable[[dict], float], threshold: float,
                           reference: float, too_low: str, dtype: str = "float64") -> Outcome:
    """Pass when ``accuracy(weights)``, the test accuracy of the weights the student's
    ``trainer`` returned, is at least ``threshold``; ``reference`` is what the course's solution
    reaches, shown for comparison, ``too_low`` the hint for a run that falls short and ``dtype``
    the precision the weights are used in."""
    got = record["value"]
    if got.get("kind") == "error":
        return exercise.compare(check.name, case["expected"], got, args, hidden=hidden)
    params = returned_weights(got, shapes, dtype)
    if params is None:
        listed = ", ".join(f"{name} {tuple(shape)}" for name, shape in shapes.items())
        return Outcome(check.name, False, check.tested, got=summarize(got)[:200],
                       hint=f"{trainer} must return (params, history), where params holds "
                            f"{listed}")
    with np.errstate(all="ignore"):
        reached = float(accuracy(params))
    passed = reached >= threshold
    return Outcome(check.name, passed, check.tested,
                   detail=f"test accuracy {reached:.2%}, needed {threshold:.1%} (the course's "
                          f"solution reaches {reference:.2%})",
                   hint="" if passed else too_low)
