"""The "7-10 net" of the exercise: two layers, no biases, sigmoid hidden units, softmax outputs.

    z1 = W1 x       y1 = sigma(z1)       W1: (n1, n0) = (7, 784)
    z2 = W2 y1      y2 = softmax(z2)     W2: (n2, n1) = (10, 7)
    E  = -t . log y2  (+ wd/2 * ||w||^2)

Backpropagation for one sample, stage by stage (derivatives with respect to column vectors are
row vectors, so every product below is an ordinary matrix product):

    stage 2   dE/dz2  = (y2 - t)^T                                  (1, n2)
    stage 3   dE/dy1  = dE/dz2 W2                                   (1, n1)
    stage 4   dE/dW2  = (y2 - t) y1^T                               (n2, n1)
    stage 5   dy1/dz1 = diag(y1 .* (1 - y1))                        (n1, n1)
    stage 6   dE/dz1  = dE/dy1 dy1/dz1                              (1, n1)
    stage 7   dE/dW1  = (dE/dz1)^T x^T                              (n1, n0)
    stage 8   average the per-sample gradients over a batch of m samples
    stage 9   weight decay adds wd * W to each weight gradient

``gradients`` does stages 2-9 for a whole batch at once, with matrix products instead of a loop.
"""
from __future__ import annotations

import numpy as np

from ._validate import ShapeError, as_float_array, check_columns, check_same_columns
from .activations import log_softmax, sigmoid, softmax
from .layers import init_weights
from .losses import cross_entropy, cross_entropy_from_log_probs, weight_decay_penalty

__all__ = ["N_IN", "N_HIDDEN", "N_OUT", "init_params", "forward", "loss", "gradients",
           "sample_loss", "dE_dz2", "dE_dy1", "dE_dW2", "dy1_dz1", "dE_dz1", "dE_dW1",
           "backprop_sample", "batch_gradients", "add_weight_decay", "LossFunction"]

N_IN, N_HIDDEN, N_OUT = 784, 7, 10


def init_params(n_in: int = N_IN, n_hidden: int = N_HIDDEN, n_out: int = N_OUT, *,
                seed: int = 0, dtype=np.float64) -> dict[str, np.ndarray]:
    """Deterministic random weights, the same for the same seed on every machine.

    ``W1`` is drawn from a normal distribution with standard deviation ``1/sqrt(n_in)``. A
    hidden pre-activation ``z = w . x`` then has standard deviation ``sqrt(mean(x**2))``, the
    root mean square of the input: 1 for inputs of unit scale, but only about 0.33 for MNIST,
    whose pixels lie in [0, 1] and are mostly 0 (measured on the training set: std(z1) = 0.31).
    So the sigmoid units start in their nearly linear middle, where their slope is largest.
    ``W2`` is drawn ten times smaller, so the initial outputs are almost uniform and the
    initial loss is close to ``ln(n_out)`` (2.3026 for ten classes; 2.3029 measured on MNIST):
    a quick sanity check before training.

    Returns
    -------
    dict with ``"W1"`` of shape (n_hidden, n_in) and ``"W2"`` of shape (n_out, n_hidden)
    """
    return init_weights([n_in, n_hidden, n_out], np.random.default_rng(seed), _scale, bias=False,
                        dtype=dtype)


def _scale(N, n_in: int, l: int):
    """``init_weights``'s scale for the 7-10 net: ``W1 = N / sqrt(n0)``, ``W2 = 0.1 N / sqrt(n1)``."""
    return (N if l == 1 else 0.1 * N) / np.sqrt(n_in)


def _checked(params, X, T=None):
    """Validate the parameters and a batch at the public boundary."""
    try:
        W1 = as_float_array("params['W1']", params["W1"], ndim=2)
        W2 = as_float_array("params['W2']", params["W2"], ndim=2)
    except KeyError as missing:
        raise KeyError(f"params must hold 'W1' and 'W2'; {missing} is missing") from None
    if W2.shape[1] != W1.shape[0]:
        raise ShapeError(f"W2 has shape {W2.shape} but W1 has {W1.shape}: W2 needs one column "
                         f"per hidden unit, i.e. shape (n_out, {W1.shape[0]})")
    X = as_float_array("X", X)
    check_columns("X", X, W1.shape[1], "inputs")
    if T is None:
        return W1, W2, X
    T = as_float_array("T", T)
    check_columns("T", T, W2.shape[0], "classes")
    check_same_columns("X", X, "T", T)
    return W1, W2, X, T


