import matplotlib

matplotlib.use("Agg")

import base64  # noqa: E402

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.activations import softmax as reference_softmax  # noqa: E402
from course_lib.mnist import load_mnist, one_hot, train_val_split  # noqa: E402
from course_lib.training import History  # noqa: E402
from course_lib.widgets import softmax_explorer, training_panel  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("no_leaked_figures")


def texts(output):
    """The plain-text parts of an Output widget's outputs."""
    found = []
    for out in output.outputs:
        if out["output_type"] == "stream":
            found.append(out["text"])
        else:
            found.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(found)


def pngs(output):
    return [base64.b64decode(out["data"]["image/png"]) for out in output.outputs
            if "image/png" in out.get("data", {})]


def entropy(p):
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


# --------------------------------------------------------------------------------------------
# softmax explorer
# --------------------------------------------------------------------------------------------
def test_explorer_structure_and_initial_draw():
    box = softmax_explorer()
    assert isinstance(box, ipywidgets.Box)
    assert len(box.sliders) == 4
    assert [s.description for s in box.sliders] == ["z1", "z2", "z3", "z4"]
    assert all((s.min, s.max, s.step) == (-10.0, 10.0, 0.1) for s in box.sliders)
    assert (box.temperature.min, box.temperature.max, box.temperature.value) == (0.1, 5.0, 1.0)
    assert box.target.value == 0
    assert [value for _, value in box.target.options] == [0, 1, 2, 3]
    images = pngs(box.output)
    assert len(images) == 1 and images[0].startswith(PNG_MAGIC)
    assert "cross-entropy" in texts(box.output)
    assert "instead" not in texts(box.output)


