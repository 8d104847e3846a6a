"""Checks of notebook 2: forward pass and backpropagation in the 7-10 net, stage by stage.

Every stage is checked on its own inputs (not on the student's earlier results), so a mistake in
one stage costs only that stage's points. Inputs are built with plain NumPy.
"""
from __future__ import annotations

import numpy as np

from ..checks import Check, Hint
from . import Exercise

N0, N1, N2 = 784, 7, 10


def _params(rng):
    return {"W1": rng.normal(0.0, 1 / np.sqrt(N0), size=(N1, N0)),
            "W2": rng.normal(0.0, 1 / np.sqrt(N1), size=(N2, N1))}


def _batch(rng, m):
    X = rng.random((N0, m))
    T = np.eye(N2)[:, rng.integers(0, N2, size=m)]
    return X, T


def _column_probabilities(rng, n):
    return rng.dirichlet(np.ones(n)).reshape(n, 1)


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- reference adapters: the notebook's function signatures on top of course_lib.net710 -------

def w1_shape():
    return (N1, N0)


def w2_shape():
    return (N2, N1)


def forward_outputs(params, X):
    from course_lib import net710
    cache = net710.forward(params, X)
    return {"Y1": cache["Y1"], "Y2": cache["Y2"]}


def _call_forward(forward, args):
    result = forward(*args)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"forward must return the pair (Y1, Y2); it returned "
                        f"{type(result).__name__}")
    return {"Y1": result[0], "Y2": result[1]}


def _value(obj, args):
    return obj


WRONG_SIGN = Hint("the sign is flipped: it is y2 - t, not t - y2",
                  lambda exp, got, args: np.allclose(got, -exp))
UNCHANGED = Hint("your gradients did not change: weight decay adds wd * W to each gradient",
                 lambda exp, got, args: not np.allclose(got, exp) and any(
                     np.allclose(got, g) for g in args[0].values()))
HALF_DECAY = Hint("the derivative of wd/2 * ||W||^2 is wd * W (the 1/2 cancels the 2)",
                  lambda exp, got, args: any(
                      np.allclose(got, args[0][k] + f * args[2] * args[1][k])
                      for k in args[0] for f in (0.5, 2.0)))
SIGMA_OF_Z = Hint("you applied the sigmoid to y1 again: y1 is already sigma(z1), so the diagonal "
                  "holds y1 * (1 - y1)",
                  lambda exp, got, args: np.allclose(
                      np.diag(got), (_logistic(args[0]) * (1 - _logistic(args[0]))).ravel()))
NOT_DIAGONAL = Hint("dy1/dz1 is a (7, 7) diagonal matrix: np.diagflat(y1 * (1 - y1))",
                    lambda exp, got, args: np.size(got) == N1)


def _sample_args(rng):
    z2 = rng.normal(0.0, 2.0, size=(N2, 1))
    return z2, np.eye(N2)[:, [rng.integers(0, N2)]]


def _stage2_args(rng):
    return _column_probabilities(rng, N2), np.eye(N2)[:, [rng.integers(0, N2)]]


def _row(rng, n):
    return rng.normal(0.0, 0.3, size=(1, n))


def _weight_decay_args(rng):
    params = _params(rng)
    grads = {k: rng.normal(0.0, 0.01, size=v.shape) for k, v in params.items()}
    return grads, params, float(rng.uniform(0.05, 0.5))


def _loss_args(rng):
    X, T = _batch(rng, 6)
    return _params(rng), X, T, float(rng.uniform(0.01, 0.3))


def _gradients_args(rng):
    X, T = _batch(rng, 9)
    return _params(rng), X, T, float(rng.uniform(0.01, 0.3))


EXERCISE = Exercise("ex2_backprop", [
    Check("W1_shape", "the shape of W1 as a tuple", lambda rng: (),
          "course_lib.exercises.ex2_backprop:w1_shape", call=_value, cases={"visible": 1, "hidden": 1}),
    Check("W2_shape", "the shape of W2 as a tuple", lambda rng: (),
          "course_lib.exercises.ex2_backprop:w2_shape", call=_value, cases={"visible": 1, "hidden": 1}),
    Check("forward", "forward(params, X) -> (Y1, Y2) for a batch of 5 random inputs",
          lambda rng: (_params(rng), _batch(rng, 5)[0]),
          "course_lib.exercises.ex2_backprop:forward_outputs", call=_call_forward),
    Check("loss", "loss(params, X, T, wd): mean cross-entropy of 6 samples plus weight decay",
          _loss_args, "course_lib.net710:loss",
          hints=[Hint("the weight-decay term wd/2 * (||W1||^2 + ||W2||^2) is missing",
                      lambda exp, got, args: np.isclose(
                          exp - got, args[3] / 2 * sum(np.sum(W ** 2) for W in args[0].values())))]),
    Check("sample_loss", "stage 1: the loss of one sample from its scores z2 (10, 1)",
          _sample_args, "course_lib.net710:sample_loss"),
    Check("dE_dz2", "stage 2: dE/dz2 for y2 and t of shape (10, 1); a (1, 10) row",
          _stage2_args, "course_lib.net710:dE_dz2", hints=[WRONG_SIGN]),
    Check("dE_dy1", "stage 3: dE/dy1 from a (1, 10) row dE/dz2 and W2 (10, 7)",
          lambda rng: (_row(rng, N2), _params(rng)["W2"]), "course_lib.net710:dE_dy1"),
    Check("dE_dW2", "stage 4: dE/dW2 from a (1, 10) row dE/dz2 and y1 (7, 1)",
          lambda rng: (_row(rng, N2), rng.uniform(0.05, 0.95, size=(N1, 1))),
          "course_lib.net710:dE_dW2"),
    Check("dy1_dz1", "stage 5: dy1/dz1 from the hidden outputs y1 (7, 1)",
          lambda rng: (rng.uniform(0.05, 0.95, size=(N1, 1)),), "course_lib.net710:dy1_dz1",
          hints=[NOT_DIAGONAL, SIGMA_OF_Z]),
    Check("dE_dz1", "stage 6: dE/dz1 from a (1, 7) row dE/dy1 and a (7, 7) diagonal dy1/dz1",
          lambda rng: (_row(rng, N1), np.diagflat(rng.uniform(0.05, 0.25, size=N1))),
          "course_lib.net710:dE_dz1"),
    Check("dE_dW1", "stage 7: dE/dW1 from a (1, 7) row dE/dz1 and an input x (784, 1)",
          lambda rng: (_row(rng, N1), rng.random((N0, 1))), "course_lib.net710:dE_dW1"),
    Check("batch_gradients", "stage 8: the mean gradients over a batch of 12 samples",
          lambda rng: (_params(rng), *_batch(rng, 12)), "course_lib.net710:batch_gradients",
          rtol=1e-6, atol=1e-12),
    Check("add_weight_decay", "stage 9: adding weight decay to given gradients",
          _weight_decay_args, "course_lib.net710:add_weight_decay", hints=[UNCHANGED, HALF_DECAY]),
    Check("gradients", "gradients(params, X, T, wd) for 9 samples with weight decay",
          _gradients_args, "course_lib.net710:gradients", rtol=1e-6, atol=1e-12),
], sealed=("net710", "mlp", "training", "demo"))

check = EXERCISE.check
check_hidden = EXERCISE.check_hidden
