"""Activation functions and their derivatives, written to be numerically stable.

The class axis is the second-to-last axis (axis 0 of an ``(n_classes, m)`` batch), so that the
same code also works on stacks of batches with extra leading axes. Every function keeps the
dtype of its input (float32 stays float32).
"""
from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "sigmoid_grad", "softmax", "log_softmax", "softmax_jacobian",
           "relu", "relu_grad", "tanh", "tanh_grad"]

CLASS_AXIS = -2


def _float(z) -> np.ndarray:
    z = np.asarray(z)
    return z if z.dtype in (np.float32, np.float64) else z.astype(np.float64)


def sigmoid(z):
    """Logistic function ``sigma(z) = 1 / (1 + exp(-z))``, element-wise, any shape.

    Stable for any input: with ``e = exp(-|z|)`` (never larger than 1) it returns ``1 / (1 + e)``
    for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``. Both forms are algebraically the sigmoid,
    neither overflows, and small outputs keep their full relative precision, so ``z = +-1000``
    gives 1 and 0 without warnings.
    """
    z = _float(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(y):
    """Derivative of the sigmoid expressed through its output: ``sigma'(z) = y * (1 - y)``.

    Parameters
    ----------
    y : array, any shape
        Sigmoid outputs ``y = sigmoid(z)`` (not the pre-activations ``z``).
    """
    y = _float(y)
    return y * (1.0 - y)


def log_softmax(z, axis: int = CLASS_AXIS):
    """Log of the softmax over ``axis`` with the log-sum-exp trick.

    ``log s(z)_i = z_i - max(z) - log(sum_k exp(z_k - max(z)))``. Subtracting the column maximum
    keeps every exponent <= 0, so nothing overflows and the largest term is exactly 1.

    Parameters
    ----------
    z : array of shape (n_classes, m)
        Logits, one column per sample.
    """
    z = _float(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z, axis: int = CLASS_AXIS):
    """Softmax over ``axis``: ``s(z)_i = exp(z_i) / sum_k exp(z_k)``, stable for large logits.

    Parameters
    ----------
    z : array of shape (n_classes, m)
        Logits, one column per sample.

    Returns
    -------
    array of shape (n_classes, m)
        Probabilities; every column sums to 1.
    """
    z = _float(z)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(z):
    """Jacobian of the softmax of one logit vector: ``ds_i/dz_j = s_i (delta_ij - s_j)``.

    In matrix form ``J = diag(s) - s s^T``, which is symmetric.

    Parameters
    ----------
    z : array of shape (n,) or (n, 1)
        The logits of a single sample.

    Returns
    -------
    array of shape (n, n)
    """
    z = _float(z)
    if z.ndim == 2 and z.shape[1] == 1:
        z = z[:, 0]
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian takes one sample, shape (n,) or (n, 1); got {z.shape}")
    s = softmax(z, axis=0)
    return np.diag(s) - np.outer(s, s)


def relu(z):
    """Rectified linear unit ``max(0, z)``, element-wise."""
    z = _float(z)
    return np.maximum(z, 0.0, dtype=z.dtype)


def relu_grad(y):
    """Derivative of the ReLU from its output: 1 where ``y > 0``, else 0 (0 at the kink)."""
    y = _float(y)
    return (y > 0).astype(y.dtype)


def tanh(z):
    """Hyperbolic tangent, element-wise (stable: NumPy's tanh saturates without overflow)."""
    return np.tanh(_float(z))


def tanh_grad(y):
    """Derivative of tanh from its output: ``1 - y**2``."""
    y = _float(y)
    return 1.0 - y * y
