"""The general MLP and the training loop: gradients checked in float64 (rtol 1e-6, atol 1e-8),
overfitting a tiny set, regularisers, the momentum convention, minibatches and early stopping."""
import numpy as np
import pytest

from course_lib import net710
from course_lib.gradcheck import check_gradients, rel_error
from course_lib.mlp import MLP
from course_lib.mnist import load_mnist, one_hot
from course_lib.training import (SGD, History, accuracy, exponential_decay, minibatches, predict,
                                 step_decay, train)


@pytest.fixture(scope="module")
def digits():
    X, y = load_mnist("train", subset=300, seed=3)
    return X, y, one_hot(y)


def loss_of(model, X, T, rng_seed=None):
    """The model's training loss as a function of a params dict, for the checker."""
    def f(params):
        saved, model.params = model.params, params
        try:
            rng = None if rng_seed is None else np.random.default_rng(rng_seed)
            return model.loss_and_gradients(X, T, rng=rng)[0]
        finally:
            model.params = saved
    return f


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_mlp_gradients_pass_the_checker(digits, hidden, bias):
    X, _, T = digits
    X, T = X[:, :16], T[:, :16]
    model = MLP([784, 12, 9, 10], hidden=hidden, bias=bias, dtype=np.float64, seed=2,
                wd=0.01, l1=0.001)
    _, grads = model.loss_and_gradients(X, T)
    assert set(grads) == set(model.params)
    check_gradients(loss_of(model, X, T), model.params, grads, sparse=60, seed=0)


def test_dropout_gradients_with_a_fixed_mask(digits):
    X, _, T = digits
    X, T = X[:, :16], T[:, :16]
    model = MLP([784, 20, 10], hidden="relu", dtype=np.float64, dropout=0.5, seed=0)
    _, grads = model.loss_and_gradients(X, T, rng=np.random.default_rng(9))
    check_gradients(loss_of(model, X, T, rng_seed=9), model.params, grads, sparse=60)
    with pytest.raises(ValueError, match="rng"):
        model.loss_and_gradients(X, T)


def test_mlp_reproduces_the_7_10_net(digits):
    X, _, T = digits
    params = net710.init_params(seed=5)
    model = MLP.from_params(params, hidden="sigmoid", wd=0.2)
    loss, grads = model.loss_and_gradients(X, T)
    assert loss == pytest.approx(net710.loss(params, X, T, wd=0.2), rel=1e-12)
    reference = net710.gradients(params, X, T, wd=0.2)
    for name in ("W1", "W2"):
        assert rel_error(grads[name], reference[name]) < 1e-9


def test_float32_stays_float32(digits):
    X, _, T = digits
    model = MLP([784, 32, 10], dtype=np.float32)
    loss, grads = model.loss_and_gradients(X, T)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert model.logits(X).dtype == np.float32


def test_mlp_overfits_twenty_samples(digits):
    X, y, T = digits
    X, y, T = X[:, :20], y[:20], T[:, :20]
    model = MLP([784, 64, 10], hidden="tanh", dtype=np.float64, seed=0)
    history = train(model, X, T, epochs=200, batch_size=20, lr=0.1, momentum=0.9, progress=False)
    assert history.train_loss[-1] < 0.01
    assert accuracy(model.logits(X), y) == 1.0


def test_max_norm_caps_every_unit():
    model = MLP([5, 4, 3], max_norm=0.5, seed=0)
    model.params["W1"] *= 10
    model.apply_constraints()
    assert np.all(np.linalg.norm(model.params["W1"], axis=1) <= 0.5 + 1e-6)


def test_constructor_rejects_nonsense():
    with pytest.raises(ValueError, match="hidden"):
        MLP([4, 2], hidden="softplus")
    with pytest.raises(ValueError, match="dropout"):
        MLP([4, 3, 2], dropout=1.0)
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP([4])
    with pytest.raises(ValueError, match=r"pass X\.T"):
        MLP([784, 10]).logits(np.zeros((5, 784)))


def test_sgd_momentum_convention():
    W = {"W": np.array([1.0])}
    opt = SGD(lr=0.1, momentum=0.5)
    opt.step(W, {"W": np.array([2.0])})      # v = -0.2
    assert W["W"][0] == pytest.approx(0.8)
    opt.step(W, {"W": np.array([2.0])})      # v = 0.5 * -0.2 - 0.2 = -0.3
    assert W["W"][0] == pytest.approx(0.5)
    plain = {"W": np.array([1.0])}
    SGD(lr=0.1).step(plain, {"W": np.array([2.0])})
    assert plain["W"][0] == pytest.approx(0.8)
    with pytest.raises(ValueError):
        SGD(lr=0.1, momentum=1.0)


def test_minibatches_cover_every_column_once_and_keep_pairs():
    X = np.arange(2 * 10).reshape(2, 10).astype(float)
    T = np.eye(10)
    seen = []
    batches = list(minibatches(X, T, 4, rng=0))
    assert [b[0].shape[1] for b in batches] == [4, 4, 2]
    for Xb, Tb in batches:
        cols = np.argmax(Tb, axis=0)
        np.testing.assert_array_equal(Xb, X[:, cols])   # inputs and targets stay paired
        seen.extend(cols)
    assert sorted(seen) == list(range(10))
    first = [np.argmax(b[1], axis=0).tolist() for b in minibatches(X, T, 4, rng=0)]
    again = [np.argmax(b[1], axis=0).tolist() for b in minibatches(X, T, 4, rng=0)]
    assert first == again


def test_predict_and_accuracy_work_on_columns():
    scores = np.array([[0.9, 0.1, 0.3], [0.1, 0.8, 0.7]])
    np.testing.assert_array_equal(predict(scores), [0, 1, 1])
    assert accuracy(scores, [0, 1, 0]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="labels"):
        accuracy(scores, [0, 1])


def test_schedules():
    assert [step_decay(2, 0.5)(e) for e in range(5)] == [1, 1, 0.5, 0.5, 0.25]
    assert exponential_decay(0.9)(2) == pytest.approx(0.81)


def test_training_history_and_early_stopping(digits):
    X, y, T = digits
    model = MLP([784, 32, 10], hidden="relu", seed=1)
    history = train(model, X[:, :200], T[:, :200], epochs=60, batch_size=32, lr=0.5,
                    momentum=0.9, X_val=X[:, 200:], T_val=T[:, 200:], patience=3,
                    schedule=step_decay(5, 0.5), seed=0, progress=False)
    assert isinstance(history, History)
    assert history.stopped_early and len(history) < 60
    assert len(history.val_loss) == len(history.train_loss) == len(history.lr)
    best = history.best_epoch
    assert history.val_loss[best - 1] == min(history.val_loss)
    # the model holds the best epoch's parameters again
    assert model.loss(X[:, 200:], T[:, 200:]) == pytest.approx(min(history.val_loss), rel=1e-5)
    assert history["val_acc"] is history.val_acc and "val_acc" in history.keys()
    with pytest.raises(ValueError, match="validation set"):
        train(model, X, T, epochs=1, patience=2, progress=False)


def test_training_is_reproducible(digits):
    X, _, T = digits
    runs = []
    for _ in range(2):
        model = MLP([784, 16, 10], dropout=0.2, seed=4)
        runs.append(train(model, X, T, epochs=2, seed=11, progress=False).train_loss)
    assert runs[0] == runs[1]