def forward(params, X) -> dict[str, np.ndarray]:
    """Forward pass for a batch.

    Parameters
    ----------
    params : dict with ``W1`` (n1, n0) and ``W2`` (n2, n1)
    X : array of shape (n0, m), one sample per column

    Returns
    -------
    cache : dict
        ``X`` (n0, m), ``Z1`` and ``Y1`` (n1, m), ``Z2`` and ``Y2`` (n2, m), where
        ``Z1 = W1 X``, ``Y1 = sigma(Z1)``, ``Z2 = W2 Y1`` and ``Y2 = softmax(Z2)``.
    """
    W1, W2, X = _checked(params, X)
    Z1 = W1 @ X
    Y1 = sigmoid(Z1)
    Z2 = W2 @ Y1
    return {"X": X, "Z1": Z1, "Y1": Y1, "Z2": Z2, "Y2": softmax(Z2)}


def loss(params, X, T, wd: float = 0.0) -> float:
    """Mean cross-entropy of the batch plus weight decay:
    ``E = -(1/m) sum_j t_j . log y2_j + wd/2 * (||W1||^2 + ||W2||^2)``.

    X is (n0, m) and T is (n2, m), one-hot columns.
    """
    W1, W2, X, T = _checked(params, X, T)
    Z2 = W2 @ sigmoid(W1 @ X)
    return float(cross_entropy(Z2, T)) + weight_decay_penalty([W1, W2], wd)


# --- one sample, stage by stage (column vectors in, row-vector derivatives out) ----------------

def sample_loss(z2, t) -> float:
    """Stage 1: the loss of one sample, ``E = -t . log softmax(z2)``, from the logits z2 (n2, 1)."""
    return float(-np.sum(np.asarray(t) * log_softmax(z2, axis=0)))


def dE_dz2(y2, t):
    """Stage 2: ``dE/dz2 = (y2 - t)^T``, a row vector of shape (1, n2), from the columns
    y2 and t of shape (n2, 1)."""
    return (np.asarray(y2) - np.asarray(t)).T


def dE_dy1(dE_dz2_row, W2):
    """Stage 3: ``dE/dy1 = dE/dz2 W2``: (1, n2) times (n2, n1) gives (1, n1)."""
    return np.asarray(dE_dz2_row) @ np.asarray(W2)


def dE_dW2(dE_dz2_row, y1):
    """Stage 4: ``dE/dW2 = (y2 - t) y1^T = (dE/dz2)^T y1^T``, shape (n2, n1) like W2."""
    return np.asarray(dE_dz2_row).T @ np.asarray(y1).T


def dy1_dz1(y1):
    """Stage 5: the Jacobian of the sigmoid layer, ``diag(y1 .* (1 - y1))``, shape (n1, n1).
    It is computed from the outputs y1 (n1, 1), not from z1."""
    y1 = np.asarray(y1).reshape(-1)
    return np.diag(y1 * (1.0 - y1))


def dE_dz1(dE_dy1_row, dy1_dz1_matrix):
    """Stage 6: ``dE/dz1 = dE/dy1 dy1/dz1``: (1, n1) times (n1, n1) gives (1, n1)."""
    return np.asarray(dE_dy1_row) @ np.asarray(dy1_dz1_matrix)


def dE_dW1(dE_dz1_row, x):
    """Stage 7: ``dE/dW1 = (dE/dz1)^T x^T``: (n1, 1) times (1, n0) gives (n1, n0) like W1."""
    return np.asarray(dE_dz1_row).T @ np.asarray(x).T


