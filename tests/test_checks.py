"""The feedback machinery: encoding untrusted results, comparisons in the order a student should
fix things, fair rules (float32, harmless formats, stand-ins for earlier functions, inputs
changed in place, silenced overflow), hints that are right, and hidden feedback that reveals no
expected value."""
import json

import numpy as np
import pytest

from course_lib import activations, losses, net710
from course_lib.checks import (Check, CheckFailed, Hint, Outcome, compare_values, decode,
                               encode)
from course_lib.wire import EncodingError, fingerprint, summarize, validate
from course_lib.exercises import HIDDEN, VISIBLE, VISIBLE_SEED, load, redact
from grader import course


def run_case(assignment, name, obj, variant=VISIBLE, index=0):
    """Run and judge one stored case of a check, as grading does (expected from the build)."""
    exercise = load(assignment)
    stored = json.loads((course.EXPECTED_DIR / f"{assignment}.json").read_text())
    case = stored["checks"][name][variant][index]
    check = exercise[name]
    args = check.args_of(variant, index, case["seed"])
    record = check.run(obj, args, case.get("stand_ins"))
    outcome = exercise.judge(name, case, record, args, hidden=variant == HIDDEN)
    return redact(outcome, index + 1, 3) if variant == HIDDEN else outcome


def test_encode_round_trips_arrays_dicts_ints_and_dtypes():
    value = {"W1": np.arange(6.0).reshape(2, 3), "shape": (7, 784),
             "labels": np.array([3, 1, 4]), "small": np.ones(2, dtype=np.float32)}
    data = json.loads(json.dumps(encode(value)))
    back = decode(data)
    np.testing.assert_array_equal(back["W1"], value["W1"])
    assert back["shape"] == (7, 784)
    assert back["labels"].dtype == np.int64 and data["items"]["small"]["dtype"] == "float32"


def test_encode_never_trusts_the_object():
    class Liar:
        def __eq__(self, other):
            return True

        def __array__(self, *args, **kwargs):
            raise TypeError("no")

    data = encode(Liar())
    assert data["kind"] == "other" and data["type"] == "Liar"
    assert encode(None) == {"kind": "none"}
    assert encode(ValueError("boom"))["type"] == "ValueError"
    lone = encode(ValueError("bad \udcff text"))["message"]
    lone.encode("utf-8")                          # a lone surrogate never survives encoding


def test_validate_accepts_what_encode_makes_and_rejects_the_rest():
    for value in ({"W": np.ones((2, 3))}, [np.ones(2), np.zeros(3)], (7, 784), True, None,
                  ValueError("x"), "text"):
        data = json.loads(json.dumps(encode(value)))
        assert validate(data) == data or value == "text"
    bad = encode(np.ones(4))
    for broken in ({**bad, "shape": [5]}, {**bad, "shape": "4"}, {**bad, "data": 3},
                   {"kind": "weird"}, [1, 2], {"kind": "ints", "value": [1.5]}):
        with pytest.raises(EncodingError):
            validate(broken)
    with pytest.raises(EncodingError, match="values"):
        validate(encode(np.ones(10)), budget=[5])


def test_fingerprint_tells_exact_inputs_apart():
    a = {"W1": np.ones((2, 2)), "W2": np.zeros(3)}
    assert fingerprint([a]) == fingerprint([{"W2": np.zeros(3), "W1": np.ones((2, 2))}])
    assert fingerprint([a]) != fingerprint([{"W1": np.ones((2, 2), np.float32), "W2": np.zeros(3)}])
    assert fingerprint([1.0]) != fingerprint([1])


def test_compare_values_order_and_hints():
    expected = encode(np.ones((3, 2)))
    assert "forget the `return`" in compare_values("f", "t", expected, encode(None)).hint
    assert "transposed" in compare_values("f", "t", expected, encode(np.ones((2, 3)))).hint
    nan = compare_values("f", "t", expected, encode(np.full((3, 2), np.nan)))
    assert not nan.passed and "nan" in nan.detail
    scaled = compare_values("f", "t", expected, encode(4 * np.ones((3, 2))))
    assert "4 times" in scaled.hint
    assert compare_values("f", "t", expected, encode(np.ones((3, 2)) + 1e-12)).passed


