"""course_lib: the small reference library behind the neural-network course notebooks.

Conventions (stated once, used everywhere)
------------------------------------------
* Samples are columns. A batch of m inputs is ``X`` with shape ``(n_in, m)``; targets ``T`` and
  outputs ``Y`` are ``(n_classes, m)``; a layer's weights ``W`` are ``(n_out, n_in)`` so that
  ``Z = W @ X``. A single sample is a column vector of shape ``(n, 1)``.
* Derivatives of the scalar loss E with respect to a column vector are row vectors, as in the
  lecture notes: ``dE/dz2 = (y2 - t)^T`` has shape ``(1, n2)``. Gradients with respect to a
  matrix have the matrix's shape.
* The loss is the mean cross-entropy over the m samples plus one weight-decay convention:
  ``E = CE + wd/2 * sum of squared weights``, whose gradient adds ``wd * W``.
* Randomness is explicit: functions take a ``seed`` or a ``numpy.random.Generator``; nothing
  touches NumPy's global random state.

Modules
-------
activations  sigmoid, softmax, log_softmax, their derivatives, relu, tanh
losses       cross_entropy, weight decay, and the squared error of a sigmoid output
net710       the 7-10 network of the exercise, stage by stage (no biases)
mlp          a general multilayer perceptron (any depth, biases optional, regularisers)
training     minibatch SGD with momentum, schedules, early stopping, history
gradcheck    finite-difference gradient and Jacobian checks
mnist        the shipped MNIST files and any IDX data set
plots        learning curves, weight images, confusion matrix, network drawings
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public names, resolved lazily so that `import course_lib` stays fast and so that a module can be
# left out of a restricted installation without breaking the others.
_EXPORTS = {
    "activations": ["sigmoid", "sigmoid_grad", "softmax", "log_softmax", "softmax_jacobian",
                    "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "tanh", "tanh_grad"],
    "losses": ["cross_entropy", "cross_entropy_grad", "squared_error", "squared_error_grad",
               "weight_decay_penalty", "weight_decay_grad"],
    "gradcheck": ["numerical_gradient", "check_gradients", "check_jacobian", "rel_error",
                  "GradientCheckError"],
    "mnist": ["load_mnist", "load_idx", "one_hot", "train_val_split"],
    "mlp": ["MLP"],
    "training": ["SGD", "minibatches", "train", "History", "predict", "accuracy"],
}
_NAME_TO_MODULE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_NAME_TO_MODULE) + sorted(_EXPORTS) + ["net710", "plots", "__version__"]


def __getattr__(name: str):
    if name in _NAME_TO_MODULE:
        module = importlib.import_module(f"{__name__}.{_NAME_TO_MODULE[name]}")
        return getattr(module, name)
    if name in _EXPORTS or name in ("net710", "plots", "widgets", "checks"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__():
    return __all__
