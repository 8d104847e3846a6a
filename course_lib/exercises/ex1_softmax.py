"""Checks of notebook 1: the sigmoid, the softmax, cross-entropy and their derivatives.

Inputs are built with plain NumPy (never with the reference functions), so that they can be
generated anywhere, and always include extreme logits such as +-1000 that break naive formulas.
"""
from __future__ import annotations

import numpy as np

from ..checks import Check, Hint
from . import Exercise

EXTREMES = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])


def _logistic(x):
    """Only used to recognise mistakes in hints; grading uses course_lib's reference."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _logits(rng, n=5, m=4):
    """Random logits (n, m) whose last column holds huge values of both signs."""
    Z = rng.normal(0.0, 3.0, size=(n, m))
    Z[:, -1] = rng.permutation(np.resize(EXTREMES, n))
    return Z


def _one_hot_columns(rng, n, m):
    return np.eye(n)[:, rng.integers(0, n, size=m)]


def _sigmoid_args(rng):
    z = rng.normal(0.0, 4.0, size=(3, 5))
    z[0] = EXTREMES
    return (z,)


def _sigmoid_grad_args(rng):
    return (rng.uniform(0.02, 0.98, size=(4, 3)),)


def _softmax_args(rng):
    return (_logits(rng),)


def _cross_entropy_args(rng):
    Z = _logits(rng, 5, 6)
    return Z, _one_hot_columns(rng, 5, 6)


def _jacobian_args(rng):
    return (rng.normal(0.0, 2.0, size=(4, 1)),)


ROWS_NOT_COLUMNS = Hint(
    "your rows sum to 1, but each COLUMN is a sample: normalise over axis 0 (the classes)",
    lambda exp, got, args: np.allclose(np.sum(got, axis=1), 1.0) and not
    np.allclose(np.sum(got, axis=0), 1.0))

SUM_NOT_MEAN = Hint(
    "the loss is the MEAN over the m samples (columns): divide the sum by m",
    lambda exp, got, args: np.isclose(got, exp * args[0].shape[1]))

EXERCISE = Exercise("ex1_softmax", [
    Check("sigmoid", "sigmoid of a (3, 5) array that includes z = -1000 and +1000",
          _sigmoid_args, "course_lib.activations:sigmoid"),
    Check("sigmoid_grad", "sigmoid_grad(y) = y (1 - y) for sigmoid outputs y of shape (4, 3)",
          _sigmoid_grad_args, "course_lib.activations:sigmoid_grad",
          hints=[Hint("you applied the sigmoid again: the argument is already y = sigma(z), so "
                      "the derivative is simply y * (1 - y)",
                      lambda exp, got, args: np.allclose(
                          got, _logistic(args[0]) * (1 - _logistic(args[0]))))]),
    Check("softmax", "softmax over the columns of a (5, 4) batch of logits, some of them +-1000",
          _softmax_args, "course_lib.activations:softmax", hints=[ROWS_NOT_COLUMNS]),
    Check("log_softmax", "log_softmax of a (5, 4) batch of logits, some of them +-1000",
          _softmax_args, "course_lib.activations:log_softmax",
          hints=[Hint("the log-probabilities of each COLUMN must satisfy logsumexp = 0: work "
                      "over axis 0",
                      lambda exp, got, args: np.allclose(
                          np.log(np.sum(np.exp(got), axis=1)), 0.0))]),
    Check("cross_entropy", "mean cross-entropy of a (5, 6) batch of logits against one-hot "
          "targets, some logits +-1000", _cross_entropy_args, "course_lib.losses:cross_entropy",
          hints=[SUM_NOT_MEAN]),
    Check("softmax_jacobian", "the (4, 4) Jacobian of the softmax of one sample z of shape (4, 1)",
          _jacobian_args, "course_lib.activations:softmax_jacobian",
          hints=[Hint("the diagonal part is missing: J = diag(s) - s s^T",
                      lambda exp, got, args: np.allclose(got - exp, np.diag(np.diag(got - exp)))
                      and not np.allclose(np.diag(got - exp), 0))]),
    Check("cross_entropy_grad", "dE/dZ of the mean cross-entropy for a (5, 6) batch",
          _cross_entropy_args, "course_lib.losses:cross_entropy_grad",
          hints=[Hint("this is T - Y: the gradient is Y - T (then divided by m)",
                      lambda exp, got, args: np.allclose(got, -exp) or
                      np.allclose(got, -exp * args[0].shape[1]))]),
], sealed=("activations", "losses", "net710", "mlp", "training", "demo", "widgets"))

check = EXERCISE.check
check_hidden = EXERCISE.check_hidden
