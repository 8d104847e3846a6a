"""Checks of notebook 3: predictions, accuracy, momentum SGD, minibatches and a training loop for
the 7-10 net on MNIST, and the test accuracy a short seeded training run reaches.

The notebook fixes the conventions that make results comparable with the reference:

* momentum: ``v <- momentum * v - lr * g`` then ``W <- W + v``, velocities starting at zero
  (the equivalent convention ``v <- momentum * v + lr * g``, ``W <- W - v`` is accepted too);
* minibatches: one ``order = rng.permutation(m)`` per pass, then consecutive slices of ``order``;
* history: after every epoch, loss and accuracy on the whole training (and validation) set;
* early stopping: epochs counted from 1; an epoch improves only on a strictly lower validation
  loss than every earlier one; training stops after ``patience`` epochs in a row without one;
* softmax regression (the julyedu notes' linear classifier): ``Z = W X + b``, ``Y = softmax(Z)``,
  gradients of the mean cross-entropy ``{"W": (Y - T) X^T / m, "b": sum of the columns of
  (Y - T) / m}`` with ``b`` of shape ``(10, 1)``.

``accuracy`` is checked with the course's ``predict`` standing in for the student's on its inputs,
and the training history's accuracies are not held against ``train_710`` when the student's own
``accuracy`` or ``predict`` failed their tests.
"""
from __future__ import annotations

import numpy as np

from ..checks import AnswerFormatError, Check
from ..checks import answer_pair as _pair
from .model import Exercise

N0, N1, N2 = 784, 7, 10
TRAIN_SAMPLES, VAL_SAMPLES = 500, 100
# The short run's test accuracy must reach THRESHOLD. Measured for the reference over 12 seeds
# of this check's inputs (float32, as in the notebook): 85.3% to 88.2% (mean 86.7%; a 7-unit
# network is sensitive to its start). So a correct solution passes with a margin of over 2
# points, while a broken training loop stays far below. The run is kept small (SHORT_SAMPLES
# digits, in float32 with float32 weights, so no float64 copy of the data is ever made): it
# runs in the student's kernel and again when grading.
THRESHOLD = 0.83
SHORT_SAMPLES = 6_000
MEASURES = ("accuracy", "predict")     # what the training history's accuracies come from
RELIES_ON = ("minibatches", "sgd_momentum_step")   # what the task says train_710 must use
SHORT_RUN = dict(epochs=4, batch_size=32, lr=0.1, momentum=0.9)
# The learning-rate study students run (section 7): rows of final_losses are the momenta,
# columns the learning rates. lr_study is checked with a stand-in training function
# (study_train), so the study's points never depend on the student's train_710.
LRS, MOMENTA = (0.01, 0.1, 1.0), (0.0, 0.9)


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


def _digits(rng, n, dtype=np.float64):
    """``n`` training images and their one-hot targets, stored sample by sample (Fortran order,
    as ``course_lib.training.train`` and ex4's checks store theirs): the same values, but a
    minibatch ``X[:, idx]`` copies whole columns, which made up about half of the training
    checks' time when gathered value by value from every row."""
    from course_lib.mnist import load_mnist, one_hot
    X, y = load_mnist("train", subset=n, seed=int(rng.integers(1 << 30)), dtype=dtype)
    return np.asfortranarray(X), np.asfortranarray(one_hot(y, dtype=dtype))


def _train_args(rng):
    X, T = _digits(rng, TRAIN_SAMPLES + VAL_SAMPLES)
    train, val = slice(0, TRAIN_SAMPLES), slice(TRAIN_SAMPLES, None)
    return (_params(rng), X[:, train], T[:, train], 2, 50, 0.5, 0.9,
            np.random.default_rng(int(rng.integers(1 << 30))), X[:, val], T[:, val])


def _short_run_args(rng):
    X, T = _digits(rng, SHORT_SAMPLES, np.float32)
    run = SHORT_RUN
    params = {name: W.astype(np.float32) for name, W in _params(rng).items()}
    return (params, X, T, run["epochs"], run["batch_size"], run["lr"], run["momentum"],
            np.random.default_rng(int(rng.integers(1 << 30))))


def _call_step(step, args):
    return list(_pair(step(*args), "sgd_momentum_step", "params", "velocity"))


def _call_train(train_710, args):
    result = train_710(args[0], args[1], args[2], epochs=args[3], batch_size=args[4],
                       lr=args[5], momentum=args[6], rng=args[7],
                       X_val=args[8] if len(args) > 8 else None,
                       T_val=args[9] if len(args) > 9 else None)
    params, history = _pair(result, "train_710", "params", "history")
    return {"params": params, "history": history}


def study_train(params, X, T, epochs=1, batch_size=32, lr=0.1, momentum=0.0, rng=None,
                X_val=None, T_val=None, progress=False):
    """A cheap stand-in for ``train_710`` that the study's check hands to ``lr_study``: its
    losses tell apart the settings, start weights, data, epochs, batch size and generator each
    run received (one ``rng.random()`` per epoch), so the study is judged on its own, whatever
    the student's ``train_710`` does. Returns new params and ``{"train_loss": [...]}``."""
    start = float(np.sum(params["W1"]) + 2 * np.sum(params["W2"]))
    data = float(np.sum(X) + 3 * np.sum(T * np.arange(1, T.shape[0] + 1)[:, None]))
    setting = 1.0 + lr + 3.0 * momentum + 0.01 * batch_size + 0.1 * start + 0.001 * data
    losses = [setting / (epoch + 1) + float(rng.random()) for epoch in range(int(epochs))]
    return {key: value + lr for key, value in params.items()}, {"train_loss": losses}


