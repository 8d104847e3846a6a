"""What every fully connected network of course_lib (``net710``, ``deep``, ``mlp``) is built from:
the table of hidden activations, the layer-by-layer weight initialisation and a layer's affine map.

    Z_l = W_l A_{l-1} (+ b_l)      A_l = g(Z_l)      W_l: (n_l, n_{l-1}), b_l: (n_l, 1)

Samples are columns: ``A_0 = X`` is ``(n_0, m)``. ``params`` is a dict ``{"W1": ..., "b1": ...,
"WL": ..., "bL": ...}`` in which the biases are optional.

Exercise 4 asks for ``init_params``, ``activation`` and ``activation_grad``, which this module
nearly is, so the grader leaves it out of that exercise's sandbox (``Exercise.sealed``).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .activations import (leaky_relu, leaky_relu_grad, relu, relu_grad, sigmoid, sigmoid_grad,
                          tanh, tanh_grad)

__all__ = ["ACTIVATIONS", "init_weights", "normal_scale", "affine"]

# name -> (g, g' expressed through the output A = g(Z)), in the order the course lists them
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
}


def init_weights(layer_sizes, rng, scale: Callable, *, bias: bool = True,
                 dtype=np.float64) -> dict:
    """Random weights for ``layer_sizes = [n_0, n_1, ..., n_L]``, drawn layer by layer.

    For l = 1 .. L, in this order and with no other draws from ``rng``:
    ``W_l = scale(N_l, n_{l-1}, l)`` cast to ``dtype``, where ``N_l =
    rng.standard_normal((n_l, n_{l-1}))``, and, with ``bias``, ``b_l = zeros((n_l, 1))``. The
    same generator state therefore gives the same weights on every machine.

    Returns
    -------
    dict ``{"W1": (n_1, n_0), "b1": (n_1, 1), ..., "WL": (n_L, n_{L-1}), "bL": (n_L, 1)}``
    """
    sizes = [int(n) for n in layer_sizes]
    params = {}
    for l in range(1, len(sizes)):
        N = rng.standard_normal((sizes[l], sizes[l - 1]))
        params[f"W{l}"] = scale(N, sizes[l - 1], l).astype(dtype)
        if bias:
            params[f"b{l}"] = np.zeros((sizes[l], 1), dtype=dtype)
    return params


def normal_scale(gain: float) -> Callable:
    """The ``scale`` of ``init_weights`` for weights of standard deviation ``sqrt(gain / n_in)``:
    ``W = N * sqrt(gain / n_in)``. ``gain = 2`` is He's initialisation (a ReLU halves the mean
    square of its input, the 2 makes up for it), ``gain = 1`` LeCun's."""
    return lambda N, n_in, l: N * np.sqrt(gain / n_in)


def affine(params, l: int, A):
    """Layer l's pre-activations ``Z_l = W_l A_{l-1} (+ b_l)``, shape (n_l, m), from its input
    ``A`` (n_{l-1}, m); the bias is added when ``params`` has ``b{l}``."""
    Z = params[f"W{l}"] @ A
    bias = params.get(f"b{l}")
    return Z if bias is None else Z + bias
