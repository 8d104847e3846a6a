"""The 7-10 net against the gradient checker, and the checker against known right and wrong
gradients. All in float64; the checker's pass rule is |a - n| <= 1e-8 + 1e-6 |n| (its default).
"""
import numpy as np
import pytest

from course_lib import net710
from course_lib.gradcheck import (GradientCheckError, check_gradients, check_jacobian,
                                  numerical_gradient, rel_error)

M = 8


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(42)
    X = rng.random((net710.N_IN, M))
    T = np.eye(10)[:, rng.integers(0, 10, M)]
    return X, T


@pytest.fixture
def params():
    return net710.init_params(seed=1)


def test_init_is_deterministic_with_documented_shapes():
    a, b = net710.init_params(seed=3), net710.init_params(seed=3)
    assert a["W1"].shape == (7, 784) and a["W2"].shape == (10, 7)
    np.testing.assert_array_equal(a["W1"], b["W1"])
    assert not np.array_equal(a["W1"], net710.init_params(seed=4)["W1"])
    assert net710.init_params(dtype=np.float32)["W2"].dtype == np.float32


def test_forward_shapes_and_probabilities(params, batch):
    X, _ = batch
    cache = net710.forward(params, X)
    assert cache["Z1"].shape == cache["Y1"].shape == (7, M)
    assert cache["Z2"].shape == cache["Y2"].shape == (10, M)
    np.testing.assert_allclose(cache["Y2"].sum(axis=0), 1.0)


def test_initial_loss_is_near_ln10_on_real_digits(params):
    from course_lib.mnist import load_mnist, one_hot
    X, y = load_mnist("test", subset=2000, seed=0)
    assert abs(net710.loss(params, X, one_hot(y)) - np.log(10)) < 0.02


@pytest.mark.parametrize("wd", [0.0, 0.5])
def test_full_gradient_check_of_all_5558_weights(params, batch, wd):
    X, T = batch
    grads = net710.gradients(params, X, T, wd=wd)
    report = check_gradients(net710.LossFunction(X, T, wd), params, grads)
    assert [row[1] for row in report.rows] == [5488, 70]
    assert report.max_rel_error < 1e-3  # tiny entries dominate the relative error; rule passed


def test_fast_perturbed_losses_equal_plain_evaluation(params, batch):
    X, T = batch
    f = net710.LossFunction(X, T, wd=0.3)
    for name in ("W1", "W2"):
        idx = np.array([0, 5, params[name].size - 1])
        fast = f.perturbed_losses(params, name, idx, 1e-3)
        slow = []
        for k in idx:
            p = {key: v.copy() for key, v in params.items()}
            p[name].flat[k] += 1e-3
            slow.append(net710.loss(p, X, T, wd=0.3))
        np.testing.assert_allclose(fast, slow, rtol=1e-12)


def test_stages_compose_to_the_batch_gradient(params, batch):
    X, T = batch
    per_sample = [net710.backprop_sample(params, X[:, [j]], T[:, [j]]) for j in range(M)]
    batch_grads = net710.batch_gradients(params, X, T)
    for name in ("W1", "W2"):
        mean = np.mean([g[name] for g in per_sample], axis=0)
        assert rel_error(mean, batch_grads[name]) < 1e-10


def test_each_stage_has_the_exercise_shape_and_value(params, batch):
    X, T = batch
    x, t = X[:, [0]], T[:, [0]]
    cache = net710.forward(params, x)
    y1, y2 = cache["Y1"], cache["Y2"]
    d2 = net710.dE_dz2(y2, t)
    assert d2.shape == (1, 10)
    np.testing.assert_allclose(d2, (y2 - t).T)
    # stage 2 against finite differences of the one-sample loss in z2
    numeric = numerical_gradient(lambda z: net710.sample_loss(z, t), cache["Z2"])
    np.testing.assert_allclose(d2, numeric.T, rtol=1e-6, atol=1e-9)
    d_y1 = net710.dE_dy1(d2, params["W2"])
    assert d_y1.shape == (1, 7)
    assert net710.dE_dW2(d2, y1).shape == (10, 7)
    np.testing.assert_allclose(net710.dE_dW2(d2, y1), (y2 - t) @ y1.T)
    J = net710.dy1_dz1(y1)
    assert J.shape == (7, 7) and np.count_nonzero(J - np.diag(np.diag(J))) == 0
    d1 = net710.dE_dz1(d_y1, J)
    assert d1.shape == (1, 7)
    assert net710.dE_dW1(d1, x).shape == (7, 784)
    assert net710.sample_loss(cache["Z2"], t) == pytest.approx(net710.loss(params, x, t))


