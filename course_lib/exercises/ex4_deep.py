"""Checks of notebook 4: backpropagation for a network of any depth, with biases, and a
784-256-128-10 network trained on MNIST.

Every function is checked on its own inputs, built with plain NumPy: random layer sizes (two to
four weight layers, and one hidden case with a single layer and no biases), with and without
biases. A case runs the function once for every kind of hidden unit (sigmoid, tanh, relu,
leaky_relu), so each case checks all four. Where an answer calls an earlier function of the
notebook (``forward`` calls ``activation``, ``backprop_delta`` calls ``activation_grad``,
``gradients`` calls ``forward``, ``output_delta``, ``layer_gradients`` and ``backprop_delta``),
the course's results stand in for those calls on the case's inputs, so one mistake costs one
test.

The regularisers of section 9: ``dropout_forward`` draws a random mask, so no expected array can
be stored for it; it is called three times (with the generator of the case, with a copy of it in
the same state, and with another one) and judged by what must hold for every correct draw (see
``answers.ex4_deep.judge_dropout``). ``dropout_backward`` gets the mask as an input, and
``max_norm`` is deterministic: both are compared with the reference.

The training test runs the notebook's ``train_deep`` (given code that uses the student's
``gradients``) once, on a network of the notebook's kind made small enough to train in a fraction
of a second (so that a whole class is graded quickly), and the grader judges it from the returned
weights: their accuracy on the MNIST test set, which the grader computes itself.
"""
from __future__ import annotations

import copy

import numpy as np

from ..activations import LEAKY_SLOPE
from ..checks import AnswerFormatError, Check
from ..checks import answer_pair as _pair
from .model import Exercise

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu")
TRAIN_SIZES = (784, 64, 32, 10)
TRAIN_IMAGES = 12_000            # a random subset of the training images, fixed by the case
TRAINING = dict(hidden="relu", epochs=3, batch_size=128, lr=0.1, momentum=0.9)
# The returned weights must reach THRESHOLD on the MNIST test set. Measured for the course's
# solution (float32, one BLAS thread) over 3 seeds: 94.2% to 95.0%, in 0.3 to 0.4 CPU seconds
# (the notebook's own 784-256-128-10 run on 60,000 images takes 4 to 5 s, which made grading
# a class slow). So a correct solution passes with a margin of 2 points, while a mistake in the
# gradients stays far below (stepping uphill: chance, about 10%) or stops with an error.
THRESHOLD = 0.92
# What train_deep uses besides gradients, each with its own test: when one of them failed it,
# the training test is judged on a second run with the course's versions (Check.fallbacks), so
# that the mistake costs only its own points. The training test is the second test of
# gradients itself (at full size, in float32, within the time limit).
RELIES_ON = ("activation", "activation_grad", "forward", "output_delta", "layer_gradients",
             "backprop_delta")
REFERENCE_ACCURACY = 0.947             # kept true by tests/test_deep.py


def _sizes(rng, layers: int | None = None) -> list[int]:
    L = int(rng.integers(2, 5)) if layers is None else layers
    return [int(n) for n in rng.integers(3, 9, size=L + 1)]


def _params(rng, sizes, bias: bool) -> dict:
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(0.0, 1.0 / np.sqrt(sizes[l - 1]), size=(sizes[l], sizes[l - 1]))
        if bias:
            params[f"b{l}"] = rng.normal(0.0, 0.3, size=(sizes[l], 1))
    return params


def _generator(rng):
    return np.random.default_rng(int(rng.integers(1 << 30)))


def _outputs(rng, shape) -> dict:
    """Hidden-layer outputs A of each kind of unit, in the range that kind produces: relu's hold
    exact zeros (where z <= 0); leaky_relu's hold none (its derivative at 0 may be taken as
    either slope, so no case depends on it)."""
    z = rng.normal(0.0, 1.5, size=shape)
    return {"sigmoid": rng.uniform(0.02, 0.98, size=shape),
            "tanh": rng.uniform(-0.98, 0.98, size=shape),
            "relu": np.maximum(z, 0.0),
            "leaky_relu": np.where(z > 0, z, LEAKY_SLOPE * z)}


# --- inputs ----------------------------------------------------------------------------------

def _init_args(rng):
    return _sizes(rng), _generator(rng), bool(rng.integers(0, 2))


def _init_extreme(rng):
    """One layer (softmax regression) and no biases."""
    return _sizes(rng, layers=1), _generator(rng), False


def _activation_args(rng):
    Z = rng.normal(0.0, 3.0, size=(4, 6))
    Z[0, :3] = 0.0                          # exactly at the kink of relu and leaky_relu
    return (Z,)


def _activation_extreme(rng):
    Z = rng.normal(0.0, 3.0, size=(3, 6))
    Z[1] = [-1000.0, -40.0, 0.0, 40.0, 1000.0, -0.5]
    return (Z,)


