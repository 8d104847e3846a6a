"""Reference answers, hints and judges of notebook 3 (left out of the grader's sandbox)."""
from __future__ import annotations


import numpy as np

from .. import net710
from ..activations import softmax
from ..checks import Hint, Outcome, compare_values
from ..exercises.ex3_mnist import (LRS, MEASURES, MOMENTA, RELIES_ON, THRESHOLD, TRAIN_SAMPLES,
                                 VAL_SAMPLES)
from ..training import accuracy as reference_accuracy
from ..training import predict as reference_predict
from .trained import judge_reached_accuracy, returned_weights


def sgd_momentum_step(params, grads, velocity, lr, momentum):
    """One momentum step (self-contained: see ``minibatches``)."""
    new_velocity = {k: momentum * velocity[k] - lr * grads[k] for k in params}
    return {k: params[k] + new_velocity[k] for k in params}, new_velocity


def sgd_momentum_step_other_sign(params, grads, velocity, lr, momentum):
    """The equivalent convention v <- momentum v + lr g, W <- W - v (velocities of the other
    sign; from zero velocities it takes exactly the same steps)."""
    new_velocity = {k: momentum * velocity[k] + lr * grads[k] for k in params}
    return {k: params[k] - new_velocity[k] for k in params}, new_velocity


def minibatches(X, T, batch_size, rng):
    """course_lib.training.minibatches as the notebook asks for it (a list); self-contained,
    because the grader also runs it in the student's kernel (``FALLBACKS``)."""
    order = rng.permutation(X.shape[1])
    return [(X[:, order[i:i + batch_size]], T[:, order[i:i + batch_size]])
            for i in range(0, X.shape[1], batch_size)]


def train_710(params, X, T, *, epochs, batch_size, lr, momentum, rng, X_val=None, T_val=None):
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    for _ in range(epochs):
        for Xb, Tb in minibatches(X, T, batch_size, rng):
            grads = net710.gradients(params, Xb, Tb)
            params, velocity = sgd_momentum_step(params, grads, velocity, lr, momentum)
        for split, (Xs, Ts) in (("train", (X, T)), ("val", (X_val, T_val))):
            if Xs is not None:
                history[f"{split}_loss"].append(net710.loss(params, Xs, Ts))
                history[f"{split}_acc"].append(
                    reference_accuracy(net710.forward(params, Xs)["Y2"], np.argmax(Ts, axis=0)))
    return params, history


def lr_study(train, params0, X, T, epochs, batch_size=32, seed=1):
    """One training run from ``params0`` per (momentum, learning rate), each shuffling with its
    own ``np.random.default_rng(seed)``: final_losses (len(MOMENTA), len(LRS)) and the runs."""
    final_losses, runs = np.zeros((len(MOMENTA), len(LRS))), {}
    for i, momentum in enumerate(MOMENTA):
        for j, lr in enumerate(LRS):
            _, history = train(params0, X, T, epochs=epochs, batch_size=batch_size, lr=lr,
                               momentum=momentum, rng=np.random.default_rng(seed))
            runs[f"lr {lr}, momentum {momentum}"] = history
            final_losses[i, j] = history["train_loss"][-1]
    return final_losses, runs


def read_lr_study(final_losses):
    """The (lr, momentum) of the lowest final loss, and the learning rates at which the run with
    momentum ended lower than the one without."""
    final_losses = np.asarray(final_losses)
    i, j = np.unravel_index(np.argmin(final_losses), final_losses.shape)
    helps = [lr for k, lr in enumerate(LRS) if final_losses[1, k] < final_losses[0, k]]
    return (LRS[j], MOMENTA[i]), helps


def early_stopping(val_losses, patience):
    """(best, stop): the epoch (from 1) with the lowest validation loss before the stop, and the
    epoch after which training stops: the first at which ``patience`` epochs in a row have not
    gone strictly below the best so far (``len(val_losses)`` when that never happens)."""
    best, lowest, since = 0, np.inf, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < lowest:
            best, lowest, since = epoch, loss, 0
        else:
            since += 1
            if since == patience:
                return best, epoch
    return best, len(val_losses)