def test_weight_decay_adds_wd_times_w(params, batch):
    X, T = batch
    plain = net710.gradients(params, X, T)
    decayed = net710.gradients(params, X, T, wd=0.1)
    for name in plain:
        np.testing.assert_allclose(decayed[name] - plain[name], 0.1 * params[name], atol=1e-15)


def test_boundary_errors_name_the_fix(params, batch):
    X, T = batch
    with pytest.raises(ValueError, match=r"samples are rows: pass X\.T"):
        net710.forward(params, X.T)
    with pytest.raises(ValueError, match="same batch"):
        net710.loss(params, X, T[:, :3])
    with pytest.raises(KeyError, match="W2"):
        net710.forward({"W1": params["W1"]}, X)


# --- the checker itself ------------------------------------------------------------------

def test_checker_catches_transposed_and_scaled_gradients(params, batch):
    X, T = batch
    f = net710.LossFunction(X, T)
    good = net710.gradients(params, X, T)
    square = {"W": np.random.default_rng(0).normal(size=(3, 3))}
    with pytest.raises(GradientCheckError, match="looks transposed"):
        check_gradients(f, params, {"W1": good["W1"].T, "W2": good["W2"]})
    with pytest.raises(GradientCheckError, match="W2 at index"):
        check_gradients(f, params, {"W1": good["W1"], "W2": good["W2"] * M})  # forgot 1/m
    # a transposed gradient of a square matrix has the right shape and is caught by value
    quad = lambda p: float(np.sum(p["W"] @ np.arange(3.0)) ** 2)  # noqa: E731
    g = {"W": numerical_gradient(lambda w: quad({"W": w}), square["W"])}
    check_gradients(quad, square, g, rtol=1e-5)
    with pytest.raises(GradientCheckError) as info:
        check_gradients(quad, square, {"W": g["W"].T})
    message = str(info.value)
    assert "analytic" in message and "numerical" in message and "index" in message


def test_checker_is_an_assertion_error_and_passes_right_gradients(params, batch):
    X, T = batch
    assert issubclass(GradientCheckError, AssertionError)
    check_gradients(lambda p: net710.loss(p, X, T), params, net710.gradients(params, X, T),
                    sparse=25, seed=np.random.default_rng(7))


def test_checker_never_mutates_and_leaves_global_rng_alone(params, batch):
    X, T = batch
    before = {k: v.copy() for k, v in params.items()}
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    check_gradients(lambda p: net710.loss(p, X, T), params, net710.gradients(params, X, T),
                    sparse=10, seed=1)
    check_gradients(net710.LossFunction(X, T), params, net710.gradients(params, X, T))
    assert np.random.random() == expected_next
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_checker_refuses_float32(batch):
    X, T = batch
    p32 = net710.init_params(dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        check_gradients(lambda p: net710.loss(p, X, T), p32, net710.gradients(p32, X, T))


def test_checker_reports_missing_gradient(params, batch):
    X, T = batch
    with pytest.raises(GradientCheckError, match="no gradient given for W2"):
        check_gradients(net710.LossFunction(X, T), params, {"W1": np.zeros((7, 784))})


def test_sparse_mode_is_reproducible_and_checks_k_entries(params, batch):
    X, T = batch
    f, g = net710.LossFunction(X, T), net710.gradients(params, X, T)
    a = check_gradients(f, params, g, sparse=12, seed=3)
    b = check_gradients(f, params, g, sparse=12, seed=3)
    assert [row[1] for row in a.rows] == [12, 12]
    assert a.rows == b.rows


def test_jacobian_check_catches_a_wrong_jacobian():
    from course_lib.activations import softmax, softmax_jacobian
    z = np.array([1.0, -0.5, 0.25])
    with pytest.raises(GradientCheckError, match="Jacobian"):
        check_jacobian(lambda v: softmax(v, axis=0), z, np.diag(softmax(z, axis=0)))
    check_jacobian(lambda v: softmax(v, axis=0), z, softmax_jacobian(z))


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))
