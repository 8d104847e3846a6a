"""Backpropagation for a network of any depth, in the form of exercise 4 (the reference answers).

    A_0 = X                                     (n_0, m), one sample per column
    Z_l = W_l A_{l-1} (+ b_l)    A_l = g(Z_l)   l = 1 .. L-1, g = sigmoid, tanh, relu or leaky_relu
    Z_L = W_L A_{L-1} (+ b_L)    Y = softmax(Z_L)
    E   = -(1/m) sum_j t_j . log y_j  +  wd/2 * (sum of squared weights; biases are not decayed)

``W_l`` has shape (n_l, n_{l-1}) and ``b_l`` (n_l, 1); ``params`` is a dict ``{"W1": ..., "b1":
..., "WL": ..., "bL": ...}`` in which the biases are optional (all or none). The backward pass
works with ``D_l = dE/dZ_l``, an array of the shape of ``Z_l``, (n_l, m): column j holds sample
j's derivative (ex2's row for that sample, transposed), divided by m because E is a mean.

    D_L     = (Y - T) / m                           output_delta
    dE/dW_l = D_l A_{l-1}^T    dE/db_l = D_l 1      layer_gradients (1: a column of m ones)
    D_{l-1} = (W_l^T D_l) .* g'(A_{l-1})            backprop_delta (g' from the outputs A)
    dE/dW_l += wd * W_l                             weight decay, weights only

Regularisers of the IISER lecture, as exercise 4 asks for them (section 9):

    dropout_forward:   M = (u < p), u uniform from the rng;  out = A .* M / p   (inverted dropout)
    dropout_backward:  dE/dA = dE/dout .* M / p
    max_norm:          each row w of W with ||w|| > c becomes c w / ||w||; the others stay

With sizes ``[784, 7, 10]``, sigmoid hidden units and no biases these are exactly the stages of
the 7-10 net (``course_lib.net710``): ``output_delta`` is stage 2 for every sample at once with
stage 8's 1/m, ``layer_gradients`` is stages 4 and 7, ``backprop_delta`` is stages 3, 5 and 6
(multiplying by the diagonal matrix of stage 5 is an element-wise product), and the decay is
stage 9.
"""
from __future__ import annotations

import math

import numpy as np

from .activations import LEAKY_SLOPE, log_softmax, softmax
from .layers import ACTIVATIONS, affine, init_weights, normal_scale
from .losses import cross_entropy_from_log_probs

__all__ = ["HIDDEN", "init_params", "n_layers", "activation", "activation_grad", "forward",
           "logits", "loss", "output_delta", "layer_gradients", "backprop_delta", "gradients",
           "dropout_forward", "dropout_backward", "max_norm", "train", "LEAKY_SLOPE"]

HIDDEN = tuple(ACTIVATIONS)       # ("sigmoid", "tanh", "relu", "leaky_relu")


def _functions(hidden: str):
    try:
        return ACTIVATIONS[hidden]
    except (KeyError, TypeError):
        raise ValueError(f"hidden must be one of {', '.join(HIDDEN)}; got {hidden!r}") from None


def init_params(layer_sizes, rng, bias: bool = True) -> dict:
    """He initialisation for ``layer_sizes = [n_0, n_1, ..., n_L]``.

    For l = 1 .. L, in this order: ``W_l = sqrt(2 / n_{l-1}) * rng.standard_normal((n_l,
    n_{l-1}))`` and, with ``bias``, ``b_l = zeros((n_l, 1))``. The factor keeps the scale of
    ReLU activations about the same from layer to layer (a ReLU halves the mean square of its
    input, the 2 makes up for it).
    """
    return init_weights(layer_sizes, rng, normal_scale(2.0), bias=bias)


def n_layers(params) -> int:
    """L, the number of weight matrices ``W1 .. WL`` (biases or not)."""
    return sum(1 for name in params if name.startswith("W"))


def activation(Z, hidden: str):
    """The hidden units' function ``g`` applied to ``Z`` element-wise."""
    return _functions(hidden)[0](Z)


def activation_grad(A, hidden: str):
    """``g'`` expressed through the outputs ``A = g(Z)``: ``A(1 - A)``, ``1 - A**2``, ``A > 0`` or
    1 / ``LEAKY_SLOPE`` (0 and the slope at z = 0, see ``activations.relu_grad``)."""
    return _functions(hidden)[1](A)


def forward(params, X, hidden: str):
    """``(As, Y)``: ``As = [A_0, A_1, ..., A_{L-1}]`` the input of every layer (``A_0 = X``), and
    ``Y = softmax(Z_L)`` the output probabilities (n_L, m)."""
    L = n_layers(params)
    As = [X]
    for l in range(1, L):
        As.append(activation(affine(params, l, As[-1]), hidden))
    return As, softmax(affine(params, L, As[-1]), axis=0)


def logits(params, X, hidden: str):
    """The output layer's pre-activations ``Z_L`` (n_L, m)."""
    A = X
    L = n_layers(params)
    for l in range(1, L):
        A = activation(affine(params, l, A), hidden)
    return affine(params, L, A)


