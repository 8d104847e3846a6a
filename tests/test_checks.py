"""The feedback machinery: encoding untrusted results, comparisons in the order a student should
fix things, hints for typical mistakes, and hidden feedback that reveals no expected value."""
import json

import numpy as np
import pytest

from course_lib import activations
from course_lib.checks import (Check, CheckFailed, Hint, compare_values, decode, encode,
                               summarize)
from course_lib.exercises import load, redact
from grader import settings


def test_encode_round_trips_arrays_dicts_and_ints():
    value = {"W1": np.arange(6.0).reshape(2, 3), "shape": (7, 784)}
    data = json.loads(json.dumps(encode(value)))
    back = decode(data)
    np.testing.assert_array_equal(back["W1"], value["W1"])
    assert back["shape"] == (7, 784)


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


def test_compare_values_order_and_hints():
    expected = encode(np.ones((3, 2)))
    assert "forget the `return`" in compare_values("f", "t", expected, encode(None)).hint
    assert "transposed" in compare_values("f", "t", expected, encode(np.ones((2, 3)))).hint
    nan = compare_values("f", "t", expected, encode(np.full((3, 2), np.nan)))
    assert not nan.passed and "nan" in nan.detail
    scaled = compare_values("f", "t", expected, encode(4 * np.ones((3, 2))))
    assert "4 times" in scaled.hint
    assert compare_values("f", "t", expected, encode(np.ones((3, 2)) + 1e-12)).passed


def test_custom_hint_wins_over_generic():
    hint = Hint("custom advice", lambda exp, got, args: True)
    outcome = compare_values("f", "t", encode(np.ones(3)), encode(2 * np.ones(3)), hints=[hint])
    assert outcome.hint == "custom advice"


def test_strict_floats_turn_overflow_warnings_into_failures():
    check = Check("sig", "sigmoid", lambda rng: (np.array([-1000.0, 0.0, 1000.0]),),
                  "course_lib.activations:sigmoid")
    args = check.case_args("visible", 1)[0]
    naive = check.run(lambda z: 1 / (1 + np.exp(-z)), args)
    assert naive["kind"] == "error" and naive["type"] == "FloatingPointError"
    assert check.judge(check.expected(args), check.run(activations.sigmoid, args), args).passed


def test_run_gives_the_student_copies_of_the_inputs():
    check = Check("f", "t", lambda rng: (np.zeros(3),), "course_lib.activations:relu")
    args = check.case_args("visible", 1)[0]

    def vandal(z):
        z[:] = 99
        return z

    check.run(vandal, args)
    np.testing.assert_array_equal(args[0], np.zeros(3))


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
    stored = json.loads((settings.EXPECTED_DIR / "ex1_softmax.json").read_text())
    with pytest.raises(CheckFailed) as info:
        exercise.check_hidden("softmax", lambda Z: 0.5 * activations.softmax(Z))
    printed = capsys.readouterr().out + str(info.value)
    assert "hidden case" in printed and "values differ" in printed
    for expected in stored["checks"]["softmax"]["hidden"]:
        for v in decode(expected).ravel():
            for shown in (f"{v:.4g}", f"{v:.6g}"):
                if len(shown) >= 5:          # distinctive numbers, not "0" or "1"
                    assert shown not in printed


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


def test_summarize_is_short():
    assert "shape (100, 100)" in summarize(encode(np.zeros((100, 100))))
    assert len(summarize(encode(np.zeros((100, 100))))) < 200
