"""A general multilayer perceptron with a softmax output, written for clarity and speed.

    Z_l = W_l A_{l-1} (+ b_l)      A_l = g(Z_l) for hidden layers, softmax for the last
    E   = mean cross-entropy + wd/2 ||W||^2 + l1 ||W||_1

Layers are fully connected; samples are columns (``A_0 = X`` is ``(n_0, m)``). Hidden units use
sigmoid, tanh, relu or leaky_relu. Regularisers from the lecture: weight decay (L2), L1, inverted
dropout on the hidden activations (kept units are scaled by 1/keep during training, so nothing
changes at test time), and a max-norm constraint on each unit's incoming weights, applied after
each update by ``apply_constraints``.

``dropout`` is the probability of DROPPING a hidden unit; the lecture's p is the probability of
KEEPING one, so ``dropout=0.2`` is the lecture's p = 0.8. With ``hidden="sigmoid", bias=False`` and sizes ``[784, 7, 10]`` this is
exactly the 7-10 net of ``course_lib.net710``.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_columns, check_same_columns
from .activations import softmax
from .layers import ACTIVATIONS, affine, init_weights, normal_scale
from .losses import cross_entropy, is_weight, weight_decay_penalty

__all__ = ["MLP", "ACTIVATIONS"]     # ACTIVATIONS: layers.ACTIVATIONS, the one table


class MLP:
    """Multilayer perceptron ``layer_sizes[0] -> ... -> layer_sizes[-1]`` with softmax output.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first, e.g. ``[784, 256, 256, 10]``.
    hidden : {"relu", "leaky_relu", "sigmoid", "tanh"}
        Activation of every hidden layer.
    bias : bool
        Whether layers have biases ``b_l`` of shape (n_l, 1).
    dtype : numpy float type
        float32 for speed, float64 for gradient checks.
    seed : int or numpy.random.Generator
        Initial weights: normal with standard deviation ``sqrt(2/fan_in)`` for relu and
        leaky_relu (He) and ``sqrt(1/fan_in)`` otherwise; biases start at zero.
    wd, l1 : float
        Weight decay ``wd/2 sum W^2`` and L1 penalty ``l1 sum |W|`` (weights only, not biases).
    dropout : float
        Probability of DROPPING each hidden unit during training (0 disables dropout). The
        lecture's p is the probability of keeping a unit: ``dropout = 1 - p``.
    max_norm : float, optional
        Largest allowed L2 norm of each unit's incoming weight vector (a row of ``W_l``).

    Attributes
    ----------
    params : dict
        ``"W1"`` (n_1, n_0), ``"b1"`` (n_1, 1), ... ``"WL"``, ``"bL"``.
    """

    def __init__(self, layer_sizes, *, hidden: str = "relu", bias: bool = True,
                 dtype=np.float32, seed=0, wd: float = 0.0, l1: float = 0.0,
                 dropout: float = 0.0, max_norm: float | None = None):
        sizes = [int(n) for n in layer_sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"layer_sizes needs at least an input and an output size, all >= 1; "
                             f"got {list(layer_sizes)}")
        if hidden not in ACTIVATIONS:
            raise ValueError(f"hidden must be one of {sorted(ACTIVATIONS)}, got {hidden!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout is the probability of dropping a unit: 0 <= dropout < 1, "
                             f"got {dropout}")
        self.layer_sizes, self.hidden, self.bias = sizes, hidden, bias
        self.dtype = np.dtype(dtype)
        self.wd, self.l1, self.dropout, self.max_norm = wd, l1, dropout, max_norm
        self._act, self._act_grad = ACTIVATIONS[hidden]
        gain = 2.0 if hidden in ("relu", "leaky_relu") else 1.0
        self.params = init_weights(sizes, np.random.default_rng(seed), normal_scale(gain),
                                   bias=bias, dtype=self.dtype)

    @classmethod
    def from_params(cls, params, *, hidden: str = "sigmoid", **options) -> "MLP":
        """Wrap existing weights, e.g. those of ``net710.init_params()``, in a model."""
        n_layers = sum(1 for name in params if is_weight(name))
        sizes = [params["W1"].shape[1]] + [params[f"W{l}"].shape[0] for l in range(1, n_layers + 1)]
        dtype = np.asarray(params["W1"]).dtype
        model = cls(sizes, hidden=hidden, bias="b1" in params, dtype=dtype, **options)
        model.params = {name: np.array(value, dtype=dtype) for name, value in params.items()}
        return model

    @property
    def n_layers(self) -> int:
        return len(self.layer_sizes) - 1

    def _input(self, X, T=None):
        X = as_float_array("X", X)
        check_columns("X", X, self.layer_sizes[0], "inputs")
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        if T is None:
            return X
        T = as_float_array("T", T)
        check_columns("T", T, self.layer_sizes[-1], "classes")
        check_same_columns("X", X, "T", T)
        return X, T.astype(self.dtype, copy=False)

    def logits(self, X):
        """Output pre-activations ``Z_L`` (n_L, m) in evaluation mode (no dropout)."""
        A = self._input(X)
        for l in range(1, self.n_layers):
            A = self._act(affine(self.params, l, A))
        return affine(self.params, self.n_layers, A)

    def predict_proba(self, X):
        """Class probabilities (n_L, m); every column sums to 1."""
        return softmax(self.logits(X))

    def predict(self, X):
        """Most probable class of each column of X, shape (m,)."""
        return np.argmax(self.logits(X), axis=0)

    def penalty(self) -> float:
        """The regularisation part of the loss: ``wd/2 sum W^2 + l1 sum |W|``."""
        weights = [W for name, W in self.params.items() if is_weight(name)]
        value = weight_decay_penalty(weights, self.wd)
        if self.l1:
            value += self.l1 * sum(float(np.abs(W).sum()) for W in weights)
        return value

    def loss(self, X, T) -> float:
        """Mean cross-entropy on (X, T) plus the penalty, in evaluation mode."""
        return self.loss_and_logits(X, T)[0]

    def loss_and_logits(self, X, T):
        """``(loss(X, T), logits(X))`` from a single forward pass; ``train`` uses it to report
        the loss and the accuracy of an epoch without running the network twice."""
        X, T = self._input(X, T)
        Z = self.logits(X)
        return float(cross_entropy(Z, T)) + self.penalty(), Z

    def loss_and_gradients(self, X, T, rng=None):
        """Loss (training mode: with dropout if enabled) and its gradients by backpropagation.

        Parameters
        ----------
        X : (n_0, m) inputs; T : (n_L, m) one-hot targets
        rng : numpy.random.Generator, needed only when dropout is on

        Returns
        -------
        (float, dict) : the loss and ``{"W1": dE/dW1, "b1": dE/db1, ...}`` shaped like params
        """
        X, T = self._input(X, T)
        m = X.shape[1]
        keep = 1.0 - self.dropout
        if self.dropout and rng is None:
            raise ValueError("dropout is on, so loss_and_gradients needs rng=np.random.default_rng(...)")
        # forward: A_l feeds the next layer (dropped out and rescaled in training); the unmasked
        # activations give the local derivatives g'(Z_l) = g_grad(A_l)
        fed, unmasked, masks = [X], [None], [None]
        A = X
        for l in range(1, self.n_layers):
            H = self._act(affine(self.params, l, A))
            mask = None
            if self.dropout:
                mask = (rng.random(H.shape) < keep).astype(self.dtype) / self.dtype.type(keep)
            A = H if mask is None else H * mask
            fed.append(A)
            unmasked.append(H)
            masks.append(mask)
        # output layer: softmax and cross-entropy together (the log-sum-exp trick of
        # log_softmax, written out so that the exponentials serve both the loss and the gradient)
        Z = affine(self.params, self.n_layers, A)
        Z -= Z.max(axis=0, keepdims=True)           # now every exponent is <= 0: no overflow
        Y = np.exp(Z)
        S = Y.sum(axis=0, keepdims=True)            # softmax denominators, one per column
        Y /= S                                      # the softmax outputs
        log_Y = Z - np.log(S)
        loss = float(-np.vdot(T, log_Y)) / m + self.penalty()
        # backward: D is dE/dZ_l, one column per sample
        D = (Y - T) / self.dtype.type(m)
        grads = {}
        for l in range(self.n_layers, 0, -1):
            W = self.params[f"W{l}"]
            gW = D @ fed[l - 1].T
            if self.wd:
                gW += self.wd * W
            if self.l1:
                gW += self.l1 * np.sign(W)
            grads[f"W{l}"] = gW
            if self.bias:
                grads[f"b{l}"] = D.sum(axis=1, keepdims=True)
            if l > 1:
                dA = W.T @ D
                if masks[l - 1] is not None:
                    dA *= masks[l - 1]
                D = dA * self._act_grad(unmasked[l - 1])
        return loss, grads

    def apply_constraints(self) -> None:
        """Max-norm: rescale every row of every ``W_l`` whose L2 norm exceeds ``max_norm``."""
        if self.max_norm is None:
            return
        for name, W in self.params.items():
            if is_weight(name):
                norms = np.linalg.norm(W, axis=1, keepdims=True)
                W *= np.minimum(1.0, self.max_norm / np.maximum(norms, 1e-12)).astype(W.dtype)
