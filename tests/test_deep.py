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


# --- section 9: dropout and max-norm -----------------------------------------------------------

def test_inverted_dropout_keeps_the_expectation_and_its_backward_is_its_jacobian():
    """About a fraction p is kept, E[out] = A (averaged over many draws), the mask comes from the
    generator alone, and dropout_backward is the derivative of sum(G * out) for a fixed mask."""
    A = np.random.default_rng(0).normal(size=(20, 30))
    p = 0.7
    draws = [deep.dropout_forward(A, p, np.random.default_rng(seed)) for seed in range(400)]
    kept = np.mean([mask.mean() for _, mask in draws])
    assert abs(kept - p) < 0.005
    np.testing.assert_allclose(np.mean([out for out, _ in draws], axis=0), A, atol=0.35)
    np.testing.assert_array_equal(deep.dropout_forward(A, p, np.random.default_rng(5))[1],
                                  draws[5][1])
    out, mask = draws[0]
    np.testing.assert_array_equal(out, A * mask / p)
    G = np.random.default_rng(1).normal(size=A.shape)
    report = check_gradients(lambda q: float(np.sum(G * q["A"] * mask / p)), {"A": A},
                             {"A": deep.dropout_backward(G, mask, p)})
    assert report.tolerance_used <= 1


def test_max_norm_projects_long_rows_onto_the_ball_and_leaves_short_ones():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(6, 4)) * np.array([[0.1], [3.0], [0.2], [5.0], [0.3], [1.0]])
    W[5] /= np.linalg.norm(W[5])                # exactly on the limit
    c = 1.0
    projected = deep.max_norm(W, c)
    norms, new = np.linalg.norm(W, axis=1), np.linalg.norm(projected, axis=1)
    short = norms <= c
    np.testing.assert_array_equal(projected[short], W[short])
    np.testing.assert_allclose(new[~short], c)
    np.testing.assert_allclose(projected[~short] / new[~short, None],
                               W[~short] / norms[~short, None])        # directions kept
    assert np.all(np.isfinite(deep.max_norm(np.zeros((3, 2)), c)))
    W_before = W.copy()
    deep.max_norm(W, c)
    np.testing.assert_array_equal(W, W_before)


def test_mlp_uses_the_same_dropout_and_max_norm():
    """course_lib's MLP, which the notebook's comparison trains, applies the very projection of
    max_norm and draws its dropout mask as dropout_forward does (dropout = 1 - p)."""
    from course_lib.mlp import MLP
    model = MLP([6, 5, 3], hidden="relu", dtype=np.float64, seed=0, max_norm=0.5)
    before = {k: v.copy() for k, v in model.params.items()}
    model.apply_constraints()
    for name in ("W1", "W2"):
        np.testing.assert_allclose(model.params[name], deep.max_norm(before[name], 0.5),
                                   rtol=1e-12)
    p = 0.6
    model = MLP([6, 5, 3], hidden="relu", dtype=np.float64, seed=0, dropout=1 - p)
    X, T = np.random.default_rng(3).random((6, 8)), np.eye(3)[:, [0, 1, 2, 0, 1, 2, 0, 1]]
    _, grads = model.loss_and_gradients(X, T, rng=np.random.default_rng(9))
    A1 = np.maximum(model.params["W1"] @ X + model.params["b1"], 0)
    dropped, mask = deep.dropout_forward(A1, p, np.random.default_rng(9))
    Y = deep.forward({"W1": model.params["W2"], "b1": model.params["b2"]}, dropped, "relu")[1]
    np.testing.assert_allclose(grads["W2"], deep.output_delta(Y, T) @ dropped.T, rtol=1e-10)


def test_the_dropout_judge_passes_every_correct_draw_and_names_each_mistake():
    """The check of dropout_forward never compares draws: other correct ways of drawing pass,
    and each typical mistake fails with its own hint."""
    from course_lib.checks import CheckFailed
    from course_lib.exercises.ex4_deep import EXERCISE

    def other_draw(A, p, rng):
        mask = rng.binomial(1, p, size=A.shape).astype(float)
        return np.where(mask == 1, A / p, 0.0), mask

    def uniform_draw(A, p, rng):
        mask = rng.uniform(size=A.shape) >= 1 - p
        return A * mask / p, mask

    for answer in (deep.dropout_forward, other_draw, uniform_draw):
        for variant, outcomes in (("visible", EXERCISE.visible_outcomes("dropout_forward", answer)),
                                  ("hidden", EXERCISE.hidden_outcomes("dropout_forward", answer))):
            assert outcomes and all(o.passed for o in outcomes), (answer.__name__, variant)

    mistakes = {
        "probability of KEEPING": lambda A, p, rng: (A * (m := rng.random(A.shape) < 1 - p) / p, m),
        "scales the kept units by 1/p": lambda A, p, rng: (A * (m := rng.random(A.shape) < p), m),
        "np.random's global": lambda A, p, rng: (A * (m := np.random.random(A.shape) < p) / p, m),
        "fixed seed": lambda A, p, rng: (
            A * (m := np.random.default_rng(0).random(A.shape) < p) / p, m),
        "the 1/p goes into out": lambda A, p, rng: (A * (m := (rng.random(A.shape) < p) / p), m),
        "one draw for every unit and every sample": lambda A, p, rng: (
            A * (m := rng.random((A.shape[0], 1)) < p) / p, m),
    }
    for phrase, answer in mistakes.items():
        outcomes = EXERCISE.hidden_outcomes("dropout_forward", answer)
        failed = [o for o in outcomes if not o.passed]
        assert failed, phrase
        assert phrase in failed[0].hint + failed[0].got, (phrase, failed[0])
        with pytest.raises(CheckFailed):
            EXERCISE.check("dropout_forward", answer)
