"""course_lib.deep, the reference answers of exercise 4: its gradients pass the gradient checker
for every kind of hidden unit, with and without biases, and for L = 2 without biases it is the
7-10 net of course_lib.net710."""
import numpy as np
import pytest

from course_lib import deep, net710
from course_lib.gradcheck import check_gradients


@pytest.mark.parametrize("hidden", deep.HIDDEN)
@pytest.mark.parametrize("bias", [True, False])
def test_gradients_pass_the_checker_layer_by_layer(hidden, bias):
    rng = np.random.default_rng(7)
    X, T = rng.normal(size=(5, 6)), np.eye(3)[:, rng.integers(0, 3, size=6)]
    params = deep.init_params([5, 4, 4, 3], rng, bias=bias)
    params = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in params.items()}
    report = check_gradients(lambda p: deep.loss(p, X, T, hidden, 0.05), params,
                             deep.gradients(params, X, T, hidden, 0.05))
    assert [row[0] for row in report.rows] == sorted(params, key=list(params).index)
    assert report.tolerance_used <= 1


def test_two_layers_without_biases_is_the_710_net():
    rng = np.random.default_rng(3)
    X, T = rng.random((784, 4)), np.eye(10)[:, [1, 7, 7, 0]]
    params = net710.init_params(seed=0)
    general = deep.gradients(params, X, T, "sigmoid", wd=1e-3)
    staged = net710.gradients(params, X, T, wd=1e-3)
    assert set(general) == {"W1", "W2"}
    for name in general:
        np.testing.assert_allclose(general[name], staged[name], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(deep.loss(params, X, T, "sigmoid", 1e-3),
                               net710.loss(params, X, T, wd=1e-3), rtol=1e-12)


def test_the_reference_reaches_the_accuracy_the_feedback_quotes():
    """The training test's feedback says what the course's solution reaches
    (REFERENCE_ACCURACY); train it on the check's own inputs and see that it does (the test
    accuracy of 10,000 images, so within half a point whatever the start) and passes."""
    from course_lib.answers.ex4_deep import _test_accuracy
    from course_lib.exercises import ex4_deep
    check = ex4_deep.EXERCISE.checks["train_deep_accuracy"]
    params, X, T, rng = check.case_args("visible", 0)[0]
    trained, _ = deep.train(params, X, T, rng=rng, **ex4_deep.TRAINING)
    reached = _test_accuracy(trained)
    assert reached >= ex4_deep.THRESHOLD
    assert abs(reached - ex4_deep.REFERENCE_ACCURACY) < 0.005, reached


@pytest.mark.parametrize("hidden", deep.HIDDEN)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_training_tests_fallbacks_compute_what_course_lib_deep_computes(hidden, dtype):
    """The course's functions train_deep falls back on run from their sources alone (as the
    grader defines them in the student's kernel) and agree with course_lib.deep, exact zeros
    included (ReLU's derivative at 0), keeping float32 as float32."""
    import inspect

    from course_lib.answers.ex4_deep import FALLBACKS
    from course_lib.checks import course_functions
    course = course_functions({name: inspect.getsource(f) for name, f in FALLBACKS.items()})
    rng = np.random.default_rng(11)
    params = {k: v.astype(dtype) for k, v in deep.init_params([6, 5, 4, 3], rng).items()}
    X = rng.normal(size=(6, 7)).astype(dtype)
    X[0, 0] = 0.0
    T = np.eye(3, dtype=dtype)[:, rng.integers(0, 3, size=7)]
    As, Y = course["forward"](params, X, hidden)
    ref_As, ref_Y = deep.forward(params, X, hidden)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for got, ref in zip(As + [Y], ref_As + [ref_Y]):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref, **tol)
    Z = np.array([[-2.0, 0.0, 3.0]], dtype=dtype)
    np.testing.assert_allclose(course["activation"](Z, hidden), deep.activation(Z, hidden), **tol)
    A = deep.activation(Z, hidden)
    np.testing.assert_array_equal(course["activation_grad"](A, hidden),
                                  deep.activation_grad(A, hidden))
    D = course["output_delta"](Y, T)
    np.testing.assert_allclose(D, deep.output_delta(Y, T), **tol)
    for got, ref in zip(course["layer_gradients"](D, As[2]), deep.layer_gradients(D, As[2])):
        np.testing.assert_allclose(got, ref, **tol)
    np.testing.assert_allclose(course["backprop_delta"](D, params["W3"], As[2], hidden),
                               deep.backprop_delta(D, params["W3"], As[2], hidden), **tol)
