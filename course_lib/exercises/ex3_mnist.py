"""Checks of notebook 3: predictions, accuracy, momentum SGD, minibatches and a training loop for
the 7-10 net on MNIST, and the test accuracy a short seeded training run reaches.

The notebook fixes the conventions that make results comparable with the reference:

* momentum: ``v <- momentum * v - lr * g`` then ``W <- W + v``, velocities starting at zero
  (the equivalent convention ``v <- momentum * v + lr * g``, ``W <- W - v`` is accepted too);
* minibatches: one ``order = rng.permutation(m)`` per pass, then consecutive slices of ``order``;
* history: after every epoch, loss and accuracy on the whole training (and validation) set.

``accuracy`` is checked with the course's ``predict`` standing in for the student's on its inputs,
and the training history's accuracies are not held against ``train_710`` when the student's own
``accuracy`` or ``predict`` failed their tests.
"""
from __future__ import annotations

import numpy as np

from ..checks import AnswerFormatError, Check
from . import Exercise

N0, N1, N2 = 784, 7, 10
TRAIN_SAMPLES, VAL_SAMPLES = 500, 100
# The short run's test accuracy must reach THRESHOLD. The reference reaches 88.6-89.6% over
# seeds (a 7-unit network is sensitive to its start), so a correct solution passes with a
# margin of over 3 points, while a broken training loop stays far below.
THRESHOLD = 0.85
MEASURES = ("accuracy", "predict")     # what the training history's accuracies come from
RELIES_ON = ("minibatches", "sgd_momentum_step")   # what the task says train_710 must use
SHORT_RUN = dict(epochs=3, batch_size=32, lr=0.1, momentum=0.9)


def _params(rng):
    return {"W1": rng.normal(0.0, 1 / np.sqrt(N0), size=(N1, N0)),
            "W2": rng.normal(0.0, 0.1 / np.sqrt(N1), size=(N2, N1))}


def _scores_args(rng):
    Y = rng.dirichlet(np.ones(N2), size=8).T          # (10, 8) probability columns
    return (Y,)


def _accuracy_args(rng):
    Y = rng.dirichlet(np.ones(N2) * 0.3, size=12).T
    labels = np.argmax(Y, axis=0)
    wrong = rng.choice(12, size=int(rng.integers(2, 6)), replace=False)
    labels[wrong] = (labels[wrong] + rng.integers(1, N2, size=wrong.size)) % N2
    return Y, labels


def _sgd_args(rng):
    params = _params(rng)
    grads = {k: rng.normal(0.0, 0.1, size=v.shape) for k, v in params.items()}
    velocity = {k: rng.normal(0.0, 0.01, size=v.shape) for k, v in params.items()}
    return params, grads, velocity, float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.5, 0.95))


def _minibatch_args(rng):
    m = int(rng.integers(23, 40))
    X = rng.random((6, m))
    T = np.eye(N2)[:, rng.integers(0, N2, size=m)]
    return X, T, int(rng.integers(5, 9)), np.random.default_rng(int(rng.integers(1 << 30)))


def _digits(rng, n):
    from course_lib.mnist import load_mnist, one_hot
    X, y = load_mnist("train", subset=n, seed=int(rng.integers(1 << 30)))
    return X, one_hot(y)


def _train_args(rng):
    X, T = _digits(rng, TRAIN_SAMPLES + VAL_SAMPLES)
    train, val = slice(0, TRAIN_SAMPLES), slice(TRAIN_SAMPLES, None)
    return (_params(rng), X[:, train], T[:, train], 2, 50, 0.5, 0.9,
            np.random.default_rng(int(rng.integers(1 << 30))), X[:, val], T[:, val])


def _short_run_args(rng):
    X, T = _digits(rng, 20_000)
    run = SHORT_RUN
    return (_params(rng), X, T, run["epochs"], run["batch_size"], run["lr"], run["momentum"],
            np.random.default_rng(int(rng.integers(1 << 30))))


def _pair(result, what: str, first: str, second: str):
    """The two parts of a result that must be a pair (a tuple or a list of two)."""
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return result
    kind = type(result).__name__
    size = f" of {len(result)} items" if isinstance(result, (tuple, list)) else ""
    raise AnswerFormatError(f"{what} must return the pair ({first}, {second}), as in `return "
                            f"{first}, {second}`; it returned a {kind}{size}")


def _call_step(step, args):
    return list(_pair(step(*args), "sgd_momentum_step", "params", "velocity"))


def _call_train(train_710, args):
    result = train_710(args[0], args[1], args[2], epochs=args[3], batch_size=args[4],
                       lr=args[5], momentum=args[6], rng=args[7],
                       X_val=args[8] if len(args) > 8 else None,
                       T_val=args[9] if len(args) > 9 else None)
    params, history = _pair(result, "train_710", "params", "history")
    return {"params": params, "history": history}


def _call_minibatches(minibatches, args):
    return [tuple(batch) for batch in minibatches(*args)]


EXERCISE = Exercise("ex3_mnist", [
    Check("predict", "predict(Y) for 8 probability columns of 10 classes", _scores_args),
    Check("accuracy", "accuracy(Y, labels) for 12 samples, some misclassified", _accuracy_args,
          stand_ins=("predict",)),
    Check("sgd_momentum_step", "one momentum SGD step on both weight matrices", _sgd_args,
          call=_call_step, keeps_inputs=True,
          arg_names=("params", "grads", "velocity", "lr", "momentum")),
    Check("minibatches", "minibatches of a small data set with a seeded generator",
          _minibatch_args, call=_call_minibatches),
    Check("train_710", f"2 epochs of training on {TRAIN_SAMPLES} digits: weights and history",
          _train_args, call=_call_train, rtol=1e-6, atol=1e-9, tolerated=MEASURES,
          fallbacks=RELIES_ON),
    Check("train_710_accuracy", f"{SHORT_RUN['epochs']} epochs on 20,000 digits must reach "
          f"{THRESHOLD:.0%} test accuracy", _short_run_args, call=_call_train,
          cases={"visible": 1, "hidden": 1}, tolerated=MEASURES, fallbacks=RELIES_ON),
], sealed=("training", "mlp", "demo", "widgets"))

check = EXERCISE.check
check_hidden = EXERCISE.check_hidden