def softmax_regression_gradients(params, X, T):
    """Gradients of the mean cross-entropy of softmax regression, Z = W X + b:
    dE/dW = (Y - T) X^T / m (10, n) and dE/db = the row sums of (Y - T) / m (10, 1)."""
    D = (softmax(params["W"] @ X + params["b"]) - T) / X.shape[1]
    return {"W": D @ X.T, "b": np.sum(D, axis=1, keepdims=True)}


REFERENCES = {
    "predict": reference_predict,
    "accuracy": reference_accuracy,
    "sgd_momentum_step": sgd_momentum_step,
    "minibatches": minibatches,
    "train_710": train_710,
    "train_710_accuracy": train_710,
    "lr_study": lr_study,
    "read_lr_study": read_lr_study,
    "early_stopping": early_stopping,
    "softmax_regression_gradients": softmax_regression_gradients,
}
FALLBACKS = {"minibatches": minibatches, "sgd_momentum_step": sgd_momentum_step}
ALTERNATIVES = {
    "sgd_momentum_step": [(sgd_momentum_step_other_sign,
                           "the velocity convention v <- mu v + lr g, W <- W - v is the notebook's "
                           "with the velocity's sign flipped: accepted")],
}
STAND_IN_CALLS = {"accuracy": {"predict": lambda Y, labels: [(Y,)]}}

HINTS = {
    "predict": [Hint("samples are columns: take the argmax over axis 0 (the classes)",
                     lambda exp, got, args: np.shape(got) == (np.shape(args[0])[0],)),
                Hint("np.argmax without axis= gives one index for the whole array: take the "
                     "argmax over axis 0, one class per column",
                     lambda exp, got, args: np.shape(got) == ())],
    "accuracy": [Hint("accuracy is a fraction between 0 and 1, not a percentage",
                      lambda exp, got, args: np.isclose(got, 100 * exp)),
                 Hint("accuracy is a fraction between 0 and 1 of the m columns; compare the "
                      "argmax over axis 0 with the labels",
                      lambda exp, got, args: not np.isclose(got, exp))],
    "lr_study": [Hint("rows are the momenta and columns the learning rates: final_losses[i, j] "
                      "is the run with MOMENTA[i] and LRS[j], a (2, 3) table",
                      lambda exp, got, args: np.shape(got) == np.shape(exp)[::-1],
                      errors=("IndexError",)),
                 Hint("every run starts from params0 and shuffles with a new "
                      "np.random.default_rng(seed): do not carry weights or one generator from "
                      "run to run", lambda exp, got, args: np.shape(got) == np.shape(exp))],
    "read_lr_study": [Hint("best is (lr, momentum), the learning rate first",
                           lambda exp, got, args: _is_best(exp, args) and
                           np.allclose(got, np.asarray(exp)[::-1])),
                      Hint("best is the setting with the lowest final loss, not the highest",
                           lambda exp, got, args: _is_best(exp, args) and np.allclose(
                               got, read_lr_study(-np.asarray(args[0]))[0])),
                      Hint("momentum_helps lists the learning rates at which row 1 (momentum "
                           "0.9) is below row 0 (no momentum), in the same column",
                           lambda exp, got, args: not _is_best(exp, args))],
    "early_stopping": [
        Hint("epochs are counted from 1: the first entry of val_losses is epoch 1",
             lambda exp, got, args: _epochs(got) is not None and
             _epochs(got)[0] == _epochs(exp)[0] - 1),
        Hint("best is the lowest loss up to the stop: the rule cannot see the epochs after the "
             "stop, so the curve's later minimum does not count",
             lambda exp, got, args: _epochs(got) is not None and _epochs(got)[0] != _epochs(exp)[0]
             and _epochs(got)[0] == int(np.argmin(args[0])) + 1),
        Hint("a tie is no improvement: an epoch improves only with a loss strictly below every "
             "earlier one", lambda exp, got, args: _epochs(got) == early_stopping(
                 [loss - 1e-9 * i for i, loss in enumerate(args[0])], args[1])),
        Hint("stop after exactly `patience` epochs in a row without a new best: count the epochs "
             "since the best one and stop when the count reaches patience",
             lambda exp, got, args: _epochs(got) in [early_stopping(args[0], p) for p in
                                                     (args[1] - 1, args[1] + 1) if p >= 1]),
    ],
    "softmax_regression_gradients": [
        Hint("the gradient is the mean over the m samples: divide (Y - T) by m",
             lambda exp, got, args: np.shape(got) == np.shape(exp) and
             np.allclose(got, np.shape(args[1])[1] * np.asarray(exp))),
        Hint("the gradient points uphill: it is (Y - T) X^T / m, not (T - Y) X^T / m",
             lambda exp, got, args: np.shape(got) == np.shape(exp) and
             np.allclose(got, -np.asarray(exp))),
        Hint("b has one entry per class, shape (10, 1): sum (Y - T) / m over the samples "
             "(axis 1, keepdims=True)",
             lambda exp, got, args: np.shape(exp) == (10, 1) and np.shape(got) != (10, 1)),
        Hint("the softmax turns each column (one sample) into probabilities: take it over "
             "axis 0, the classes", lambda exp, got, args: _matches_any(
                 got, _regression_variant(*args, axis=1))),
        Hint("the scores are Z = W X + b: the bias b (10, 1) is added to every column",
             lambda exp, got, args: _matches_any(got, _regression_variant(*args, bias=False))),
    ],
    "sgd_momentum_step": [
        Hint("the step goes uphill: the velocity must move against the gradient "
             "(v <- mu v - lr g, then W <- W + v)", lambda exp, got, args: _any_weight(
                 got, args, lambda W, g, v, lr, mu: (W + mu * v + lr * g, W - mu * v + lr * g))),
        Hint("the momentum term is missing: the new velocity is mu v - lr g, and W moves by it",
             lambda exp, got, args: _any_weight(got, args, lambda W, g, v, lr, mu: (W - lr * g,))),
    ],
}