def test_factor_hint_only_for_true_multiples_and_never_for_scalars_or_hidden_cases():
    expected = encode(np.array([1.0, 2.0, 3.0]))
    assert "times" not in compare_values("f", "t", expected, encode(np.array([1.0, 2.0, 2.5]))).hint
    assert "times" not in compare_values("f", "t", expected, encode(np.zeros(3))).hint
    assert "times" not in compare_values("f", "t", encode(2.0), encode(3.0)).hint
    hidden = compare_values("f", "t", expected, encode(np.array([2.0, 4.0, 6.0])), hidden=True)
    assert "times" not in hidden.hint


def test_shape_hint_only_when_the_shapes_differ():
    right_shape = compare_values("f", "t", encode(np.ones((7, 5))), encode(np.zeros((7, 5))))
    assert "shape" not in right_shape.hint
    wrong = compare_values("f", "t", encode(np.ones((7, 5))), encode(np.zeros((3, 5))))
    assert "shapes" in wrong.hint


def test_float32_rounding_is_tolerated_but_wrong_formulas_still_fail():
    rng = np.random.default_rng(0)
    Z = rng.normal(0, 3, (5, 6))
    exact = activations.softmax(Z)
    single = activations.softmax(Z.astype(np.float32))
    assert not np.allclose(single, exact, rtol=1e-7, atol=1e-10)     # float32 really differs
    assert compare_values("f", "t", encode(exact), encode(single)).passed
    # computed in float32 and converted back: the values give it away
    assert compare_values("f", "t", encode(exact), encode(single.astype(np.float64))).passed
    wrong = activations.softmax(Z.astype(np.float32) * 1.01)
    assert not compare_values("f", "t", encode(exact), encode(wrong)).passed
    # mixed float32 and float64 work is as right; an error beyond float32 rounding is not
    mixed = single.astype(np.float64) / single.astype(np.float64).sum(axis=0, keepdims=True)
    assert compare_values("f", "t", encode(exact), encode(mixed)).passed
    assert not compare_values("f", "t", encode(exact), encode(exact * (1 + 1e-3))).passed


def test_harmless_formats_are_accepted():
    assert compare_values("f", "t", encode(0.25), encode(np.array([[0.25]]))).passed
    assert compare_values("f", "t", encode(0.25), encode(np.array([0.25]))).passed
    assert compare_values("f", "t", encode(np.array([3, 1, 4])), encode([3, 1, 4])).passed
    assert compare_values("f", "t", encode((7, 784)), encode([7, 784])).passed
    assert compare_values("f", "t", encode((7, 784)), encode(np.array([7, 784]))).passed
    swapped = compare_values("f", "t", encode((7, 784)), encode((784, 7)))
    assert not swapped.passed and "wrong order" in swapped.hint
    history = encode([np.array([0.5]), np.array([0.75])])
    assert compare_values("f", "t", encode(np.array([0.5, 0.75])), history).passed
    row = compare_values("f", "t", encode(np.ones((1, 10))), encode(np.ones((10, 1))),
                         shape_note="a ROW here")
    assert not row.passed and "ROW" in row.detail


def test_strict_floats_hold_even_when_the_answer_silences_numpy():
    check = Check("sig", "sigmoid", lambda rng: (np.array([-1000.0, 0.0, 1000.0]),))
    args = check.case_args(VISIBLE, 1)[0]

    def naive(z):
        return 1 / (1 + np.exp(-z))

    def silenced(z):
        with np.errstate(all="ignore"):
            return 1 / (1 + np.exp(-z))

    @np.errstate(over="ignore")
    def decorated(z):
        return 1 / (1 + np.exp(-z))

    def seterr(z):
        np.seterr(all="ignore")
        return 1 / (1 + np.exp(-z))

    before = np.geterr()
    for answer in (naive, silenced, decorated, seterr):
        record = check.run(answer, args)
        assert record["value"]["type"] == "FloatingPointError", answer.__name__
    assert check.run(activations.sigmoid, args)["value"]["kind"] == "array"
    assert np.geterr() == before                    # the caller's state is left alone


def test_run_gives_the_student_copies_and_notices_inputs_changed_in_place():
    check = Check("f", "t", lambda rng: ({"W1": np.zeros(3)}, 0.5), keeps_inputs=True,
                  arg_names=("grads", "wd"))
    args = check.case_args(VISIBLE, 1)[0]

    def vandal(grads, wd):
        grads["W1"] += wd
        return grads

    record = check.run(vandal, args)
    np.testing.assert_array_equal(args[0]["W1"], np.zeros(3))
    assert record["changed"] == ["grads['W1']"]
    assert check.run(lambda g, wd: {k: v + wd for k, v in g.items()}, args)["changed"] == []


