"""Reference answers and hints of notebook 1 (left out of the grader's sandbox)."""
from __future__ import annotations

import numpy as np

from .. import activations, losses
from ..checks import ByValue, Hint

REFERENCES = {
    "sigmoid": activations.sigmoid,
    "sigmoid_grad": activations.sigmoid_grad,
    "softmax": activations.softmax,
    "log_softmax": activations.log_softmax,
    "cross_entropy": losses.cross_entropy,
    "softmax_jacobian": activations.softmax_jacobian,
    "cross_entropy_grad": losses.cross_entropy_grad,
    "squared_error": losses.squared_error,
    "squared_error_grad": losses.squared_error_grad,
}
ALTERNATIVES: dict = {}
STAND_IN_CALLS = {
    "cross_entropy": {"log_softmax": lambda Z, T: [(Z,)]},
    "softmax_jacobian": {"softmax": lambda z: [(z,)]},
    "cross_entropy_grad": {"softmax": lambda Z, T: [(Z,)], "log_softmax": lambda Z, T: [(Z,)]},
    "squared_error": {"sigmoid": lambda Z, T: [(Z,)]},
    # sigmoid_grad is called on Y = sigmoid(Z), which the answer computes itself
    "squared_error_grad": {"sigmoid": lambda Z, T: [(Z,)],
                           "sigmoid_grad": lambda Z, T: ByValue([(activations.sigmoid(Z),)])},
}
JUDGES: dict = {}


def _column(z):
    return np.asarray(z, dtype=float).reshape(-1, 1)


# np.log(softmax(Z)): a probability that underflows to 0 has log -inf (an error while checked)
LOG_SUM_EXP = Hint(
    "a probability that underflows to 0 (exp(-1000)) has log -inf, so np.log(softmax(Z)) "
    "fails: compute the log directly with the log-sum-exp trick, "
    "log_softmax(Z) = Z - m - log(sum(exp(Z - m))) with m the column maximum",
    lambda exp, got, args: not np.all(np.isfinite(got)), errors=("FloatingPointError",))

def _sigmoid_outputs(args):
    return activations.sigmoid(np.asarray(args[0], dtype=float))


def _delta_is(factor):
    """Whether ``got`` is ``factor(Y, T) / m`` (within rounding) for the case's Y = sigmoid(Z)."""
    def applies(exp, got, args):
        Y, T = _sigmoid_outputs(args), np.asarray(args[1], dtype=float)
        return np.shape(got) == Y.shape and np.allclose(got, factor(Y, T, args[0]) / Y.shape[1])
    return applies


SQUARED_ERROR_HINTS = [
    Hint("the squared error is of the OUTPUTS sigmoid(Z), not of the scores Z",
         lambda exp, got, args: np.isclose(
             got, 0.5 * np.sum((np.asarray(args[0]) - args[1]) ** 2) / args[0].shape[1],
             rtol=1e-6)),
    Hint("the 1/2 is missing: this course (like Bai's notes and the IISER lecture) writes "
         "E = 1/(2m) sum_j ||y_j - t_j||^2", lambda exp, got, args: np.isclose(got, 2 * exp)),
    Hint("the loss is the MEAN over the m samples (columns): divide the sum by m",
         lambda exp, got, args: np.isclose(got, exp * args[0].shape[1])),
]
DELTA_HINTS = [
    Hint("sigma'(Z) is missing: dE/dY = (Y - T)/m must still be multiplied by the sigmoid's "
         "derivative Y * (1 - Y); unlike softmax with cross-entropy, nothing cancels it here",
         _delta_is(lambda Y, T, Z: Y - T)),
    Hint("this is (T - Y) * sigma'(Z) / m: the delta is (Y - T) * sigma'(Z) / m",
         _delta_is(lambda Y, T, Z: (T - Y) * Y * (1 - Y))),
    Hint("sigmoid_grad takes the OUTPUTS Y = sigmoid(Z), not the scores Z: "
         "sigma'(Z) = Y * (1 - Y)", _delta_is(lambda Y, T, Z: (Y - T) * Z * (1 - Z))),
    Hint("the derivative of 1/2 (y - t)^2 is (y - t): the 1/2 cancels the 2",
         _delta_is(lambda Y, T, Z: 2 * (Y - T) * Y * (1 - Y))),
    Hint("the delta of the MEAN loss has a 1/m: divide by the number of columns m",
         lambda exp, got, args: np.allclose(got, exp * args[0].shape[1])),
]

HINTS = {
    "sigmoid_grad": [
        Hint("you applied the sigmoid again: the argument is already y = sigma(z), so the "
             "derivative is simply y * (1 - y)",
             lambda exp, got, args: np.allclose(
                 got, activations.sigmoid(args[0]) * (1 - activations.sigmoid(args[0])))),
    ],
    "softmax": [
        Hint("your rows sum to 1, but each COLUMN is a sample: normalise over axis 0 (the "
             "classes)",
             lambda exp, got, args: np.allclose(np.sum(got, axis=1), 1.0) and not
             np.allclose(np.sum(got, axis=0), 1.0)),
    ],
    "log_softmax": [
        LOG_SUM_EXP,
        Hint("the log-probabilities of each COLUMN must satisfy logsumexp = 0: work over axis 0",
             lambda exp, got, args: np.allclose(np.log(np.sum(np.exp(got), axis=1)), 0.0)),
    ],
    "cross_entropy": [
        Hint("the loss is the MEAN over the m samples (columns): divide the sum by m",
             lambda exp, got, args: np.isclose(got, exp * args[0].shape[1])),
    ],
    "softmax_jacobian": [
        Hint("the diagonal part is missing: J = diag(s) - s s^T",
             lambda exp, got, args: np.allclose(
                 got, -activations.softmax(_column(args[0])) @ activations.softmax(
                     _column(args[0])).T)),
        Hint("the off-diagonal part is missing: J = diag(s) - s s^T",
             lambda exp, got, args: np.allclose(
                 got, np.diagflat(activations.softmax(_column(args[0]))))),
    ],
    "cross_entropy_grad": [
        Hint("this is T - Y: the gradient is Y - T (then divided by m)",
             lambda exp, got, args: np.allclose(got, -exp) or
             np.allclose(got, -exp * args[0].shape[1])),
        Hint("the gradient of the MEAN loss is (Y - T) / m: divide by the number of columns m",
             lambda exp, got, args: np.allclose(got, exp * args[0].shape[1])),
    ],
    "squared_error": SQUARED_ERROR_HINTS,
    "squared_error_grad": DELTA_HINTS,
}