def _regression_variant(params, X, T, axis=0, bias=True):
    """softmax_regression_gradients with the softmax over ``axis`` and with or without b."""
    D = (softmax(params["W"] @ X + (params["b"] if bias else 0.0), axis=axis) - T) / X.shape[1]
    return {"W": D @ X.T, "b": np.sum(D, axis=1, keepdims=True)}


def _matches_any(got, grads) -> bool:
    return any(np.shape(got) == np.shape(g) and np.allclose(got, g) for g in grads.values())


def _epochs(pair):
    """An early_stopping result as a pair of ints, or None if it is not one."""
    try:
        values = tuple(int(v) for v in np.atleast_1d(pair))
    except (TypeError, ValueError):
        return None
    return values if len(values) == 2 else None


def _is_best(expected, args) -> bool:
    """Whether the item of read_lr_study's result being compared is ``best`` (the hints see one
    item at a time; ``momentum_helps`` never holds a momentum, so it cannot look like it)."""
    return np.shape(expected) == (2,) and np.allclose(expected, read_lr_study(args[0])[0])


def _any_weight(got, args, candidates) -> bool:
    """Whether ``got`` equals one of the ``candidates(W, g, v, lr, mu)`` of some weight."""
    params, grads, velocity, lr, mu = args
    return any(np.allclose(got, option) for k in params
               for option in candidates(params[k], grads[k], velocity[k], lr, mu))



def _part(items: dict, key: str) -> dict:
    return items.get(key, {"kind": "none"}) if isinstance(items, dict) else {"kind": "none"}