def test_an_answer_that_changes_its_inputs_loses_the_test():
    def in_place(grads, params, wd):
        for name in grads:
            grads[name] += wd * params[name]
        return grads

    outcome = run_case("ex2_backprop", "add_weight_decay", in_place)
    assert not outcome.passed and "in place" in outcome.got and "modify the inputs" in outcome.hint
    assert run_case("ex2_backprop", "add_weight_decay", net710.add_weight_decay).passed


def test_stand_ins_keep_a_mistake_in_one_function_out_of_the_next(monkeypatch):
    wrong_softmax = lambda Z: np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum()  # noqa: E731
    namespace = {"np": np, "softmax": wrong_softmax}
    exec("def cross_entropy_grad(Z, T):\n    return (softmax(Z) - T) / Z.shape[1]", namespace)
    for variant, index in ((VISIBLE, 0), (HIDDEN, 2)):
        outcome = run_case("ex1_softmax", "cross_entropy_grad", namespace["cross_entropy_grad"],
                           variant, index)
        assert outcome.passed
    assert namespace["softmax"] is wrong_softmax        # put back afterwards
    # a wrong gradient still fails, whatever softmax it calls
    exec("def cross_entropy_grad(Z, T):\n    return softmax(Z) - T", namespace)
    assert not run_case("ex1_softmax", "cross_entropy_grad", namespace["cross_entropy_grad"]).passed


def test_stand_in_answers_only_the_exact_inputs():
    namespace = {"np": np, "softmax": lambda Z: Z * 0}
    exec("def cross_entropy_grad(Z, T):\n"
         "    return (softmax(Z.astype(np.float32)) - T) / Z.shape[1]", namespace)
    assert not run_case("ex1_softmax", "cross_entropy_grad", namespace["cross_entropy_grad"]).passed


def test_equivalent_momentum_convention_is_accepted_and_uphill_is_not():
    def other_sign(params, grads, velocity, lr, momentum):
        v = {k: momentum * velocity[k] + lr * grads[k] for k in params}
        return {k: params[k] - v[k] for k in params}, v

    def uphill(params, grads, velocity, lr, momentum):
        v = {k: momentum * velocity[k] + lr * grads[k] for k in params}
        return {k: params[k] + v[k] for k in params}, v

    accepted = run_case("ex3_mnist", "sgd_momentum_step", other_sign)
    assert accepted.passed and "convention" in accepted.detail
    refused = run_case("ex3_mnist", "sgd_momentum_step", uphill)
    assert not refused.passed and "uphill" in refused.hint


def test_hints_recognise_typical_mistakes():
    def jacobian_without_diagonal(z):
        s = activations.softmax(z)
        return -s @ s.T

    assert "diagonal part is missing" in run_case(
        "ex1_softmax", "softmax_jacobian", jacobian_without_diagonal).hint
    single = run_case("ex1_softmax", "softmax_jacobian",
                      lambda z: activations.softmax_jacobian(z.astype(np.float32)))
    assert single.passed
    log_of_softmax = run_case("ex2_backprop", "sample_loss", lambda z2, t: float(
        -np.sum(t * np.log(activations.softmax(z2)))), HIDDEN, 3)
    assert not log_of_softmax.passed and "log_softmax" in log_of_softmax.hint
    percent = run_case("ex3_mnist", "accuracy", lambda Y, labels: 100 * float(np.mean(
        np.argmax(Y, axis=0) == labels)))
    assert "percentage" in percent.hint


def test_custom_hint_wins_over_generic():
    hint = Hint("custom advice", lambda exp, got, args: True)
    outcome = compare_values("f", "t", encode(np.ones(3)), encode(2 * np.ones(3)), hints=[hint])
    assert outcome.hint == "custom advice"


def test_visible_check_prints_and_raises(capsys):
    exercise = load("ex1_softmax")
    exercise.check("softmax", activations.softmax)
    assert "PASSED softmax" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="FAILED softmax"):
        exercise.check("softmax", lambda Z: Z)
    with pytest.raises(KeyError, match="no check called"):
        exercise.check("softmaks", activations.softmax)