def test_explorer_state_follows_sliders():
    box = softmax_explorer(n_classes=5, target=2)
    for slider, value in zip(box.sliders, [1.0, -2.0, 0.5, 3.0, 0.0]):
        slider.value = value
    s = box.state()
    z = np.array([1.0, -2.0, 0.5, 3.0, 0.0])
    np.testing.assert_allclose(s["z"], z)
    np.testing.assert_allclose(s["probs"], reference_softmax(z.reshape(-1, 1))[:, 0])
    assert s["probs"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(s["grad"], s["probs"] - np.eye(5)[2])
    assert s["loss"] == pytest.approx(-np.log(s["probs"][2]))
    assert s["source"] == "course_lib" and s["message"] is None

    before = s["probs"][0]
    box.sliders[0].value = 6.0
    after = box.state()
    assert after["probs"][0] > before and after["probs"].sum() == pytest.approx(1.0)
    assert f"{after['loss']:.4f}" in texts(box.output)  # the output was redrawn

    box.target.value = 4
    np.testing.assert_allclose(box.state()["grad"], box.state()["probs"] - np.eye(5)[4])
    assert box.state()["grad"].sum() == pytest.approx(0.0, abs=1e-12)


def test_explorer_temperature_flattens():
    box = softmax_explorer(logits=[3.0, 1.0, 0.0, -2.0])
    entropies = []
    for tau in (0.2, 1.0, 5.0):
        box.temperature.value = tau
        s = box.state()
        assert s["tau"] == tau
        np.testing.assert_allclose(s["probs"],
                                   reference_softmax((s["z"] / tau).reshape(-1, 1))[:, 0])
        entropies.append(entropy(s["probs"]))
    assert entropies[0] < entropies[1] < entropies[2] <= np.log(4)
    # the temperature is tau, never T (the letter of the targets)
    assert "\u03c4 = 5.00" in box._ax_p.get_title() and "T" not in box._ax_p.get_title()
    assert "(z / \u03c4)" in box._ax_g.get_title()
    assert "T" not in box.temperature.description
    box.temperature.value = 1.0
    assert "\u2202E/\u2202z " in box._ax_g.get_title()


def test_explorer_loss_stays_finite_when_the_target_is_hopeless():
    box = softmax_explorer(logits=[10.0, -10.0, 0.0, 0.0], target=1)
    box.temperature.value = 0.1
    s = box.state()
    assert np.isfinite(s["loss"]) and s["loss"] == pytest.approx(200.0, rel=1e-6)


def test_explorer_a_certain_target_costs_zero_not_minus_zero():
    """-log 1 is 0: the line under the charts says "= 0.0000", never "-0.0000"."""
    box = softmax_explorer(logits=[10.0, -10.0, -10.0, -10.0], target=0)
    box.temperature.value = 0.1
    assert box.state()["probs"][0] == 1.0
    line = texts(box.output).splitlines()[-1]
    assert line.endswith("= 0.0000") and "-0.0000" not in line, line
    # so is a student's softmax that rounds to a probability a hair above 1
    box = softmax_explorer(lambda Z: reference_softmax(Z) * (1 + 1e-12),
                           logits=[10.0, -10.0, -10.0, -10.0])
    box.temperature.value = 0.1
    assert box.state()["loss"] <= 0 and "-0.0000" not in texts(box.output)


def test_explorer_label_of_a_bar_of_one_stays_clear_of_the_top():
    """A probability of 1.000 is labelled above its bar, inside the axes, with room to spare."""
    box = softmax_explorer(logits=[10.0, -10.0, -10.0, -10.0], target=0)
    box.temperature.value = 0.1
    assert box._ax_p.get_ylim()[1] >= 1.1
    label = box._text_p[0]
    assert label.get_text() == "1.000" and label.get_va() == "bottom"
    renderer = box._canvas.get_renderer()
    box._fig.draw_without_rendering()
    top = box._ax_p.get_window_extent(renderer).y1
    assert label.get_window_extent(renderer).y1 < top - 2          # pixels to the frame
    assert max(box._ax_p.get_yticks()) <= 1.0


def test_explorer_uses_a_correct_student_softmax():
    calls = []

    def student(Z):
        calls.append(np.shape(Z))
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
        return E / E.sum(axis=0, keepdims=True)

    box = softmax_explorer(student, n_classes=3)
    assert calls and all(shape == (3, 1) for shape in calls)
    s = box.state()
    assert s["source"] == "yours" and s["message"] is None and s["note"] is None
    assert "instead" not in texts(box.output)
    assert "your softmax" in box._ax_p.get_title()


def raises(Z):
    raise ValueError("not implemented yet")


def stub(Z):
    raise NotImplementedError()


def flat_result(Z):
    return reference_softmax(Z).ravel()


def rows_normalised(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def forgot_return(Z):
    np.exp(Z)


@pytest.mark.parametrize("student, expected", [
    (raises, "your softmax raised ValueError: not implemented yet"),
    (stub, "your softmax raised NotImplementedError (the stub is still there: replace "
           "`raise NotImplementedError()` with your code)"),
    (flat_result, "returned shape (4,)"),
    (rows_normalised, "axis=1"),
    (forgot_return, "returned None"),
])
def test_explorer_falls_back_from_a_broken_student_softmax(student, expected):
    box = softmax_explorer(student)
    message = texts(box.output)
    assert expected in message
    assert "showing course_lib's softmax instead" in message
    s = box.state()
    assert s["source"] == "course_lib" and expected in s["message"]
    np.testing.assert_allclose(s["probs"], reference_softmax(s["z"].reshape(-1, 1))[:, 0])
    assert len(pngs(box.output)) == 1  # the charts are still drawn
    box.sliders[2].value = 4.0  # and it keeps working
    assert "instead" in texts(box.output)


def test_explorer_notes_a_wrong_softmax_that_still_sums_to_one():
    box = softmax_explorer(lambda Z: np.full_like(Z, 1.0 / Z.shape[0]))
    s = box.state()
    assert s["source"] == "yours"
    np.testing.assert_allclose(s["probs"], 0.25)
    assert "differs from course_lib's" in texts(box.output)


def test_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError):
        softmax_explorer(n_classes=1)
    with pytest.raises(ValueError):
        softmax_explorer(n_classes=3, target=3)
    with pytest.raises(TypeError):
        softmax_explorer(softmax="softmax")


# --------------------------------------------------------------------------------------------
# training panel
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_mnist():
    X, y = load_mnist("train", subset=300)
    return train_val_split(X, one_hot(y), n_val=100)


def check_history(history, epochs):
    assert isinstance(history, History)
    assert len(history) == epochs
    for key in ("train_loss", "val_loss"):
        assert len(history[key]) == epochs and np.all(np.isfinite(history[key]))
    for key in ("train_acc", "val_acc"):
        assert len(history[key]) == epochs and all(0.0 <= a <= 1.0 for a in history[key])


def test_training_panel_runs_and_compares(tiny_mnist):
    X_tr, T_tr, X_va, T_va = tiny_mnist
    panel = training_panel(X_tr, T_tr, X_va, T_va, epochs=2, seed=0)
    assert isinstance(panel, ipywidgets.Box)
    assert panel.runs == [] and "press Train" in texts(panel.output)

    panel.hidden_size.value = 16
    h1 = panel.run()
    check_history(h1, 2)
    assert panel.last_model.layer_sizes == [784, 16, 10]
    assert panel.last_model.hidden == "relu"

    panel.n_hidden.value = 2
    panel.regulariser.value = "dropout"
    assert panel.strength.value == 0.5 and not panel.strength.disabled
    panel.train_button.click()  # the button does what run() does
    assert panel.train_button.description == "Train" and not panel.train_button.disabled

    assert len(panel.runs) == 2
    (label1, run1), (label2, run2) = panel.runs
    assert run1 is h1
    check_history(run2, 2)
    assert panel.last_model.layer_sizes == [784, 16, 16, 10]
    assert panel.last_model.dropout == 0.5
    assert label1.startswith("#1") and "1\u00d716" in label1 and "no reg" in label1
    assert label2.startswith("#2") and "2\u00d716" in label2 and "dropout 0.5" in label2
    # even 4 minibatch steps on 200 digits learn something
    assert run1.train_loss[-1] < run1.train_loss[0] and max(run1.val_acc) > 0.15
    assert "validation accuracy" in panel.status.value

    for out in (panel.output, panel.comparison):
        images = pngs(out)
        assert len(images) == 1 and images[0].startswith(PNG_MAGIC)

    panel.clear_runs()
    assert panel.runs == [] and panel.comparison.outputs == ()


def test_training_panel_regularisers_reach_the_model(tiny_mnist):
    X_tr, T_tr, X_va, T_va = tiny_mnist
    panel = training_panel(X_tr[:, :60], T_tr[:, :60], X_va[:, :30], T_va[:, :30], epochs=1)
    panel.hidden_size.value = 16
    panel.regulariser.value = "weight decay"
    panel.strength.value = 0.002
    panel.run()
    assert panel.last_model.wd == pytest.approx(0.002)
    panel.regulariser.value = "max-norm"
    assert 0.5 <= panel.strength.min <= panel.strength.value <= panel.strength.max == 5.0
    panel.run()
    assert panel.last_model.max_norm == pytest.approx(2.0)
    norms = np.linalg.norm(panel.last_model.params["W1"], axis=1)
    assert norms.max() <= 2.0 + 1e-4
    panel.regulariser.value = "none"
    assert panel.strength.disabled
    assert [label.split(":")[0] for label, _ in panel.runs] == ["#1", "#2"]


def test_training_panel_flags_a_run_that_learns_nothing(tiny_mnist):
    X_tr, T_tr, X_va, T_va = tiny_mnist
    # inputs scaled up 10x with lr 1 and momentum 0.99: the relu units die at once
    panel = training_panel(10 * X_tr, T_tr, 10 * X_va, T_va, epochs=2)
    panel.hidden_size.value = 16
    panel.learning_rate.value = 1.0
    panel.momentum.value = 0.99
    history = panel.run()  # must not raise (RuntimeWarnings in course_lib are errors here)
    assert len(history) == 2
    assert "guessing" in panel.status.value


def test_training_panel_reports_nan_and_errors(tiny_mnist, monkeypatch):
    import course_lib.training

    X_tr, T_tr, X_va, T_va = tiny_mnist
    panel = training_panel(X_tr, T_tr, X_va, T_va, epochs=2)

    def diverging(model, X, T, *, epochs, **kwargs):
        nan = float("nan")
        return History(train_loss=[2.0, nan], train_acc=[0.2, 0.1], val_loss=[2.1, nan],
                       val_acc=[0.2, 0.1], lr=[1.0, 1.0])

    monkeypatch.setattr(course_lib.training, "train", diverging)
    panel.run()
    assert "diverged" in panel.status.value
    assert len(pngs(panel.output)) == 1

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(course_lib.training, "train", broken)
    with pytest.raises(MemoryError):
        panel.run()
    panel.train_button.click()  # the button shows the error instead of raising
    assert "training failed: MemoryError: out of memory" in texts(panel.output)
    assert not panel.train_button.disabled and panel.train_button.description == "Train"
    assert len(panel.runs) == 1


def test_training_panel_checks_its_data(tiny_mnist):
    X_tr, T_tr, X_va, T_va = tiny_mnist
    with pytest.raises(ValueError, match="X_train.T|samples are rows"):
        training_panel(X_tr.T, T_tr, X_va, T_va)
    with pytest.raises(ValueError, match="one_hot"):
        training_panel(X_tr, np.argmax(T_tr, axis=0), X_va, T_va)
    with pytest.raises(ValueError):
        training_panel(X_tr, T_tr[:, :10], X_va, T_va)


def test_no_pyplot_figures_remain():
    assert plt.get_fignums() == []