def judge_training(exercise, check, case, record, args, *, hidden, failed) -> Outcome:
    """train_710: the weights and losses against the reference's; the history's accuracies to
    within one sample, and only when the student's own accuracy and predict passed their tests
    (otherwise a mistake there would cost these points a second time)."""
    expected, got = case["expected"], record["value"]
    if got.get("kind") != "dict":
        return exercise.compare(check.name, expected, got, args, hidden=hidden)
    notes = []
    parts = [("params", _part(expected["items"], "params"), _part(got["items"], "params"))]
    exp_history = expected["items"]["history"]["items"]
    got_history = _part(got["items"], "history")
    got_history = got_history.get("items", {}) if got_history.get("kind") == "dict" else {}
    skip_accuracy = sorted(set(MEASURES) & set(failed))
    if skip_accuracy:
        notes.append(f"history accuracies not judged: they come from your "
                     f"{' and '.join(skip_accuracy)}, which failed its own test")
    for key, exp in exp_history.items():
        if key.endswith("_acc") and skip_accuracy:
            continue
        parts.append((f"history[{key!r}]", exp, got_history.get(key, {"kind": "none"})))
    for label, exp, value in parts:
        if label.endswith("_acc']"):
            samples = TRAIN_SAMPLES if "train" in label else VAL_SAMPLES
            outcome = compare_values(check.name, check.tested, exp, value, args, rtol=0.0,
                                     atol=1.01 / samples, hidden=hidden)
        else:
            outcome = compare_values(check.name, check.tested, exp, value, args, rtol=check.rtol,
                                     atol=check.atol, hidden=hidden)
        if not outcome.passed:
            if value.get("kind") == "array" and value.get("shape") == [0] and \
                    exp.get("shape") != [0]:
                outcome.hint = ("this history is empty: after every epoch append the loss and "
                                "the accuracy (of the validation set too, when X_val is given)")
            outcome.detail = f"in {label}: {outcome.detail}".rstrip(": ")
            relied = sorted(set(RELIES_ON) & set(failed))
            if relied:
                notes.append(f"train_710 uses your {' and '.join(relied)}, as the task says, "
                             "and they failed their own tests: fix them first")
            outcome.detail = "; ".join([outcome.detail] + notes)
            return outcome
    return Outcome(check.name, True, check.tested, detail="; ".join(["all entries match"] + notes))


WEIGHT_SHAPES = {"W1": (7, 784), "W2": (10, 7)}


def _test_accuracy(params, chunk: int = 2000) -> float:
    """Test accuracy of the 7-10 net, ``chunk`` images at a time in float32: this runs in the
    student's kernel, which already holds its own copy of the test set."""
    from ..mnist import load_pixels
    X_u8, labels = load_pixels("test")
    params = {name: W.astype(np.float32) for name, W in params.items()}
    hits = sum(int(np.sum(reference_predict(net710.forward(
        params, X_u8[:, i:i + chunk] / np.float32(255))["Y2"]) == labels[i:i + chunk]))
        for i in range(0, labels.size, chunk))
    return hits / labels.size


def judge_test_accuracy(exercise, check, case, record, args, *, hidden, failed) -> Outcome:
    """Pass when the weights the student's training returned classify the MNIST test set with at
    least THRESHOLD accuracy (computed here, from the returned weights)."""
    with np.errstate(all="ignore"):
        reference = _test_accuracy(returned_weights(case["expected"], WEIGHT_SHAPES, "float32"))
    return judge_reached_accuracy(
        exercise, check, case, record, args, hidden=hidden, trainer="train_710",
        shapes=WEIGHT_SHAPES, accuracy=_test_accuracy, threshold=THRESHOLD, reference=reference,
        dtype="float32",
        too_low="training does not reach the accuracy it should: check the momentum update and "
                "that every minibatch uses matching columns of X and T")


JUDGES = {"train_710": judge_training, "train_710_accuracy": judge_test_accuracy}