def test_hidden_feedback_reveals_no_expected_value(capsys):
    exercise = load("ex1_softmax")
    stored = json.loads((course.EXPECTED_DIR / "ex1_softmax.json").read_text())
    with pytest.raises(CheckFailed) as info:
        exercise.check_hidden("softmax", lambda Z: 0.5 * activations.softmax(Z))
    printed = capsys.readouterr().out + str(info.value)
    assert "hidden case" in printed and "values differ" in printed
    for case in stored["checks"]["softmax"]["hidden"]:
        for v in decode(case["expected"]).ravel():
            for shown in (f"{v:.4g}", f"{v:.6g}"):
                if len(shown) >= 5:          # distinctive numbers, not "0" or "1"
                    assert shown not in printed
    assert str(stored["hidden_seed"]) not in json.dumps(stored["checks"]["softmax"]["hidden"][0]
                                                        ["seed"])


def test_hidden_error_messages_are_not_shown():
    def leaky(Z):
        raise ValueError(f"the input was {Z[0, 0]!r}")

    outcome = run_case("ex1_softmax", "softmax", leaky, HIDDEN, 0)
    assert outcome.got == "an error: ValueError"


def test_redact_keeps_shapes_but_not_values():
    outcome = compare_values("f", "t", encode(np.ones((2, 3))), encode(np.ones((3, 2))))
    assert redact(outcome, 1, 3).expected == "shape (2, 3)"
    value = compare_values("f", "t", encode(np.array([0.123456])), encode(np.array([0.5])))
    hidden = redact(value, 1, 3)
    assert "0.123456" not in str(hidden) and "differ" in hidden.detail
    scalar = redact(compare_values("f", "t", encode(2.953125), encode(17.5)), 1, 3)
    assert "2.953" not in str(scalar) and "17.5" not in str(scalar)
    partly_right = np.array([0.123456, 0.654321])
    near = redact(compare_values("f", "t", encode(partly_right), encode(partly_right * [1, 2])), 1, 3)
    assert "0.1235" not in str(near) and "shape (2,)" in near.got


def test_hidden_cases_say_what_kind_of_result_came_back():
    items = compare_values("f", "t", encode([np.ones(2)] * 4), encode([np.ones(2)] * 3))
    assert redact(items, 1, 3).got == "3 items"
    shape = compare_values("f", "t", encode((7, 784)), encode((784, 7)))
    assert redact(shape, 1, 3).got == "a tuple of 2 integers"
    assert redact(compare_values("f", "t", encode(2.5), encode(3.5)), 1, 3).got == "a number"


def test_summarize_is_short():
    assert "shape (100, 100)" in summarize(encode(np.zeros((100, 100))))
    assert len(summarize(encode(np.zeros((100, 100))))) < 200


def test_every_stored_case_matches_the_references():
    for assignment in course.ASSIGNMENTS:
        exercise = load(assignment)
        for name in exercise.checks:
            case = exercise.case(name, VISIBLE, 0, exercise[name].seeds(VISIBLE, VISIBLE_SEED)[0])
            assert "expected" in case and case["seed"] > 2**64
    assert losses.cross_entropy is load("ex1_softmax").answers.REFERENCES["cross_entropy"]


def _kernel_env(monkeypatch):
    """Kernels started by a test import this checkout's course_lib (not another installed one)."""
    import os
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH", "")])))


def test_a_failed_check_shows_its_message_once_and_run_all_goes_on(tmp_path, monkeypatch):
    """In a real kernel: the failed check prints its message once, on stderr (which nbgrader
    counts as a failed cell), with no traceback through course_lib, and raises nothing, so
    that Run All (which stops at the first error) goes on to the next check."""
    import nbformat
    from nbclient import NotebookClient

    _kernel_env(monkeypatch)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from course_lib.exercises.ex1_softmax import check\n"
        "check('softmax', lambda Z: Z)"),
        nbformat.v4.new_code_cell("from course_lib import activations\n"
                                  "check('softmax', activations.softmax)")]
    NotebookClient(nb, timeout=120, allow_errors=False, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream"] and outputs[0].name == "stderr"
    shown = outputs[0].text
    assert shown.count("FAILED softmax") == 1 and "inputs('softmax')" in shown
    assert "checks.py" not in shown and "Traceback" not in shown
    assert "PASSED softmax" in "".join(o.text for o in nb.cells[1].outputs)


def test_validate_counts_a_failed_check_that_raised_nothing(tmp_path, monkeypatch):
    """nbgrader's Validator (the Validate button) sees the failed check, with its message, and
    passes the cell whose check passed."""
    import nbformat
    from nbgrader.validator import Validator

    _kernel_env(monkeypatch)

    def graded(gid, source):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": gid, "locked": True,
                                     "points": 1, "schema_version": 3, "solution": False}
        return cell

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from course_lib.exercises.ex1_softmax import check\n"
                                          "from course_lib import activations"),
                graded("test_wrong", "check('softmax', lambda Z: Z)"),
                graded("test_right", "check('softmax', activations.softmax)")]
    path = tmp_path / "one_wrong.ipynb"
    nbformat.write(nb, path)
    result = Validator().validate(str(path))
    [failed] = result["failed"]
    assert "check('softmax', lambda Z: Z)" in failed["source"]
    assert failed["raw_error"].count("FAILED softmax") == 1