def _study_args(rng):
    m = int(rng.integers(12, 30))
    X = rng.random((N0, m))
    T = np.eye(N2)[:, rng.integers(0, N2, size=m)]
    return (study_train, _params(rng), X, T, int(rng.integers(2, 5)), int(rng.integers(4, 40)),
            int(rng.integers(1 << 20)))


def _call_study(lr_study, args):
    """The study's ``final_losses`` (its ``runs`` must hold one history per setting)."""
    calls = []

    def train(*positional, **keywords):
        calls.append(keywords.get("lr"))
        return args[0](*positional, **keywords)

    result = lr_study(train, *args[1:])
    if len(calls) != len(LRS) * len(MOMENTA):
        raise AnswerFormatError(f"lr_study called the training function it was given {len(calls)} "
                                f"times, not once per setting ({len(LRS) * len(MOMENTA)}): train "
                                "with the `train` argument (the check passes its own), not "
                                "train_710 by name")
    final_losses, runs = _pair(result, "lr_study", "final_losses", "runs")
    if not isinstance(runs, dict) or len(runs) != len(LRS) * len(MOMENTA):
        raise AnswerFormatError(f"runs must be a dict with one history per setting "
                                f"({len(LRS) * len(MOMENTA)} entries), for the plot")
    try:
        return np.asarray(final_losses, dtype=float)
    except (TypeError, ValueError):
        raise AnswerFormatError("final_losses must be a (2, 3) table of numbers: one row per "
                                "momentum, one column per learning rate") from None


def _losses_table(rng):
    return (rng.uniform(0.2, 2.4, size=(len(MOMENTA), len(LRS))),)


def _call_reading(read_lr_study, args):
    best, helps = _pair(read_lr_study(*args), "read_lr_study", "best", "momentum_helps")
    if best is None or helps is None:
        raise AnswerFormatError("return best as a pair (lr, momentum) and momentum_helps as a "
                                "list of learning rates (an empty list if momentum never helped)")
    best = np.asarray(best, dtype=float).reshape(-1)
    if best.shape != (2,):
        raise AnswerFormatError("best must be one pair (lr, momentum), e.g. (0.1, 0.9)")
    return [best, np.sort(np.asarray(list(helps), dtype=float).reshape(-1))]


def _val_losses(rng):
    """A validation curve and a patience of 2 to 4. The curve falls to its best, then holds a
    plateau without improvement (a tie with the best and ups and downs above it) and finally
    falls below the best again: stopping on the plateau is what early stopping does, the later
    minimum is what it must not see. One curve in three has a plateau too short to stop at."""
    patience = int(rng.integers(2, 5))
    falling = np.sort(rng.uniform(0.4, 2.3, size=int(rng.integers(3, 8))))[::-1]
    best = falling[-1]
    short = rng.random() < 1 / 3
    plateau = best + rng.uniform(0.01, 0.2, size=patience - 1 if short else
                                 patience + int(rng.integers(0, 3)))
    plateau[rng.integers(0, min(plateau.size, patience))] = best   # a tie: no improvement
    later = best - np.sort(rng.uniform(0.01, 0.3, size=int(rng.integers(2, 5))))
    return np.round(np.concatenate([falling, plateau, later]), 2).tolist(), patience


def _call_early_stopping(early_stopping, args):
    best, stop = _pair(early_stopping(*args), "early_stopping", "best", "stop")
    try:
        return [int(np.asarray(best).reshape(())), int(np.asarray(stop).reshape(()))]
    except (TypeError, ValueError):
        raise AnswerFormatError("return best and stop as two whole numbers of epochs, counted "
                                "from 1, e.g. (4, 7)") from None


def _regression_args(rng):
    n, m = int(rng.integers(5, 13)), int(rng.integers(7, 21))
    params = {"W": rng.normal(0.0, 0.5, size=(N2, n)), "b": rng.normal(0.0, 0.5, size=(N2, 1))}
    X = rng.random((n, m))
    T = np.eye(N2)[:, rng.integers(0, N2, size=m)]
    return params, X, T


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
    Check("train_710_accuracy", f"{SHORT_RUN['epochs']} epochs on {SHORT_SAMPLES:,} digits must "
          f"reach {THRESHOLD:.0%} test accuracy", _short_run_args, call=_call_train,
          cases={"visible": 1, "hidden": 1}, tolerated=MEASURES, fallbacks=RELIES_ON),
    Check("lr_study", "lr_study with a stand-in training function: one run per setting, each "
          "from the same start with a fresh generator", _study_args, call=_call_study,
          cases={"visible": 1, "hidden": 2},
          arg_names=("train", "params0", "X", "T", "epochs", "batch_size", "seed")),
    Check("read_lr_study", "read_lr_study on tables of final losses", _losses_table,
          call=_call_reading, cases={"visible": 1, "hidden": 4}),
    Check("early_stopping", "early_stopping on validation curves with a patience",
          _val_losses, call=_call_early_stopping, cases={"visible": 1, "hidden": 5},
          arg_names=("val_losses", "patience")),
    Check("softmax_regression_gradients", "the gradients of softmax regression (W and b) on a "
          "small batch", _regression_args, keeps_inputs=True, cases={"visible": 1, "hidden": 2},
          arg_names=("params", "X", "T")),
], sealed=("training", "mlp", "demo", "widgets"))

check = EXERCISE.check
check_hidden = EXERCISE.check_hidden
inputs = EXERCISE.inputs