def _activation_grad_args(rng):
    return (_outputs(rng, (5, 4)),)


def _forward_args(rng, layers=None, bias=None):
    sizes = _sizes(rng, layers)
    bias = bool(rng.integers(0, 2)) if bias is None else bias
    return _params(rng, sizes, bias), rng.normal(0.0, 1.0, size=(sizes[0], int(rng.integers(4, 8))))


def _forward_extreme(rng):
    return _forward_args(rng, layers=1, bias=False)


def _output_delta_args(rng):
    n, m = int(rng.integers(3, 8)), int(rng.integers(4, 9))
    return rng.dirichlet(np.ones(n), size=m).T, np.eye(n)[:, rng.integers(0, n, size=m)]


def _layer_gradients_args(rng):
    n, n_prev, m = (int(k) for k in rng.integers(3, 8, size=3))
    return rng.normal(0.0, 0.1, size=(n, m)), rng.normal(0.0, 1.0, size=(n_prev, m))


def _backprop_delta_args(rng):
    n, n_prev, m = (int(k) for k in rng.integers(3, 8, size=3))
    return (rng.normal(0.0, 0.1, size=(n, m)), rng.normal(0.0, 0.5, size=(n, n_prev)),
            _outputs(rng, (n_prev, m)))


def _gradients_args(rng, layers=None, bias=None):
    params, X = _forward_args(rng, layers, bias)
    n_out = params[f"W{sum(1 for k in params if k.startswith('W'))}"].shape[0]
    T = np.eye(n_out)[:, rng.integers(0, n_out, size=X.shape[1])]
    return params, X, T, float(rng.uniform(0.01, 0.3))


def _gradients_extreme(rng):
    return _gradients_args(rng, layers=1, bias=False)


def _dropout_args(rng):
    """Outputs A of a layer (n, m) with a few thousand entries, so that the fraction of kept
    units is known to within a few tenths of a percent, and p between 0.6 and 0.9 (never near
    1/2, so that keeping with probability 1 - p shows)."""
    n, m = int(rng.integers(30, 50)), int(rng.integers(80, 120))
    return rng.normal(0.0, 1.0, size=(n, m)), float(rng.uniform(0.6, 0.9)), _generator(rng)


def _dropout_backward_args(rng):
    n, m = (int(k) for k in rng.integers(3, 9, size=2))
    p = float(rng.uniform(0.5, 0.9))
    return rng.normal(0.0, 0.1, size=(n, m)), rng.random((n, m)) < p, p


def _max_norm_args(rng):
    """W whose rows have norms on both sides of c (c lies strictly between two of them)."""
    n, n_prev = int(rng.integers(4, 9)), int(rng.integers(3, 8))
    W = rng.normal(0.0, 1.0, size=(n, n_prev)) * rng.uniform(0.3, 2.0, size=(n, 1))
    norms = np.sort(np.linalg.norm(W, axis=1))
    k = n // 2
    return W, float((norms[k - 1] + norms[k]) / 2)


def _training_args(rng):
    """TRAIN_IMAGES training images chosen by the case (float32, stored column by column as
    train_deep wants them) and He-initialised float32 weights of a TRAIN_SIZES network."""
    from ..mnist import load_mnist, one_hot
    X, y = load_mnist("train", subset=TRAIN_IMAGES, seed=int(rng.integers(1 << 30)),
                      dtype=np.float32)
    X, T = np.asfortranarray(X), np.asfortranarray(one_hot(y, dtype=np.float32))
    params = {}
    for l, (n_in, n_out) in enumerate(zip(TRAIN_SIZES[:-1], TRAIN_SIZES[1:]), start=1):
        W = np.sqrt(2.0 / n_in) * rng.standard_normal((n_out, n_in))
        params[f"W{l}"] = W.astype(np.float32)
        params[f"b{l}"] = np.zeros((n_out, 1), dtype=np.float32)
    return params, X, T, _generator(rng)


# --- how each answer is called ---------------------------------------------------------------

def _call_init(init_params, args):
    sizes, generator, bias = args
    return init_params(list(sizes), generator, bias)


def _call_activation(activation, args):
    return {h: activation(args[0].copy(), h) for h in HIDDEN}


def _call_activation_grad(activation_grad, args):
    return {h: activation_grad(args[0][h].copy(), h) for h in HIDDEN}


def _call_forward(forward, args):
    params, X = args
    results = {}
    for h in HIDDEN:
        As, Y = _pair(forward(params, X, h), "forward", "As", "Y")
        if not isinstance(As, (list, tuple)):
            raise AnswerFormatError("forward must return As as a list of arrays, [A0, A1, ..., "
                                    f"A(L-1)] with A0 = X; it returned a {type(As).__name__}")
        results[h] = {"As": list(As), "Y": Y}
    return results