def test_a_variable_left_none_gets_no_expected_value_and_the_right_hint():
    outcome = run_case("ex2_backprop", "W1_shape", None)
    text = str(outcome)
    assert "784" not in text and "expected: a tuple of two ints (rows, columns)" in text
    assert outcome.hint == "W1_shape is still None: assign your answer to it"
    assert "return" not in text
    swapped = str(run_case("ex2_backprop", "W1_shape", (784, 7)))
    assert "expected: a tuple of two ints" in swapped and "(7, 784)" not in swapped
    hidden = str(run_case("ex2_backprop", "W2_shape", None, HIDDEN))
    assert "(10, 7)" not in hidden and "still None" in hidden
    function = run_case("ex1_softmax", "softmax", lambda Z: None)
    assert "return" in function.hint


def test_small_arrays_print_as_matrices_and_big_ones_summarized():
    shown = summarize(encode(np.arange(20.0).reshape(5, 4) / 7))
    rows = shown.split("\n")
    assert rows[0] == "array of shape (5, 4):" and len(rows) == 6 and "..." not in shown
    assert rows[1].startswith("[[0. ") and rows[-1].endswith("]]")
    assert "0.1429" in shown                    # 4 digits
    eight = summarize(encode(np.random.default_rng(0).normal(0, 100, (8, 8))))
    assert len(eight.split("\n")) == 9 and max(map(len, eight.split("\n"))) <= 90
    big = summarize(encode(np.zeros((7, 784))))
    assert "\n" not in big and "..." in big
    nested = summarize(encode({"b": np.ones((3, 2))}))
    assert "\n" not in nested


def test_messages_fit_in_90_characters_and_do_not_break_numbers():
    failures = [run_case("ex1_softmax", "softmax", lambda Z: Z),
                run_case("ex1_softmax", "sigmoid", lambda z: 1 / (1 + np.exp(-z))),
                run_case("ex2_backprop", "dE_dz2", lambda y, t: y - t),
                run_case("ex2_backprop", "forward", lambda p, X: None)]
    passed = run_case("ex1_softmax", "softmax", activations.softmax)
    for outcome in [*failures, passed]:
        lines = str(outcome).split("\n")
        assert max(map(len, lines)) <= 90, str(outcome)
    long_pass = str(Outcome("softmax", True, "x" * 70, detail="1 case, largest difference "
                            "1.0e-05"))
    assert "1.0e-05" in long_pass.split("\n")[-1]


def test_the_log_of_the_softmax_gets_the_log_sum_exp_hint():
    def naive(Z):
        return np.log(activations.softmax(Z))

    outcome = run_case("ex1_softmax", "log_softmax", naive)
    assert "log-sum-exp" in outcome.hint and "np.where" not in outcome.hint
    with np.errstate(all="ignore"):             # -inf without an error: the same hint
        hint = load("ex1_softmax").compare("log_softmax", encode(np.zeros((2, 2))),
                                           encode(np.array([[0.0, -np.inf], [0.0, 0.0]])), ())
    assert "log-sum-exp" in hint.hint


def test_inputs_gives_copies_of_the_visible_case_and_the_message_says_how():
    exercise = load("ex1_softmax")
    check = exercise["softmax"]
    [Z] = exercise.inputs("softmax")
    [expected] = check.args_of(VISIBLE, 0, check.seeds(VISIBLE, VISIBLE_SEED)[0])
    assert np.array_equal(Z, expected)
    Z[0, 0] = 123.0                              # a copy: the next call gives the case again
    assert np.array_equal(exercise.inputs("softmax")[0], expected)
    with pytest.raises(IndexError):
        exercise.inputs("softmax", 2)
    with pytest.raises(CheckFailed) as info:
        exercise.check("softmax", lambda Z: Z)
    assert "`args = inputs('softmax')`" in str(info.value) and "softmax(*args)" in str(info.value)
    with pytest.raises(CheckFailed) as hidden:
        exercise.check_hidden("softmax", lambda Z: Z)
    assert "inputs(" not in str(hidden.value)
    with pytest.raises(CheckFailed) as variable:
        load("ex2_backprop").check("W1_shape", None)
    assert "inputs(" not in str(variable.value)


