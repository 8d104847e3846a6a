"""Reference answers and hints of notebook 2 (left out of the grader's sandbox)."""
from __future__ import annotations

import numpy as np

from .. import net710
from ..activations import sigmoid
from ..checks import ByValue, Hint
from ..exercises.ex2_backprop import STAGES

N0, N1, N2 = 784, 7, 10


def forward(params, X):
    cache = net710.forward(params, X)
    return cache["Y1"], cache["Y2"]


REFERENCES = {
    "W1_shape": (N1, N0),
    "W2_shape": (N2, N1),
    "forward": forward,
    "loss": net710.loss,
    "sample_loss": net710.sample_loss,
    "dE_dz2": net710.dE_dz2,
    "dE_dy1": net710.dE_dy1,
    "dE_dW2": net710.dE_dW2,
    "dy1_dz1": net710.dy1_dz1,
    "dE_dz1": net710.dE_dz1,
    "dE_dW1": net710.dE_dW1,
    "batch_gradients": net710.batch_gradients,
    "add_weight_decay": net710.add_weight_decay,
    "gradients": net710.gradients,
}
ALTERNATIVES: dict = {}
def stage_calls(stage: str, params, X, T) -> ByValue:
    """The calls of one stage function made by a batch gradient written as a loop over the
    samples with the one-sample stages: sample j's columns (``X[:, [j]]``) and the earlier
    stages' reference results as inputs."""
    cache, W2 = net710.forward(params, X), params["W2"]
    calls = ByValue()
    for j in range(X.shape[1]):
        x, t, y1, y2 = X[:, [j]], T[:, [j]], cache["Y1"][:, [j]], cache["Y2"][:, [j]]
        d2 = net710.dE_dz2(y2, t)
        d_y1, jacobian = net710.dE_dy1(d2, W2), net710.dy1_dz1(y1)
        d1 = net710.dE_dz1(d_y1, jacobian)
        calls.append({"dE_dz2": (y2, t), "dE_dy1": (d2, W2), "dE_dW2": (d2, y1),
                      "dy1_dz1": (y1,), "dE_dz1": (d_y1, jacobian), "dE_dW1": (d1, x)}[stage])
    return calls


def _per_stage(with_decay: bool) -> dict:
    if with_decay:
        return {s: (lambda params, X, T, wd, s=s: stage_calls(s, params, X, T)) for s in STAGES}
    return {s: (lambda params, X, T, s=s: stage_calls(s, params, X, T)) for s in STAGES}


def forward_calls(params, X) -> list:
    """forward on the whole batch, or on one sample at a time (the column ``X[:, [j]]``, sliced
    from X and so known exactly)."""
    return [(params, X)] + [(params, X[:, [j]]) for j in range(X.shape[1])]


# the earlier functions of the notebook an answer may call, and the inputs it calls them with
STAND_IN_CALLS = {
    "loss": {"forward": lambda params, X, T, wd: [(params, X)]},
    "batch_gradients": {"forward": lambda params, X, T: forward_calls(params, X),
                        **_per_stage(False)},
    "gradients": {
        "forward": lambda params, X, T, wd: forward_calls(params, X),
        "batch_gradients": lambda params, X, T, wd: [(params, X, T)],
        "add_weight_decay": lambda params, X, T, wd: [
            (net710.batch_gradients(params, X, T), params, wd)],
        **_per_stage(True),
    },
}
JUDGES: dict = {}

WRONG_SIGN = Hint("the sign is flipped: it is y2 - t, not t - y2",
                  lambda exp, got, args: np.allclose(got, -exp))
UNCHANGED = Hint("your gradients did not change: weight decay adds wd * W to each gradient",
                 lambda exp, got, args: not np.allclose(got, exp) and any(
                     np.allclose(got, g) for g in args[0].values()))
HALF_DECAY = Hint("the derivative of wd/2 * ||W||^2 is wd * W (the 1/2 cancels the 2)",
                  lambda exp, got, args: any(
                      np.allclose(got, args[0][k] + f * args[2] * args[1][k])
                      for k in args[0] for f in (0.5, 2.0)))
SIGMA_OF_Y = Hint("you applied the sigmoid to y1 again: y1 is already sigma(z1), so the "
                  "diagonal holds y1 * (1 - y1)",
                  lambda exp, got, args: np.allclose(
                      np.diag(got), (sigmoid(args[0]) * (1 - sigmoid(args[0]))).ravel()))
NOT_DIAGONAL = Hint("dy1/dz1 is a (7, 7) diagonal matrix: np.diagflat(y1 * (1 - y1))",
                    lambda exp, got, args: np.size(got) == N1)
LOG_OF_PROBABILITIES = Hint(
    "take log_softmax of the scores, not np.log of probabilities: a probability that "
    "underflows to 0 has log -inf", lambda exp, got, args: not np.all(np.isfinite(got)),
    errors=("FloatingPointError",))


def _decay_missing(exp, got, args):
    return np.isclose(exp - got, args[3] / 2 * sum(np.sum(W ** 2) for W in args[0].values()))


HINTS = {
    "loss": [Hint("the weight-decay term wd/2 * (||W1||^2 + ||W2||^2) is missing",
                  _decay_missing), LOG_OF_PROBABILITIES],
    "sample_loss": [LOG_OF_PROBABILITIES],
    "dE_dz2": [WRONG_SIGN],
    "dy1_dz1": [NOT_DIAGONAL, SIGMA_OF_Y],
    "add_weight_decay": [UNCHANGED, HALF_DECAY],
}