def _call_layer_gradients(layer_gradients, args):
    dW, db = _pair(layer_gradients(*args), "layer_gradients", "dW", "db")
    return {"dW": dW, "db": db}


def _call_backprop_delta(backprop_delta, args):
    D, W, outputs = args
    return {h: backprop_delta(D, W, outputs[h], h) for h in HIDDEN}


def _call_gradients(gradients, args):
    params, X, T, wd = args
    return {h: gradients(params, X, T, h, wd) for h in HIDDEN}


def _call_dropout(dropout_forward, args):
    """The answer three times: on the case's generator, on a copy of it in the same state (the
    same mask is due) and on another generator (another mask is due)."""
    A, p, rng = args
    twin = copy.deepcopy(rng)
    other = np.random.default_rng(int(copy.deepcopy(rng).integers(1 << 62)) + 1)
    runs = {}
    for key, generator, values in (("", rng, A), ("same_generator_", twin, A.copy()),
                                   ("other_generator_", other, A.copy())):
        out, mask = _pair(dropout_forward(values, p, generator), "dropout_forward", "out", "mask")
        runs[key + "out"], runs[key + "mask"] = out, mask
    return runs


def _call_train(train_deep, args):
    params, X, T, generator = args
    result = train_deep(params, X, T, rng=generator, **TRAINING)
    trained, _ = _pair(result, "train_deep", "params", "history")
    return {"params": trained}


SHAPE_NOTE = ("samples are columns: W_l is (n_l, n_(l-1)), b_l and every dE/db_l a column "
              "(n_l, 1), and D_l = dE/dZ_l has the shape of Z_l, (n_l, m)")

EXERCISE = Exercise("ex4_deep", [
    Check("init_params", "init_params(layer_sizes, rng, bias) for random layer sizes",
          _init_args, call=_call_init, extreme=_init_extreme, shape_note=SHAPE_NOTE),
    Check("activation", "activation(Z, hidden) for each kind of hidden unit, Z with exact zeros",
          _activation_args, call=_call_activation, extreme=_activation_extreme),
    Check("activation_grad", "activation_grad(A, hidden) from the outputs A of each kind of unit",
          _activation_grad_args, call=_call_activation_grad),
    Check("forward", "forward(params, X, hidden) -> (As, Y) for a random network, each kind of "
          "unit", _forward_args, call=_call_forward, extreme=_forward_extreme,
          stand_ins=("activation",), shape_note=SHAPE_NOTE),
    Check("output_delta", "output_delta(Y, T) = dE/dZ_L for a batch of softmax outputs",
          _output_delta_args, shape_note=SHAPE_NOTE),
    Check("layer_gradients", "layer_gradients(D, A_prev) -> (dW, db) for one layer",
          _layer_gradients_args, call=_call_layer_gradients, shape_note=SHAPE_NOTE),
    Check("backprop_delta", "backprop_delta(D, W, A_prev, hidden) for each kind of unit",
          _backprop_delta_args, call=_call_backprop_delta, stand_ins=("activation_grad",),
          shape_note=SHAPE_NOTE),
    Check("gradients", "gradients(params, X, T, hidden, wd) of a random network with weight "
          "decay, each kind of unit", _gradients_args, call=_call_gradients,
          extreme=_gradients_extreme, rtol=1e-6, atol=1e-12,
          stand_ins=("forward", "output_delta", "layer_gradients", "backprop_delta"),
          shape_note=SHAPE_NOTE),
    Check("dropout_forward", "dropout_forward(A, p, rng) -> (out, mask) on a few thousand "
          "outputs: mask and scaling, the kept fraction, and the generator passed in",
          _dropout_args, call=_call_dropout, keeps_inputs=True, arg_names=("A", "p", "rng")),
    Check("dropout_backward", "dropout_backward(dout, mask, p) for a given mask",
          _dropout_backward_args),
    Check("max_norm", "max_norm(W, c) for rows on both sides of the limit c", _max_norm_args,
          shape_note="each row of W (n_l, n_(l-1)) holds one unit's incoming weights"),
    Check("train_deep_accuracy", f"train_deep with your gradients: {TRAINING['epochs']} epochs of "
          f"a {'-'.join(map(str, TRAIN_SIZES))} net on {TRAIN_IMAGES:,} digits must reach "
          f"{THRESHOLD:.0%} test accuracy",
          _training_args, call=_call_train, cases={"visible": 1}, fallbacks=RELIES_ON),
], sealed=("deep", "layers", "net710", "mlp", "training", "demo", "widgets"))

check = EXERCISE.check
check_hidden = EXERCISE.check_hidden
inputs = EXERCISE.inputs
