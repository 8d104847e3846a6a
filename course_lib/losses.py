"""The losses of the course: mean cross-entropy plus one weight-decay convention, and the squared
error of a sigmoid output layer that exercise 1 sets beside it.

    E = (1/m) sum_j -t_j . log(y_j)  +  wd/2 * (sum of squared weights)
    E = (1/m) sum_j 1/2 ||sigmoid(z_j) - t_j||^2            (squared error, no weight decay)

Cross-entropy is computed from the logits through ``log_softmax``; the logarithm of a softmax
output is never taken, so a confident wrong prediction gives a large finite loss, not ``inf``.
The weight-decay gradient is ``wd * W``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .activations import CLASS_AXIS, log_softmax, sigmoid, sigmoid_grad, softmax

__all__ = ["cross_entropy", "cross_entropy_from_log_probs", "cross_entropy_grad",
           "squared_error", "squared_error_grad", "weight_decay_penalty", "weight_decay_grad",
           "is_weight"]


def cross_entropy_from_log_probs(log_y, T):
    """Mean cross-entropy ``-(1/m) sum_j t_j . log y_j`` from log-probabilities.

    Parameters
    ----------
    log_y : array of shape (n_classes, m)
        Log-probabilities, one column per sample (for example ``log_softmax(Z)``).
    T : array of shape (n_classes, m)
        Targets (one-hot columns, or any distributions that sum to 1).

    Returns
    -------
    float (or an array over any extra leading axes of ``log_y``)
    """
    log_y = np.asarray(log_y)
    m = log_y.shape[-1]
    return -np.sum(T * log_y, axis=(CLASS_AXIS, -1)) / m


def cross_entropy(Z, T):
    """Mean cross-entropy of the softmax of the logits ``Z`` against the targets ``T``.

    Parameters
    ----------
    Z : array of shape (n_classes, m)
        Logits (the output layer's pre-activations), one column per sample.
    T : array of shape (n_classes, m)
        Targets, usually one-hot columns.

    Returns
    -------
    float
        ``E = -(1/m) sum_j t_j . log softmax(z_j)``
    """
    Z = np.asarray(Z)
    T = np.asarray(T)
    if Z.shape[-2:] != T.shape[-2:]:
        raise ValueError(f"logits Z {Z.shape} and targets T {T.shape} must have the same shape "
                         "(n_classes, m), one column per sample")
    return cross_entropy_from_log_probs(log_softmax(Z), T)


def cross_entropy_grad(Z, T):
    """Gradient of ``cross_entropy(Z, T)`` with respect to the logits: ``(softmax(Z) - T) / m``.

    For one sample this is the famous ``dE/dz = y - t``; the mean over m columns adds 1/m.
    Shapes: Z and T are (n_classes, m); so is the result.
    """
    Z = np.asarray(Z)
    return (softmax(Z) - np.asarray(T)) / Z.shape[-1]


def squared_error(Z, T):
    """Mean squared error of a sigmoid output layer: ``E = (1/m) sum_j 1/2 ||sigmoid(z_j) - t_j||^2``.

    The 1/2 of Bai's notes and the IISER lecture (it cancels the 2 of the derivative) and the
    mean over the m columns, as for ``cross_entropy``.

    Parameters
    ----------
    Z : array of shape (n, m)
        Scores of the output layer, one column per sample; its outputs are ``Y = sigmoid(Z)``.
    T : array of shape (n, m)
        Targets, usually one-hot columns.

    Returns
    -------
    float
    """
    Z, T = np.asarray(Z), np.asarray(T)
    if Z.shape != T.shape:
        raise ValueError(f"scores Z {Z.shape} and targets T {T.shape} must have the same shape "
                         "(n, m), one column per sample")
    return 0.5 * np.sum((sigmoid(Z) - T) ** 2) / Z.shape[-1]


def squared_error_grad(Z, T):
    """The output delta of ``squared_error``: ``dE/dZ = (1/m) (Y - T) * sigma'(Z)`` with
    ``Y = sigmoid(Z)`` and ``sigma'(Z) = Y * (1 - Y)``, element-wise; shape (n, m) like Z.

    Unlike ``cross_entropy_grad`` the derivative of the output activation stays in it, so the
    delta vanishes where the sigmoid saturates (Y near 0 or 1), however wrong the output is.
    """
    Z = np.asarray(Z)
    Y = sigmoid(Z)
    return (Y - np.asarray(T)) * sigmoid_grad(Y) / Z.shape[-1]


def is_weight(name: str) -> bool:
    """Weight decay applies to weight matrices (``W1``, ``W2``, ...), never to biases."""
    return name.startswith("W")


def weight_decay_penalty(params: Mapping[str, np.ndarray] | Iterable[np.ndarray], wd: float):
    """``wd/2 * sum of squared weights`` over the weight matrices of ``params``.

    ``params`` is a dict such as ``{"W1": ..., "W2": ...}`` (entries not starting with ``W``, the
    biases, are skipped) or simply a list of weight arrays.
    """
    if wd == 0:
        return 0.0
    arrays = ([v for k, v in params.items() if is_weight(k)] if isinstance(params, Mapping)
              else list(params))
    return 0.5 * wd * sum(float(np.vdot(W, W)) for W in arrays)


def weight_decay_grad(W, wd: float):
    """Gradient of ``wd/2 * ||W||^2`` with respect to ``W``: ``wd * W`` (same shape as ``W``)."""
    return wd * np.asarray(W)