def backprop_sample(params, x, t) -> dict[str, np.ndarray]:
    """Stages 2 to 7 for one sample x (n0, 1) with target t (n2, 1): ``{"W1": ..., "W2": ...}``."""
    cache = forward(params, x)
    delta2 = dE_dz2(cache["Y2"], t)
    delta1 = dE_dz1(dE_dy1(delta2, params["W2"]), dy1_dz1(cache["Y1"]))
    return {"W1": dE_dW1(delta1, x), "W2": dE_dW2(delta2, cache["Y1"])}


# --- a whole batch --------------------------------------------------------------------------

def batch_gradients(params, X, T) -> dict[str, np.ndarray]:
    """Stage 8: the gradient of the mean cross-entropy over a batch, without weight decay.

    Each column of ``D2 = (Y2 - T) / m`` is a transposed stage-2 row scaled by 1/m; summing the
    per-sample outer products is one matrix product, so no loop over samples is needed:

        D2 = (Y2 - T) / m                 (n2, m)
        dE/dW2 = D2 Y1^T                  (n2, n1)
        D1 = (W2^T D2) .* Y1 .* (1 - Y1)  (n1, m)
        dE/dW1 = D1 X^T                   (n1, n0)
    """
    W1, W2, X, T = _checked(params, X, T)
    Y1 = sigmoid(W1 @ X)
    D2 = (softmax(W2 @ Y1) - T) / X.shape[1]
    D1 = (W2.T @ D2) * Y1 * (1.0 - Y1)
    return {"W1": D1 @ X.T, "W2": D2 @ Y1.T}


def add_weight_decay(grads, params, wd: float) -> dict[str, np.ndarray]:
    """Stage 9: a new dict with ``wd * W`` added to each weight gradient."""
    return {name: g + wd * np.asarray(params[name]) for name, g in grads.items()}


def gradients(params, X, T, wd: float = 0.0) -> dict[str, np.ndarray]:
    """Gradient of ``loss(params, X, T, wd)``: ``{"W1": (n1, n0), "W2": (n2, n1)}``."""
    return add_weight_decay(batch_gradients(params, X, T), params, wd)


class LossFunction:
    """The loss on a fixed batch as a function of the parameters, for the gradient checker.

    ``LossFunction(X, T, wd)(params)`` equals ``loss(params, X, T, wd)``. It also evaluates many
    single-weight perturbations at once (``perturbed_losses``), which the checker uses to test all
    5,558 weights in milliseconds: changing ``W1[i, j]`` only changes hidden unit i, and changing
    ``W2[a, b]`` only changes logit a, so each perturbed loss is a small update of the base pass.
    """

    def __init__(self, X, T, wd: float = 0.0):
        self.X = as_float_array("X", X, ndim=2)
        self.T = as_float_array("T", T, ndim=2)
        self.wd = wd

    def __call__(self, params) -> float:
        return loss(params, self.X, self.T, self.wd)

    def perturbed_losses(self, params, name: str, flat_indices, delta: float) -> np.ndarray:
        """Losses with ``params[name].flat[k] += delta``, one per k in ``flat_indices``."""
        W1, W2, X, T = _checked(params, self.X, self.T)
        k = np.asarray(flat_indices)
        Z1 = W1 @ X
        Y1 = sigmoid(Z1)
        Z2 = W2 @ Y1
        if name == "W1":
            i, j = np.unravel_index(k, W1.shape)
            dY1 = sigmoid(Z1[i] + delta * X[j]) - Y1[i]                  # (K, m)
            Z2k = Z2[None] + W2[:, i].T[:, :, None] * dY1[:, None, :]   # (K, n2, m)
            changed = W1[i, j]
        elif name == "W2":
            a, b = np.unravel_index(k, W2.shape)
            Z2k = np.repeat(Z2[None], len(k), axis=0)
            Z2k[np.arange(len(k)), a] += delta * Y1[b]
            changed = W2[a, b]
        else:
            raise KeyError(f"unknown parameter {name!r}; expected 'W1' or 'W2'")
        ce = cross_entropy_from_log_probs(log_softmax(Z2k), T)
        base = weight_decay_penalty([W1, W2], self.wd)
        return ce + base + self.wd * (changed * delta + 0.5 * delta * delta)
