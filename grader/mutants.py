"""Mistakes students really make, as replacement answer cells.

The quality gate (``python -m grader check``) and the tests grade each mutant and require that it
loses the points of at least the tests listed in ``must_fail``: a test suite that lets one of
these through is too weak to trust.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    assignment: str
    name: str
    overrides: dict          # grade id of an answer cell -> replacement source
    must_fail: tuple         # grade ids of test cells that must lose their points


MUTANTS = [
    # --- exercise 1 --------------------------------------------------------------------------
    Mutant("ex1_softmax", "sigmoid that overflows at -1000", {"sigmoid": '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
'''}, ("test_sigmoid",)),
    Mutant("ex1_softmax", "sigma' applied to z instead of y", {"sigmoid_grad": '''
def sigmoid_grad(y):
    return sigmoid(y) * (1.0 - sigmoid(y))
'''}, ("test_sigmoid_grad",)),
    Mutant("ex1_softmax", "softmax without the max shift", {"softmax": '''
def softmax(Z):
    e = np.exp(Z)
    return e / np.sum(e, axis=0, keepdims=True)
'''}, ("test_softmax",)),
    Mutant("ex1_softmax", "softmax over the wrong axis", {"softmax": '''
def softmax(Z):
    e = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
'''}, ("test_softmax",)),
    Mutant("ex1_softmax", "log of the softmax instead of log-sum-exp", {"log_softmax": '''
def log_softmax(Z):
    return np.log(softmax(Z))
'''}, ("test_log_softmax",)),
    Mutant("ex1_softmax", "cross-entropy summed instead of averaged (missing 1/m)", {"cross_entropy": '''
def cross_entropy(Z, T):
    return -np.sum(T * log_softmax(Z))
'''}, ("test_cross_entropy",)),
    Mutant("ex1_softmax", "Jacobian without its diagonal part", {"softmax_jacobian": '''
def softmax_jacobian(z):
    s = softmax(z)
    return -s @ s.T
'''}, ("test_softmax_jacobian",)),
    Mutant("ex1_softmax", "gradient without 1/m", {"cross_entropy_grad": '''
def cross_entropy_grad(Z, T):
    return softmax(Z) - T
'''}, ("test_cross_entropy_grad",)),
    Mutant("ex1_softmax", "gradient T - Y (wrong sign)", {"cross_entropy_grad": '''
def cross_entropy_grad(Z, T):
    return (T - softmax(Z)) / Z.shape[1]
'''}, ("test_cross_entropy_grad",)),
]


def mutants_of(assignment: str) -> list[Mutant]:
    return [m for m in MUTANTS if m.assignment == assignment]
