"""Checks of notebook 2: forward pass and backpropagation in the 7-10 net, stage by stage.

Every stage is checked on its own inputs (not on the student's earlier results). Where an answer
calls an earlier function of the notebook (``batch_gradients`` calls ``forward``, ``gradients``
calls ``batch_gradients`` and ``add_weight_decay``), the course's results stand in for those
calls on the case's inputs, so a mistake in one stage costs only that stage's points. Inputs are
built with plain NumPy.
"""
from __future__ import annotations

import numpy as np

from ..checks import AnswerFormatError, Check
from .model import Exercise

N0, N1, N2 = 784, 7, 10
# the one-sample stage functions, which a batch gradient may call sample by sample
STAGES = ("dE_dz2", "dE_dy1", "dE_dW2", "dy1_dz1", "dE_dz1", "dE_dW1")
SHAPE_KIND = "a tuple of two ints (rows, columns)"
ROW_NOTE = ("in this exercise the derivative of the loss with respect to a column vector is a "
            "ROW vector (1, n): that is what makes every stage an ordinary matrix product")


def _params(rng):
    return {"W1": rng.normal(0.0, 1 / np.sqrt(N0), size=(N1, N0)),
            "W2": rng.normal(0.0, 1 / np.sqrt(N1), size=(N2, N1))}


def _batch(rng, m):
    X = rng.random((N0, m))
    T = np.eye(N2)[:, rng.integers(0, N2, size=m)]
    return X, T


def _column_probabilities(rng, n):
    return rng.dirichlet(np.ones(n)).reshape(n, 1)


def _call_forward(forward, args):
    result = forward(*args)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        kind = type(result).__name__
        size = f" of {len(result)} items" if isinstance(result, (tuple, list)) else ""
        raise AnswerFormatError(f"forward must return the pair (Y1, Y2), as in `return Y1, Y2`; "
                                f"it returned a {kind}{size}")
    return {"Y1": result[0], "Y2": result[1]}


def _value(obj, args):
    return obj


def _sample_args(rng):
    z2 = rng.normal(0.0, 2.0, size=(N2, 1))
    return z2, np.eye(N2)[:, [rng.integers(0, N2)]]


def _sample_extreme(rng):
    """Scores a thousand apart: the target's probability is 0 in floating point, so the log of
    the softmax is -inf, while log_softmax gives the exact finite loss."""
    z2 = rng.permutation(np.array([-1000.0, -400.0, -40.0, -5.0, 0.0, 3.0, 40.0, 200.0, 700.0,
                                   1000.0])).reshape(N2, 1)
    return z2, (z2 == z2.min()).astype(float)


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


def _loss_extreme(rng):
    """Output weights that put the classes' scores thousands apart: the targets (among the
    lowest-scoring classes) get probability 0, whose log is -inf."""
    params = _params(rng)
    params["W2"] = params["W2"] + np.linspace(-600.0, 600.0, N2)[:, None]
    X, _ = _batch(rng, 6)
    T = np.eye(N2)[:, rng.integers(0, 3, size=6)]
    return params, X, T, 1e-4


def _gradients_args(rng):
    X, T = _batch(rng, 5)
    return _params(rng), X, T, float(rng.uniform(0.01, 0.3))


EXERCISE = Exercise("ex2_backprop", [
    Check("W1_shape", "the shape of W1 as a tuple", lambda rng: (), call=_value,
          cases={"visible": 1, "hidden": 1}, answer_kind=SHAPE_KIND, variable=True),
    Check("W2_shape", "the shape of W2 as a tuple", lambda rng: (), call=_value,
          cases={"visible": 1, "hidden": 1}, answer_kind=SHAPE_KIND, variable=True),
    Check("forward", "forward(params, X) -> (Y1, Y2) for a batch of 5 random inputs",
          lambda rng: (_params(rng), _batch(rng, 5)[0]), call=_call_forward),
    Check("loss", "loss(params, X, T, wd): mean cross-entropy of 6 samples plus weight decay",
          _loss_args, extreme=_loss_extreme, stand_ins=("forward",)),
    Check("sample_loss", "stage 1: the loss of one sample from its scores z2 (10, 1)",
          _sample_args, extreme=_sample_extreme),
    Check("dE_dz2", "stage 2: dE/dz2 for y2 and t of shape (10, 1); a (1, 10) row",
          _stage2_args, shape_note=ROW_NOTE),
    Check("dE_dy1", "stage 3: dE/dy1 from a (1, 10) row dE/dz2 and W2 (10, 7)",
          lambda rng: (_row(rng, N2), _params(rng)["W2"]), shape_note=ROW_NOTE),
    Check("dE_dW2", "stage 4: dE/dW2 from a (1, 10) row dE/dz2 and y1 (7, 1)",
          lambda rng: (_row(rng, N2), rng.uniform(0.05, 0.95, size=(N1, 1)))),
    Check("dy1_dz1", "stage 5: dy1/dz1 from the hidden outputs y1 (7, 1)",
          lambda rng: (rng.uniform(0.05, 0.95, size=(N1, 1)),)),
    Check("dE_dz1", "stage 6: dE/dz1 from a (1, 7) row dE/dy1 and a (7, 7) diagonal dy1/dz1",
          lambda rng: (_row(rng, N1), np.diagflat(rng.uniform(0.05, 0.25, size=N1))),
          shape_note=ROW_NOTE),
    Check("dE_dW1", "stage 7: dE/dW1 from a (1, 7) row dE/dz1 and an input x (784, 1)",
          lambda rng: (_row(rng, N1), rng.random((N0, 1)))),
    Check("batch_gradients", "stage 8: the mean gradients over a batch of 6 samples",
          lambda rng: (_params(rng), *_batch(rng, 6)), rtol=1e-6, atol=1e-12,
          stand_ins=("forward", *STAGES)),
    Check("add_weight_decay", "stage 9: adding weight decay to given gradients",
          _weight_decay_args, keeps_inputs=True, arg_names=("grads", "params", "wd")),
    Check("gradients", "gradients(params, X, T, wd) for 5 samples with weight decay",
          _gradients_args, rtol=1e-6, atol=1e-12,
          stand_ins=("forward", "batch_gradients", "add_weight_decay", *STAGES)),
], sealed=("net710", "mlp", "training", "demo"))

check = EXERCISE.check
check_hidden = EXERCISE.check_hidden
inputs = EXERCISE.inputs