def loss(params, X, T, hidden: str, wd: float = 0.0) -> float:
    """Mean cross-entropy from the logits (log_softmax, never log of a probability) plus
    ``wd/2`` times the sum of the squared weights."""
    E = float(cross_entropy_from_log_probs(log_softmax(logits(params, X, hidden), axis=0), T))
    return E + 0.5 * wd * sum(float(np.vdot(W, W)) for name, W in params.items()
                              if name.startswith("W"))


def output_delta(Y, T):
    """``D_L = dE/dZ_L = (Y - T) / m`` for the mean cross-entropy of a softmax output."""
    return (Y - T) / Y.shape[1]


def layer_gradients(D, A_prev):
    """``(dE/dW_l, dE/db_l) = (D_l A_{l-1}^T, D_l summed over the samples)``: shapes
    (n_l, n_{l-1}) and (n_l, 1)."""
    return D @ A_prev.T, D.sum(axis=1, keepdims=True)


def backprop_delta(D, W, A_prev, hidden: str):
    """``D_{l-1} = (W_l^T D_l) .* g'(A_{l-1})``, shape (n_{l-1}, m)."""
    return (W.T @ D) * activation_grad(A_prev, hidden)


def gradients(params, X, T, hidden: str, wd: float = 0.0) -> dict:
    """The gradient of ``loss(params, X, T, hidden, wd)``: a dict with the keys of ``params``."""
    L = n_layers(params)
    As, Y = forward(params, X, hidden)
    D = output_delta(Y, T)
    grads = {}
    for l in range(L, 0, -1):
        dW, db = layer_gradients(D, As[l - 1])
        grads[f"W{l}"] = dW + wd * params[f"W{l}"]
        if f"b{l}" in params:
            grads[f"b{l}"] = db
        if l > 1:
            D = backprop_delta(D, params[f"W{l}"], As[l - 1], hidden)
    return grads


def dropout_forward(A, p: float, rng):
    """Inverted dropout on a layer's outputs ``A`` (n, m), keeping each unit of each sample with
    probability ``p`` (the IISER lecture's p; ``MLP``'s ``dropout`` is ``1 - p``).

    The mask ``M = rng.random(A.shape) < p`` (True: kept) is drawn from the generator passed in,
    one draw per entry; the output ``A .* M / p`` scales the kept units by ``1/p``, so that its
    expectation is ``A`` itself and nothing changes at test time. Returns ``(out, M)``; ``A`` is
    not changed."""
    mask = rng.random(np.shape(A)) < p
    return A * mask / p, mask


def dropout_backward(dout, mask, p: float):
    """The gradient through ``dropout_forward``: ``dE/dA = dE/dout .* M / p`` (the same mask and
    the same scaling), shape of ``dout``."""
    return dout * mask / p


def max_norm(W, c: float):
    """Max-norm projection: every row of ``W`` (n_l, n_{l-1}), a unit's incoming weights, whose L2
    norm exceeds ``c`` is scaled back to norm ``c``; rows of norm at most ``c`` stay as they are.
    Returns a new array."""
    norms = np.linalg.norm(W, axis=1, keepdims=True)
    return W * (c / np.maximum(norms, c))      # factor 1 where the norm is at most c


def train(params, X, T, *, hidden, epochs, batch_size, lr, momentum, rng, wd=0.0, X_val=None,
          T_val=None, gradients=gradients, loss=loss, forward=forward, probe: int = 10_000):
    """The training loop of exercise 4 (``train_deep``): minibatch SGD with momentum
    (``training.SGD``: ``v <- mu v - lr_e g``, ``W <- W + v``, velocities from zero), the
    learning rate of epoch e (0-based)
    ``lr_e = lr * (1 + cos(pi e / epochs)) / 2`` falling along half a cosine, one
    ``rng.permutation`` per epoch and consecutive slices of it. After every epoch the history
    records the loss on the first ``probe`` training columns and, with a validation set, the
    validation accuracy. ``gradients``, ``loss`` and ``forward`` are the functions it uses (the
    notebook passes the student's). Returns ``(params, history)``; the inputs are not changed.
    """
    # imported here: training is sealed in every exercise's sandbox, this module only in ex4's
    from .training import SGD

    params = {name: np.array(value, copy=True) for name, value in params.items()}
    optimizer = SGD(lr, momentum)
    history = {"train_loss": [], "val_acc": []}
    X, T = np.asfortranarray(X), np.asfortranarray(T)     # columns contiguous: fast batches
    m = X.shape[1]
    for epoch in range(epochs):
        optimizer.lr = lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))   # a Python float
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            batch = order[start:start + batch_size]
            optimizer.step(params, gradients(params, X[:, batch], T[:, batch], hidden, wd))
        history["train_loss"].append(loss(params, X[:, :probe], T[:, :probe], hidden, wd))
        if X_val is not None:
            Y = forward(params, X_val, hidden)[1]
            history["val_acc"].append(float(np.mean(np.argmax(Y, axis=0) ==
                                                    np.argmax(T_val, axis=0))))
    return params, history
