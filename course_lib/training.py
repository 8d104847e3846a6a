"""Minibatch stochastic gradient descent with momentum, learning-rate schedules and early stopping.

Momentum convention (one, used everywhere in the course):

    v <- momentum * v - lr * dE/dW
    W <- W + v

With ``momentum = 0`` this is plain gradient descent ``W <- W - lr * dE/dW``.

A model is any object with ``params`` (dict of arrays), ``loss_and_gradients(X, T, rng)``,
``loss(X, T)`` and ``logits(X)``, and optionally ``apply_constraints()`` and
``loss_and_logits(X, T)``; ``course_lib.mlp.MLP`` is one.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from ._validate import check_same_columns

__all__ = ["SGD", "constant", "step_decay", "exponential_decay", "minibatches", "predict",
           "accuracy", "History", "train"]


# --- learning-rate schedules: epoch (0-based) -> factor multiplying the base learning rate ------

def constant() -> Callable[[int], float]:
    """The same learning rate in every epoch."""
    return lambda epoch: 1.0


def step_decay(every: int, factor: float = 0.5) -> Callable[[int], float]:
    """Multiply the learning rate by ``factor`` every ``every`` epochs."""
    return lambda epoch: factor ** (epoch // every)


def exponential_decay(rate: float) -> Callable[[int], float]:
    """Multiply the learning rate by ``rate`` after every epoch."""
    return lambda epoch: rate ** epoch


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum.

    ``step(params, grads)`` updates ``params`` in place: ``v <- momentum*v - lr*g`` then
    ``W <- W + v``; velocities start at zero and are kept per parameter name.
    """

    def __init__(self, lr: float, momentum: float = 0.0):
        if lr <= 0:
            raise ValueError(f"the learning rate must be positive, got {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.lr, self.momentum = lr, momentum
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        for name, g in grads.items():
            W = params[name]
            if self.momentum:
                v = self.velocity.get(name)
                if v is None:
                    v = self.velocity[name] = np.zeros_like(W)
                v *= self.momentum
                v -= self.lr * g
                W += v
            else:
                W -= self.lr * g


def minibatches(X, T, batch_size: int, rng=None, shuffle: bool = True
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Split a data set into minibatches of columns, in a random order when ``shuffle``.

    Parameters
    ----------
    X : (n_in, m) inputs; T : (n_out, m) targets; columns are samples and stay paired.
    batch_size : int
        Columns per batch; the last batch holds the remainder.
    rng : int or numpy.random.Generator
        Source of the shuffle (the global NumPy random state is never used).

    Yields
    ------
    (X_batch, T_batch) with shapes (n_in, b) and (n_out, b); every column appears exactly once
    per pass.
    """
    check_same_columns("X", X, "T", T)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    m = X.shape[1]
    order = np.random.default_rng(rng).permutation(m) if shuffle else np.arange(m)
    for start in range(0, m, batch_size):
        idx = order[start:start + batch_size]
        yield X[:, idx], T[:, idx]


def predict(scores) -> np.ndarray:
    """Predicted class of each column of a (n_classes, m) array of scores or probabilities."""
    return np.argmax(np.asarray(scores), axis=0)


def accuracy(scores, labels) -> float:
    """Fraction of columns whose highest score is at the true label.

    ``scores`` is (n_classes, m); ``labels`` holds m integer class labels.
    """
    labels = np.asarray(labels).reshape(-1)
    predicted = predict(scores)
    if predicted.shape != labels.shape:
        raise ValueError(f"scores have {predicted.size} columns (samples) but there are "
                         f"{labels.size} labels")
    return float(np.mean(predicted == labels))


@dataclass
class History:
    """Per-epoch record of a training run; also usable as a mapping (``history["val_acc"]``)."""
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr")

    def __getitem__(self, key):
        if key not in self.KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        return [key for key in self.KEYS if getattr(self, key)]

    def __len__(self) -> int:
        return len(self.train_loss)


def _evaluate(model, X, T) -> tuple[float, float]:
    """Loss and accuracy of ``model`` on (X, T) in evaluation mode. A model that offers
    ``loss_and_logits`` (like ``MLP``) gets both from one forward pass instead of two."""
    if hasattr(model, "loss_and_logits"):
        loss, logits = model.loss_and_logits(X, T)
    else:
        loss, logits = model.loss(X, T), model.logits(X)
    return loss, accuracy(logits, np.argmax(T, axis=0))


def _progress(total: int, enabled: bool, description: str):
    """A tqdm progress bar that renders as a widget in notebooks and as text in a terminal."""
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=description, unit="epoch", leave=True)


def train(model, X, T, *, epochs: int, batch_size: int = 128, lr: float = 0.1,
          momentum: float = 0.9, schedule: Callable[[int], float] | None = None,
          X_val=None, T_val=None, patience: int | None = None, seed=0,
          progress: bool = True, description: str = "training",
          train_eval_size: int = 10_000) -> History:
    """Train ``model`` with minibatch SGD and momentum.

    Parameters
    ----------
    model : see the module docstring (for example ``MLP``); updated in place.
    X, T : (n_in, m) inputs and (n_classes, m) one-hot targets. ``train`` works on a copy stored
        sample by sample in the model's float type (none is made if they already are so), so
        while it runs they may take twice their memory.
    epochs, batch_size, lr, momentum : the usual; see ``SGD`` for the update rule.
    schedule : callable, optional
        ``schedule(epoch) -> factor``; the learning rate of an epoch is ``lr * factor``.
    X_val, T_val : optional validation set, evaluated after every epoch.
    patience : int, optional
        Early stopping: stop when the validation loss has not improved for this many epochs and
        restore the parameters of the best epoch. Needs a validation set.
    seed : int or numpy.random.Generator
        Drives the shuffling and dropout, so a run is reproducible.
    progress : bool
        Show a progress bar (a widget in Jupyter, text in a terminal).
    train_eval_size : int
        Training loss and accuracy are measured after each epoch on a fixed random subset of
        this many training columns (all of them if there are fewer), like the validation set.

    Returns
    -------
    History
        Training and validation loss and accuracy after each epoch, and the learning rate.
    """
    if patience is not None and X_val is None:
        raise ValueError("early stopping (patience=...) needs a validation set: pass X_val and T_val")
    rng = np.random.default_rng(seed)
    optimizer = SGD(lr, momentum)
    schedule = schedule or constant()
    history = History()
    best_loss, best_params, waited = np.inf, None, 0
    bar = _progress(epochs, progress, description)
    constrain = getattr(model, "apply_constraints", None)
    # Speed: store the data sample by sample (Fortran order: same shape and values, but each
    # column is contiguous in memory), in the model's float type if it has one. Gathering a
    # shuffled minibatch X[:, idx] then copies whole columns instead of single values from every
    # row (about 20x faster for MNIST), and no batch needs converting. A one-off copy per call.
    dtype = getattr(model, "dtype", None)
    X, T = np.asfortranarray(X, dtype=dtype), np.asfortranarray(T, dtype=dtype)
    m = X.shape[1]
    probe = np.sort(rng.choice(m, size=min(m, train_eval_size), replace=False))
    X_probe, T_probe = X[:, probe], T[:, probe]
    try:
        for epoch in range(epochs):
            optimizer.lr = lr * schedule(epoch)
            for Xb, Tb in minibatches(X, T, batch_size, rng):
                _, grads = model.loss_and_gradients(Xb, Tb, rng=rng)
                optimizer.step(model.params, grads)
                if constrain is not None:
                    constrain()
            loss, acc = _evaluate(model, X_probe, T_probe)
            history.train_loss.append(loss)
            history.train_acc.append(acc)
            history.lr.append(optimizer.lr)
            postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
            if X_val is not None:
                loss, acc = _evaluate(model, X_val, T_val)
                history.val_loss.append(loss)
                history.val_acc.append(acc)
                postfix["val_acc"] = f"{history.val_acc[-1]:.2%}"
                if history.val_loss[-1] < best_loss:
                    best_loss, waited = history.val_loss[-1], 0
                    best_params = copy.deepcopy(model.params)
                    history.best_epoch = epoch + 1
                else:
                    waited += 1
            if bar is not None:
                bar.set_postfix(postfix)
                bar.update(1)
            if patience is not None and waited >= patience:
                history.stopped_early = True
                break
    finally:
        if bar is not None:
            bar.close()
    if patience is not None and best_params is not None:
        for name, value in best_params.items():
            model.params[name][...] = value
    return history
