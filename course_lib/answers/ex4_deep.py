"""Reference answers, hints and the training judge of notebook 4 (left out of the grader's
sandbox)."""
from __future__ import annotations


import numpy as np

from .. import deep
from ..activations import sigmoid
from ..checks import SINGLE_ATOL, SINGLE_RTOL, Hint, Outcome
from ..exercises.ex4_deep import HIDDEN, REFERENCE_ACCURACY, THRESHOLD, TRAIN_SIZES, TRAINING
from ..layers import affine
from ..wire import decode
from .trained import judge_reached_accuracy, test_set

REFERENCES = {
    "init_params": deep.init_params,
    "activation": deep.activation,
    "activation_grad": deep.activation_grad,
    "forward": deep.forward,
    "output_delta": deep.output_delta,
    "layer_gradients": deep.layer_gradients,
    "backprop_delta": deep.backprop_delta,
    "gradients": deep.gradients,
    "dropout_forward": None,              # a random mask: judged by what must hold (judge_dropout)
    "dropout_backward": deep.dropout_backward,
    "max_norm": deep.max_norm,
    "train_deep_accuracy": None,          # judged from the returned weights (judge_accuracy)
}
ALTERNATIVES: dict = {}


# --- what train_deep falls back on ------------------------------------------------------------
# The course's versions of the functions train_deep relies on (``Check.fallbacks``), written as
# the notebook's answers: the grader runs them in the student's kernel, where course_lib.deep
# is sealed, so each needs nothing but NumPy and the others (tests/test_deep.py checks that
# they compute what course_lib.deep computes).

def activation(Z, hidden):
    if hidden == "sigmoid":
        return np.exp(-np.logaddexp(0, -Z))
    if hidden == "tanh":
        return np.tanh(Z)
    if hidden == "relu":
        return np.maximum(Z, 0)
    return np.where(Z > 0, Z, 0.01 * Z)           # leaky ReLU, slope activations.LEAKY_SLOPE


def activation_grad(A, hidden):
    if hidden == "sigmoid":
        return A * (1 - A)
    if hidden == "tanh":
        return 1 - A ** 2
    if hidden == "relu":
        return (A > 0).astype(A.dtype)
    return np.where(A > 0, 1, 0.01).astype(A.dtype)


def forward(params, X, hidden):
    L = sum(1 for name in params if name.startswith("W"))
    As = [X]
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ As[-1]
        if f"b{l}" in params:
            Z = Z + params[f"b{l}"]
        if l < L:
            As.append(activation(Z, hidden))
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return As, E / E.sum(axis=0, keepdims=True)


def output_delta(Y, T):
    return (Y - T) / Y.shape[1]


def layer_gradients(D, A_prev):
    return D @ A_prev.T, D.sum(axis=1, keepdims=True)


def backprop_delta(D, W, A_prev, hidden):
    return (W.T @ D) * activation_grad(A_prev, hidden)


FALLBACKS = {function.__name__: function for function in (
    activation, activation_grad, forward, output_delta, layer_gradients, backprop_delta)}


def _hidden_pre_activations(params, X, hidden):
    """The Z_l of the hidden layers, as the reference forward pass computes them."""
    Zs, A = [], X
    for l in range(1, deep.n_layers(params)):
        Z = affine(params, l, A)
        Zs.append(Z)
        A = deep.activation(Z, hidden)
    return Zs


def _backward_calls(params, X, T, wd):
    """The inner calls of gradients(params, X, T, hidden, wd) for every kind of unit:
    (output_delta inputs, layer_gradients inputs, backprop_delta inputs)."""
    outputs, layers, deltas = [], [], []
    L = deep.n_layers(params)
    for h in HIDDEN:
        As, Y = deep.forward(params, X, h)
        outputs.append((Y, T))
        D = deep.output_delta(Y, T)
        for l in range(L, 0, -1):
            layers.append((D, As[l - 1]))
            if l > 1:
                deltas.append((D, params[f"W{l}"], As[l - 1], h))
                D = deep.backprop_delta(D, params[f"W{l}"], As[l - 1], h)
    return outputs, layers, deltas


STAND_IN_CALLS = {
    "forward": {"activation": lambda params, X: [
        (Z, h) for h in HIDDEN for Z in _hidden_pre_activations(params, X, h)]},
    "backprop_delta": {"activation_grad": lambda D, W, outputs: [
        (outputs[h], h) for h in HIDDEN]},
    "gradients": {
        "forward": lambda params, X, T, wd: [(params, X, h) for h in HIDDEN],
        "output_delta": lambda params, X, T, wd: _backward_calls(params, X, T, wd)[0],
        "layer_gradients": lambda params, X, T, wd: _backward_calls(params, X, T, wd)[1],
        "backprop_delta": lambda params, X, T, wd: _backward_calls(params, X, T, wd)[2],
    },
}


def _is_ones(exp, got, args) -> bool:
    return np.shape(got) == np.shape(exp) and np.all(got == 1) and not np.all(exp == 1)


