"""Activations and losses: values, stability at +-1000, derivatives against finite differences.

Tolerances: float64 central differences with eps = 1e-6 agree with exact derivatives to about
1e-9 absolute; the checks below use rtol = 1e-6, atol = 1e-8 unless stated.
"""
import warnings

import numpy as np
import pytest

from course_lib import activations as A
from course_lib import losses
from course_lib.gradcheck import check_jacobian, numerical_gradient

EXTREME = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_sigmoid_is_finite_and_exact_at_extremes():
    s = A.sigmoid(EXTREME)
    assert np.all(np.isfinite(s))
    assert s[0, 0] == 0.0 and s[0, -1] == 1.0 and s[0, 2] == 0.5
    # small outputs keep their relative precision (no 1 - 1 cancellation)
    assert A.sigmoid(-40.0) == pytest.approx(np.exp(-40.0) / (1 + np.exp(-40.0)), rel=1e-12)


def test_sigmoid_matches_definition_and_keeps_float32():
    z = np.linspace(-20, 20, 101)
    np.testing.assert_allclose(A.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-12)
    assert A.sigmoid(z.astype(np.float32)).dtype == np.float32


def test_sigmoid_grad_is_derivative():
    z = np.linspace(-6, 6, 25)
    numeric = numerical_gradient(lambda v: A.sigmoid(v).sum(), z)
    np.testing.assert_allclose(A.sigmoid_grad(A.sigmoid(z)), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fn, grad, z", [
    (A.tanh, A.tanh_grad, np.linspace(-3, 3, 13)),
    (A.relu, A.relu_grad, np.array([-2.0, -0.5, 0.3, 1.7])),
])
def test_other_activation_derivatives(fn, grad, z):
    numeric = numerical_gradient(lambda v: fn(v).sum(), z)
    np.testing.assert_allclose(grad(fn(z)), numeric, rtol=1e-6, atol=1e-9)


def test_activations_at_extremes_are_finite():
    for fn in (A.tanh, A.relu, A.softmax, A.log_softmax):
        assert np.all(np.isfinite(fn(EXTREME.T)))


def test_softmax_columns_are_distributions_even_for_huge_logits():
    Z = np.array([[1000.0, -1000.0, 0.0], [999.0, -1000.0, 0.0], [-1000.0, -999.0, 0.0]])
    S = A.softmax(Z)
    np.testing.assert_allclose(S.sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose(S[:, 0], [1 / (1 + np.exp(-1)), 1 / (1 + np.e), 0.0], atol=1e-15)
    np.testing.assert_allclose(S[:, 2], 1 / 3)


def test_softmax_is_over_columns_not_rows():
    Z = np.array([[1.0, 2.0], [3.0, 5.0]])
    S = A.softmax(Z)
    np.testing.assert_allclose(S[:, 0], np.exp([1, 3]) / np.exp([1, 3]).sum())
    np.testing.assert_allclose(S.sum(axis=0), [1.0, 1.0])


def test_log_softmax_is_log_of_softmax_and_finite_where_softmax_underflows():
    Z = np.random.default_rng(0).normal(size=(10, 6)) * 5
    np.testing.assert_allclose(A.log_softmax(Z), np.log(A.softmax(Z)), rtol=1e-12, atol=1e-12)
    assert A.log_softmax(np.array([[0.0], [2000.0]]))[0, 0] == -2000.0


def test_softmax_jacobian_formula_and_finite_differences():
    z = np.array([0.3, -1.2, 2.0, 0.0])
    s = A.softmax(z, axis=0)
    J = A.softmax_jacobian(z)
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=1e-15)
    np.testing.assert_allclose(J, J.T)
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)  # columns of s sum to 1
    check_jacobian(lambda v: A.softmax(v, axis=0), z, J)
    assert A.softmax_jacobian(z.reshape(-1, 1)).shape == (4, 4)


def test_cross_entropy_mean_over_columns():
    Z = np.array([[2.0, 0.0], [0.0, 0.0], [-1.0, 3.0]])
    T = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    expected = -(np.log(A.softmax(Z)[0, 0]) + np.log(A.softmax(Z)[2, 1])) / 2
    assert losses.cross_entropy(Z, T) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_is_finite_for_confident_mistakes():
    Z = np.array([[1000.0], [-1000.0]])
    T = np.array([[0.0], [1.0]])
    assert losses.cross_entropy(Z, T) == pytest.approx(2000.0)