def test_stand_ins_recognise_computed_inputs_by_value_and_nothing_else():
    """A stand-in listed by value answers inputs within single-precision rounding of the stored
    ones (a sample's forward pass computed again), and leaves every other input to the
    student's own function."""
    import numpy as np
    from course_lib.checks import standing_in
    from course_lib.wire import encode
    y = np.array([[0.25], [0.75]])
    memos = {"stage": {"near": [[encode([y]), encode(np.array([[1.0, 2.0]]))]]}}
    namespace = {"stage": lambda v: "student's"}
    exec("def answer(v):\n    return stage(v)\n", namespace)
    used = set()
    with standing_in(namespace["answer"], memos, used):
        assert namespace["answer"](y * (1 + 1e-12)).tolist() == [[1.0, 2.0]]
        assert namespace["answer"](y.astype(np.float32)).tolist() == [[1.0, 2.0]]
        assert namespace["answer"](y + 1e-3) == "student's"
        assert namespace["answer"](y.T) == "student's"
        assert namespace["answer"](np.array([[np.nan], [0.75]])) == "student's"
    assert used == {"stage"} and namespace["stage"](y) == "student's"


def test_the_course_versions_sent_to_kernels_match_the_library():
    """The self-contained minibatches and momentum step that the grader runs in a kernel in
    place of a student's failed ones (``Check.fallbacks``) are the library's, and come back
    from their stored sources unchanged."""
    import numpy as np
    from course_lib import training
    from course_lib.answers import ex3_mnist as answers
    from course_lib.checks import course_functions
    from course_lib.exercises import load
    exercise = load("ex3_mnist")
    stored = exercise.case("train_710", "visible", 0, 7)
    assert set(stored["fallbacks"]) == {"minibatches", "sgd_momentum_step"}
    course = course_functions(stored["fallbacks"])
    X, T = np.arange(30.0).reshape(3, 10), np.arange(20.0).reshape(2, 10)
    ours = course["minibatches"](X, T, 4, np.random.default_rng(3))
    library = list(training.minibatches(X, T, 4, np.random.default_rng(3)))
    assert len(ours) == len(library) == 3
    assert all(np.array_equal(a, b) for pair, other in zip(ours, library)
               for a, b in zip(pair, other))
    params, grads = {"W": np.ones((2, 2))}, {"W": np.full((2, 2), 0.5)}
    velocity = {"W": np.full((2, 2), 0.1)}
    assert np.allclose(course["sgd_momentum_step"](params, grads, velocity, 0.1, 0.9)[0]["W"],
                       answers.sgd_momentum_step(params, grads, velocity, 0.1, 0.9)[0]["W"])


def test_a_long_run_compares_only_its_first_calls_with_the_course():
    """``Check.run`` with fallbacks: a helper the answer calls a thousand times is compared with
    the course's version on the first ``SHADOWED_CALLS`` calls only (the course's version here
    refuses more), and agreeing there means no second run; a helper that differs gets the second
    run, with the course's version on every call."""
    import numpy as np
    from course_lib.checks import SHADOWED_CALLS, Check
    from course_lib.wire import decode
    check = Check("loop", "a loop over a helper", lambda rng: (1000,), fallbacks=("step",))

    def answer_with(step):
        namespace = {"np": np}
        exec("def loop(n):\n    x = 0.0\n    for _ in range(n):\n        x = step(x)\n"
             "    return x\n", namespace)
        namespace["step"] = step
        return namespace["loop"]

    counting = ("def step(x, _seen=[]):\n    _seen.append(x)\n"
                f"    assert len(_seen) <= {SHADOWED_CALLS}, 'compared too often'\n"
                "    return x + 1.0\n")
    record = check.run(answer_with(lambda x: x + 1.0), (1000,), fallbacks={"step": counting})
    assert decode(record["value"]) == 1000.0 and "with_course" not in record
    record = check.run(answer_with(lambda x: x + 2.0), (1000,),
                       fallbacks={"step": "def step(x):\n    return x + 1.0\n"})
    assert decode(record["value"]) == 2000.0 and decode(record["with_course"]) == 1000.0