HINTS = {
    "init_params": [
        Hint("draw the weights in order, W1 first: W_l = sqrt(2 / n_(l-1)) * "
             "rng.standard_normal((n_l, n_(l-1))), one call per layer, and no other draws",
             lambda exp, got, args: np.shape(got) == np.shape(exp) and np.ndim(exp) == 2
             and np.shape(exp)[1] > 1),
        Hint("biases start at zero, as columns of shape (n_l, 1)",
             lambda exp, got, args: np.ndim(exp) == 2 and np.shape(exp)[1] == 1),
    ],
    "activation": [
        Hint("leaky ReLU is z for z > 0 and LEAKY_SLOPE * z otherwise, i.e. "
             "np.maximum(LEAKY_SLOPE * Z, Z)",
             lambda exp, got, args: np.allclose(got, np.maximum(args[0], 0.0))),
    ],
    "activation_grad": [
        Hint("ReLU's derivative is 0 where the output is 0 (z <= 0): A > 0, not A >= 0",
             _is_ones),
        Hint("A is already the unit's output g(z): the sigmoid's derivative is A * (1 - A), "
             "without applying the sigmoid again",
             lambda exp, got, args: np.allclose(got, sigmoid(args[0]["sigmoid"]) *
                                                (1 - sigmoid(args[0]["sigmoid"])))),
        Hint("A is already the unit's output tanh(z): the derivative is 1 - A**2",
             lambda exp, got, args: np.allclose(got, 1 - np.tanh(args[0]["tanh"]) ** 2)),
        Hint("leaky ReLU's derivative is 1 where A > 0 and LEAKY_SLOPE elsewhere",
             lambda exp, got, args: np.allclose(got, (args[0]["leaky_relu"] > 0))),
    ],
    "forward": [
        Hint("As lists the input of every layer: [X, A1, ..., A(L-1)], L arrays; the output "
             "probabilities are Y, not part of As",
             lambda exp, got, args: isinstance(got, dict) or isinstance(got, list)),
    ],
    "output_delta": [
        Hint("the sign is flipped: D_L = (Y - T) / m", lambda exp, got, args: np.allclose(got, -exp)),
    ],
    "layer_gradients": [
        Hint("D already holds the 1/m of the mean: dE/db is the SUM of D over the samples "
             "(axis 1), not the mean",
             lambda exp, got, args: np.shape(got) == np.shape(exp) and np.shape(exp)[1] == 1
             and np.allclose(got * args[0].shape[1], exp)),
        Hint("dE/db_l is a column (n_l, 1): sum D over axis 1 (the samples) with keepdims=True",
             lambda exp, got, args: np.shape(exp)[1:] == (1,) and np.size(got) == np.size(exp)),
    ],
    "backprop_delta": [
        Hint("multiply W^T D element-wise by g'(A_prev), from activation_grad(A_prev, hidden)",
             lambda exp, got, args: np.allclose(got, args[1].T @ args[0])),
    ],
    "gradients": [
        Hint("weight decay adds wd * W_l to the weight gradients only; biases are not decayed",
             lambda exp, got, args: np.ndim(exp) == 2 and np.shape(exp)[1] == 1),
    ],
    "dropout_backward": [
        Hint("the forward pass multiplied by mask / p, so the gradient is multiplied by the same "
             "mask / p: the 1/p is missing", lambda exp, got, args: np.allclose(got, args[0] * args[1])),
        Hint("only the kept units pass a gradient back: multiply by the mask (and by 1/p)",
             lambda exp, got, args: np.allclose(got, args[0] / args[2])
             or np.allclose(got, args[0])),
        Hint("divide by p, as the forward pass did: dout * mask / p",
             lambda exp, got, args: np.allclose(got, args[0] * args[1] * args[2])),
    ],
    "max_norm": [
        Hint("each row of W is one unit's incoming weights: take the norms along axis 1 (the "
             "rows), not axis 0", lambda exp, got, args: np.allclose(got, deep.max_norm(
                 args[0].T, args[1]).T)),
        Hint("only the rows whose norm exceeds c are scaled down; rows with a smaller norm stay "
             "as they are", lambda exp, got, args: np.allclose(
                 np.linalg.norm(got, axis=1), args[1])),
        Hint("the limit is on the L2 norm of each row, sqrt of the sum of squares, not on "
             "single entries", lambda exp, got, args: np.allclose(got, np.clip(args[0], -args[1],
                                                                              args[1]))),
    ],
}


# --- dropout: a random mask, judged by what every correct draw satisfies ----------------------

KEPT_MARGIN = 0.04      # the kept fraction may differ from p by this much (5 standard deviations
                        # of the fraction for the few thousand entries of a case)


def _dropout_failure(check, hint, detail="") -> Outcome:
    return Outcome(check.name, False, check.tested, hint=hint, detail=detail)


def _as_mask(value):
    """A mask as booleans when it holds only True/False or 0/1, else None."""
    mask = np.asarray(value)
    if mask.dtype == bool:
        return mask
    if np.issubdtype(mask.dtype, np.number) and np.all(np.isin(mask, (0, 1))):
        return mask == 1
    return None