def test_cross_entropy_gradient_is_y_minus_t_over_m():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(5, 3))
    T = np.eye(5)[:, [0, 3, 3]]
    numeric = numerical_gradient(lambda z: losses.cross_entropy(z, T), Z)
    np.testing.assert_allclose((A.softmax(Z) - T) / 3, numeric, rtol=1e-6, atol=1e-9)


def test_cross_entropy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        losses.cross_entropy(np.zeros((10, 4)), np.zeros((4, 10)))


def test_squared_error_has_the_half_and_the_mean():
    Z = np.array([[0.0, 2.0], [-1.0, 0.0]])
    T = np.array([[1.0, 0.0], [0.0, 1.0]])
    Y = 1 / (1 + np.exp(-Z))
    expected = (0.5 * np.sum((Y[:, 0] - T[:, 0]) ** 2) + 0.5 * np.sum((Y[:, 1] - T[:, 1]) ** 2)) / 2
    assert losses.squared_error(Z, T) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        losses.squared_error(np.zeros((10, 4)), np.zeros((4, 10)))


def test_squared_error_delta_keeps_sigma_prime():
    rng = np.random.default_rng(2)
    Z = rng.normal(0.0, 2.0, size=(4, 3))
    T = np.eye(4)[:, [1, 0, 3]]
    numeric = numerical_gradient(lambda z: losses.squared_error(z, T), Z)
    np.testing.assert_allclose(losses.squared_error_grad(Z, T), numeric, rtol=1e-6, atol=1e-9)
    Y = A.sigmoid(Z)
    np.testing.assert_allclose(losses.squared_error_grad(Z, T), (Y - T) * Y * (1 - Y) / 3)


def test_a_saturated_wrong_sigmoid_output_gets_no_squared_error_delta():
    """Target 1, score -1000: the squared error's delta is 0 (sigma' = 0), while softmax with
    cross-entropy (two classes, scores (z, 0)) pushes with its full y - t = -1."""
    z = np.array([[-1000.0]])
    assert losses.squared_error_grad(z, np.ones((1, 1)))[0, 0] == 0.0
    assert losses.squared_error(z, np.ones((1, 1))) == pytest.approx(0.5)
    two_classes = np.vstack([z, np.zeros((1, 1))])
    assert losses.cross_entropy_grad(two_classes, np.array([[1.0], [0.0]]))[0, 0] == -1.0


def test_weight_decay_convention():
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[5.0]]), "W2": np.array([[3.0]])}
    assert losses.weight_decay_penalty(params, 0.1) == pytest.approx(0.05 * (1 + 4 + 9))
    np.testing.assert_allclose(losses.weight_decay_grad(params["W1"], 0.1), [[0.1, 0.2]])
    numeric = numerical_gradient(lambda w: losses.weight_decay_penalty([w], 0.1), params["W1"])
    np.testing.assert_allclose(losses.weight_decay_grad(params["W1"], 0.1), numeric, rtol=1e-6)


def test_leaky_relu_and_its_derivative_from_the_output():
    z = np.array([[-1000.0, -2.0, 0.0, 3.0]])
    y = A.leaky_relu(z)
    np.testing.assert_allclose(y, [[-10.0, -0.02, 0.0, 3.0]])
    np.testing.assert_allclose(A.leaky_relu_grad(y), [[0.01, 0.01, 0.01, 1.0]])
    assert A.relu_grad(A.relu(np.zeros((1, 1))))[0, 0] == 0.0     # ReLU's derivative at 0 is 0
    x = np.array([-1.5, 0.7])
    check_jacobian(lambda v: A.leaky_relu(v), x, np.diagflat(A.leaky_relu_grad(A.leaky_relu(x))))


def test_gradient_report_gives_the_tolerance_the_rule_used():
    from course_lib.gradcheck import check_gradients
    W = np.array([[1e-7, 2.0]])
    report = check_gradients(lambda p: float(np.sum(p["W"] ** 2) / 2), {"W": W}, {"W": W.copy()})
    name, _, _, _, rel, size, used = report.rows[0]
    assert used <= 1 and report.tolerance_used == used
    assert "tol. used" in str(report) and size >= 0
