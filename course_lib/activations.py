"""Activation functions and their derivatives, written to be numerically stable.

The class axis is the second-to-last axis (axis 0 of an ``(n_classes, m)`` batch), so that the
same code also works on stacks of batches with extra leading axes. Every function keeps the
dtype of its input (float32 stays float32).
"""
from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "sigmoid_grad", "softmax", "log_softmax", "softmax_jacobian",
           "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "LEAKY_SLOPE", "tanh",
           "tanh_grad"]

CLASS_AXIS = -2
LEAKY_SLOPE = 0.01          # the slope a of leaky ReLU for z < 0 (PyTorch's default as well)


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
    """Derivative of the ReLU from its output: 1 where ``y > 0``, else 0.

    ReLU has no derivative at ``z = 0`` (the slope jumps from 0 to 1); any value between 0 and 1
    is a valid subgradient there. course_lib uses 0, which is also all the output can say: ``y =
    0`` comes from ``z = 0`` and from every ``z < 0`` alike. (Some texts use the step function
    with H(0) = 1 instead; in floating point a pre-activation is almost never exactly 0, so the
    choice rarely changes anything.)
    """
    y = _float(y)
    return (y > 0).astype(y.dtype)


def leaky_relu(z, slope: float = LEAKY_SLOPE):
    """Leaky ReLU ``max(a z, z)`` for a slope ``0 < a < 1``, element-wise: ``z`` for ``z > 0``,
    ``a z`` otherwise. Unlike the ReLU its derivative is never 0, so a unit whose inputs push it
    below zero still receives a gradient (no "dying" units)."""
    z = _float(z)
    return np.where(z > 0, z, z * z.dtype.type(slope))


def leaky_relu_grad(y, slope: float = LEAKY_SLOPE):
    """Derivative of the leaky ReLU from its output: 1 where ``y > 0``, else ``slope``.

    The output has the sign of the input (``a > 0``), so it tells the two sides apart. At
    ``z = 0`` (no derivative, as for the ReLU) the left slope ``a`` is used, the same choice as
    ``relu_grad`` (whose left slope is 0).
    """
    y = _float(y)
    return np.where(y > 0, y.dtype.type(1), y.dtype.type(slope))


def tanh(z):
    """Hyperbolic tangent, element-wise (stable: NumPy's tanh saturates without overflow)."""
    return np.tanh(_float(z))


def tanh_grad(y):
    """Derivative of tanh from its output: ``1 - y**2``."""
    y = _float(y)
    return 1.0 - y * y