def judge_dropout(exercise, check, case, record, args, *, hidden, failed) -> Outcome:
    """Pass when, for every correct draw: out and mask have A's shape, the mask holds True/1 for
    kept and False/0 for dropped units, out = A * mask / p, the kept fraction is within
    ``KEPT_MARGIN`` of p, and the mask comes from the generator passed in (the same state gives
    the same mask, another state another one). The exact draws are never compared."""
    got = record["value"]
    if got.get("kind") != "dict":
        return exercise.compare(check.name, case["expected"], got, args, hidden=hidden)
    A, p, _ = args() if callable(args) else args
    items = {key: decode(value) if value.get("kind") in ("array", "bool") else None
             for key, value in got["items"].items()}
    shapes = {key: np.shape(value) for key, value in items.items() if value is not None}
    wrong = [key for key in ("out", "mask") if shapes.get(key) != A.shape]
    if wrong:
        return Outcome(check.name, False, check.tested, expected=f"shape {A.shape}",
                       got=f"{wrong[0]} of shape {shapes.get(wrong[0], 'none (not an array)')}",
                       hint="out and mask both have the shape of A: one draw for every unit "
                            "and every sample (column)")
    masks = [_as_mask(items.get(key)) for key in ("mask", "same_generator_mask",
                                                     "other_generator_mask")]
    if masks[0] is None:
        return _dropout_failure(check, "mask holds True (or 1) where a unit is kept and False "
                                "(or 0) where it is dropped; the 1/p goes into out, not into "
                                "the mask")
    mask, out = masks[0], np.asarray(items["out"], dtype=float)
    rtol, atol = SINGLE_RTOL, SINGLE_ATOL * float(np.max(np.abs(A)))
    if not np.allclose(out, A * mask / p, rtol=rtol, atol=atol):
        if np.allclose(out, A * mask, rtol=rtol, atol=atol):
            hint = ("inverted dropout scales the kept units by 1/p, so that the expected output "
                    "stays A: out = A * mask / p")
        elif np.allclose(out, A * mask * p, rtol=rtol, atol=atol):
            hint = "divide the kept units by p (out = A * mask / p), do not multiply"
        elif np.allclose(out, A * ~mask / p, rtol=rtol, atol=atol):
            hint = "mask is True for the units that are KEPT: out = A * mask / p"
        else:
            hint = "out must be A * mask / p, with the mask you return"
        return _dropout_failure(check, hint)
    kept = float(mask.mean())
    if abs(kept - p) > KEPT_MARGIN:
        if abs(kept - (1 - p)) <= KEPT_MARGIN:
            hint = ("p is the probability of KEEPING a unit (the IISER lecture's p), not of "
                    "dropping it: keep where rng.random(A.shape) < p")
        else:
            hint = "each unit must be kept with probability p: mask = rng.random(A.shape) < p"
        return _dropout_failure(check, hint, detail=f"your mask kept {kept:.1%} of the units; "
                                f"about {p:.0%} were due")
    if masks[1] is None or masks[1].shape != mask.shape or not np.array_equal(masks[1], mask):
        return _dropout_failure(check, "draw the mask from the generator passed in, rng (for "
                                "example rng.random(A.shape) < p): a generator in the same "
                                "state must give the same mask, and np.random's global "
                                "functions do not")
    if masks[2] is not None and np.array_equal(masks[2], mask):
        return _dropout_failure(check, "the mask must come from rng: another generator gave the "
                                "same mask (is a fixed seed set inside the function?)")
    return Outcome(check.name, True, check.tested, detail="" if hidden else
                   f"kept {kept:.1%} of the units with p = {p:.2f}, and out = A * mask / p")


# --- the training test ------------------------------------------------------------------------

SHAPES = {f"{kind}{l}": (n_out, n_in if kind == "W" else 1)
          for l, (n_in, n_out) in enumerate(zip(TRAIN_SIZES[:-1], TRAIN_SIZES[1:]), start=1)
          for kind in ("W", "b")}


def _test_accuracy(params) -> float:
    X_test, y_test = test_set("float32")
    Y = deep.forward(params, X_test, TRAINING["hidden"])[1]
    return float(np.mean(np.argmax(Y, axis=0) == y_test))


def judge_accuracy(exercise, check, case, record, args, *, hidden, failed) -> Outcome:
    """Pass when the weights train_deep returned classify the MNIST test set with at least
    THRESHOLD accuracy (computed here, from the returned weights)."""
    return judge_reached_accuracy(
        exercise, check, case, record, args, hidden=hidden, trainer="train_deep", shapes=SHAPES,
        accuracy=_test_accuracy, threshold=THRESHOLD, reference=REFERENCE_ACCURACY, dtype="float32",
        too_low="the training does not reach the accuracy it should: run the gradient checks "
                "above (every layer, with and without biases) and look for a layer whose "
                "gradient disagrees")


JUDGES = {"train_deep_accuracy": judge_accuracy, "dropout_forward": judge_dropout}
