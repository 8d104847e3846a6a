"""Checks of notebook 1: the sigmoid, the softmax, cross-entropy, the squared error of a sigmoid
output, and their derivatives.

Inputs are built with plain NumPy and always include extreme logits such as +-1000 that break
naive formulas. The softmax Jacobian and the gradient are checked with the course's softmax
standing in for the student's on their inputs, cross-entropy with the course's log_softmax, and
the squared error and its delta with the course's sigmoid and sigmoid_grad, so that a mistake in
the softmax (or the sigmoid) costs only its own points.
"""
from __future__ import annotations

import numpy as np

from ..checks import Check
from .model import Exercise

EXTREMES = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])


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


EXERCISE = Exercise("ex1_softmax", [
    Check("sigmoid", "sigmoid of a (3, 5) array that includes z = -1000 and +1000",
          _sigmoid_args),
    Check("sigmoid_grad", "sigmoid_grad(y) = y (1 - y) for sigmoid outputs y of shape (4, 3)",
          _sigmoid_grad_args),
    Check("softmax", "softmax over the columns of a (5, 4) batch of logits, some of them +-1000",
          _softmax_args),
    Check("log_softmax", "log_softmax of a (5, 4) batch of logits, some of them +-1000",
          _softmax_args),
    Check("cross_entropy", "mean cross-entropy of a (5, 6) batch of logits against one-hot "
          "targets, some logits +-1000", _cross_entropy_args, stand_ins=("log_softmax",)),
    Check("softmax_jacobian", "the (4, 4) Jacobian of the softmax of one sample z of shape (4, 1)",
          _jacobian_args, stand_ins=("softmax",)),
    Check("cross_entropy_grad", "dE/dZ of the mean cross-entropy for a (5, 6) batch",
          _cross_entropy_args, stand_ins=("softmax", "log_softmax")),
    Check("squared_error", "mean squared error 1/(2m) sum ||sigmoid(z_j) - t_j||^2 of a (5, 6) "
          "batch of scores against one-hot targets, some scores +-1000", _cross_entropy_args,
          stand_ins=("sigmoid",)),
    Check("squared_error_grad", "the output delta dE/dZ of the squared error with a sigmoid "
          "output for a (5, 6) batch", _cross_entropy_args, stand_ins=("sigmoid", "sigmoid_grad")),
], sealed=("activations", "losses", "net710", "mlp", "training", "demo", "widgets"))

check = EXERCISE.check
check_hidden = EXERCISE.check_hidden
inputs = EXERCISE.inputs
