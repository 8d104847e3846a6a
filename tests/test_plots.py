import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from course_lib import plots  # noqa: E402
from course_lib._validate import ShapeError  # noqa: E402

PREVIEW_DIR = Path("/tmp/plots_preview")

LABELS_710 = ["input x (784)", "hidden y1: 7 sigmoid units", "output y2: 10 softmax units"]
WEIGHT_LABELS_710 = ["W1 (7 x 784)", "W2 (10 x 7)"]


@pytest.fixture
def figures():
    """Collects the figures a test makes and closes them afterwards."""
    made = []
    yield made
    for fig in made:
        plt.close(fig)


pytestmark = pytest.mark.usefixtures("no_leaked_figures")


def _history(epochs=5, with_val=True):
    h = {"train_loss": list(np.linspace(1.0, 0.2, epochs)),
         "train_acc": list(np.linspace(0.5, 0.95, epochs))}
    if with_val:
        h["val_loss"] = list(np.linspace(1.1, 0.3, epochs))
        h["val_acc"] = list(np.linspace(0.45, 0.9, epochs))
    return h


def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


# ------------------------------------------------------------------------------------------
# learning curves
# ------------------------------------------------------------------------------------------
def test_plot_history_two_panels_with_epochs_from_one_and_percent(figures):
    fig = plots.plot_history(_history(5))
    figures.append(fig)
    assert isinstance(fig, Figure)
    ax_loss, ax_acc = fig.axes
    assert len(ax_loss.lines) == 2 and len(ax_acc.lines) == 2
    assert ax_loss.get_xlabel() == "epoch" and ax_acc.get_xlabel() == "epoch"
    np.testing.assert_array_equal(ax_loss.lines[0].get_xdata(), [1, 2, 3, 4, 5])
    assert "%" in ax_acc.get_ylabel()
    assert ax_acc.lines[0].get_ydata()[-1] == pytest.approx(95.0)
    assert ax_loss.get_legend() is not None and ax_acc.get_legend() is not None
    legend = [t.get_text() for t in ax_loss.get_legend().get_texts()]
    assert legend == ["training", "validation"]


def test_plot_history_missing_or_empty_validation(figures):
    h = _history(4, with_val=False)
    h["val_loss"] = []
    fig = plots.plot_history(h)
    figures.append(fig)
    ax_loss, ax_acc = fig.axes
    assert len(ax_loss.lines) == 1 and len(ax_acc.lines) == 1


def test_plot_history_without_accuracy_says_so(figures):
    fig = plots.plot_history({"train_loss": [1.0, 0.5]})
    figures.append(fig)
    assert "no accuracy recorded" in _texts(fig.axes[1])


def test_plot_history_into_given_axes(figures):
    fig, axes = plt.subplots(1, 2)
    figures.append(fig)
    assert plots.plot_history(_history(3), axes=axes) is fig


def test_plot_history_accepts_object_with_attributes(figures):
    class H:
        train_loss = [1.0, 0.8]
        val_loss = [1.1, 0.9]

    fig = plots.plot_history(H())
    figures.append(fig)
    assert len(fig.axes[0].lines) == 2


def test_plot_history_rejects_unknown_keys():
    with pytest.raises(ValueError, match="none of the keys.*got keys \\['loss'\\]"):
        plots.plot_history({"loss": [1.0]})


def test_compare_histories_one_line_per_run_labelled(figures):
    runs = {"lr 0.1": _history(5), "lr 0.1 + momentum": _history(8), "lr 1": [3.0, 2.0, 1.0]}
    fig = plots.compare_histories(runs, metric="train_loss", log=True)
    figures.append(fig)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == list(runs)
    assert [len(line.get_xdata()) for line in ax.lines] == [5, 8, 3]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(runs)


def test_compare_histories_accuracy_in_percent_and_into_given_ax(figures):
    fig, ax = plt.subplots()
    figures.append(fig)
    assert plots.compare_histories({"a": _history(3)}, metric="val_acc", ax=ax) is fig
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(90.0)


def test_compare_histories_missing_metric_names_the_run():
    with pytest.raises(ValueError, match="run 'b' has no 'val_loss'"):
        plots.compare_histories({"a": _history(3), "b": _history(3, with_val=False)},
                                metric="val_loss")


# ------------------------------------------------------------------------------------------
# weights and digits
# ------------------------------------------------------------------------------------------
def test_show_weights_seven_units_one_row_shared_symmetric_scale(figures):
    rng = np.random.default_rng(0)
    W = rng.normal(size=(7, 784))
    W[3, 0] = 5.0
    fig = plots.show_weights(W, title="W1")
    figures.append(fig)
    image_axes = _image_axes(fig)
    assert len(image_axes) == 7
    assert [ax.get_title() for ax in image_axes] == [f"unit {j}" for j in range(1, 8)]
    # one row: all image axes at the same height
    assert len({round(ax.get_position().y0, 6) for ax in image_axes}) == 1
    for ax, row in zip(image_axes, W):
        (image,) = ax.images
        assert image.get_array().shape == (28, 28)
        np.testing.assert_array_equal(image.get_array(), row.reshape(28, 28))
        assert image.get_clim() == (-5.0, 5.0)
    assert len(fig.axes) == 8  # 7 images + one shared colour bar
    assert fig._suptitle.get_text() == "W1"


def test_show_weights_grid_for_many_units_and_given_fig(figures):
    fig = plt.figure()
    figures.append(fig)
    out = plots.show_weights(np.ones((30, 784)) * np.linspace(-1, 1, 30)[:, None], fig=fig)
    assert out is fig
    image_axes = _image_axes(fig)
    assert len(image_axes) == 30
    assert len({round(ax.get_position().y0, 6) for ax in image_axes}) == 5  # 6 x 5 grid


def test_show_weights_transposed_gives_clear_message():
    with pytest.raises(ShapeError) as info:
        plots.show_weights(np.zeros((784, 7)))
    assert str(info.value) == ("W must have one row per hidden unit and 784 columns; "
                               "got (784, 7): pass W.T")


def test_show_weights_other_image_shape():
    with pytest.raises(ValueError, match="64 columns; got \\(3, 10\\)"):
        plots.show_weights(np.zeros((3, 10)), image_shape=(8, 8))


def test_show_digits_titles_and_red_mistakes(figures):
    rng = np.random.default_rng(1)
    X = rng.random((784, 12))
    labels = np.arange(12) % 10
    predictions = labels.copy()
    predictions[[2, 5]] = [7, 0]
    fig = plots.show_digits(X, labels, predictions, ncols=5)
    figures.append(fig)
    image_axes = _image_axes(fig)
    assert len(image_axes) == 12
    assert image_axes[0].get_title() == "0 -> 0"
    assert image_axes[2].get_title() == "2 -> 7"
    red = [ax.get_title() for ax in image_axes
           if matplotlib.colors.same_color(ax.title.get_color(), "red")]
    assert red == ["2 -> 7", "5 -> 0"]
    np.testing.assert_array_equal(image_axes[3].images[0].get_array(), X[:, 3].reshape(28, 28))


def test_show_digits_one_hot_labels_and_max_images(figures):
    X = np.zeros((784, 80))
    T = np.eye(10)[:, np.arange(80) % 10]  # one-hot columns
    fig = plots.show_digits(X, labels=T)
    figures.append(fig)
    image_axes = _image_axes(fig)
    assert len(image_axes) == 50
    assert image_axes[13].get_title() == "3"


def test_show_digits_rows_instead_of_columns_gives_hint():
    with pytest.raises(ShapeError, match="pass X.T"):
        plots.show_digits(np.zeros((5, 784)))


def test_show_digits_label_count_mismatch():
    with pytest.raises(ShapeError, match="X has 4 samples .* labels has 3"):
        plots.show_digits(np.zeros((784, 4)), labels=[1, 2, 3])


# ------------------------------------------------------------------------------------------
# confusion matrix and mistakes
# ------------------------------------------------------------------------------------------
def test_confusion_matrix_hand_example():
    y_true = [0, 0, 1, 1, 1, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 0]
    C = plots.confusion_matrix(y_true, y_pred, n_classes=3)
    np.testing.assert_array_equal(C, [[1, 1, 0],
                                      [0, 2, 1],
                                      [1, 0, 1]])
    assert C.sum() == 7
    np.testing.assert_array_equal(C.sum(axis=1), [2, 3, 2])  # rows = true classes


def test_confusion_matrix_accepts_one_hot_and_probabilities():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 10, 200)
    probs = rng.dirichlet(np.ones(10), 200).T  # (10, 200), columns sum to 1
    C = plots.confusion_matrix(np.eye(10)[:, y], probs)
    np.testing.assert_array_equal(C, plots.confusion_matrix(y, probs.argmax(axis=0)))
    assert C.sum() == 200


def test_confusion_matrix_bad_inputs():
    with pytest.raises(ShapeError, match="y_true has 3 samples but y_pred has 2"):
        plots.confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="classes 0..2.*n_classes=3"):
        plots.confusion_matrix([0, 5], [0, 1], n_classes=3)
    with pytest.raises(ShapeError, match="pass y_pred.T"):
        plots.confusion_matrix([0, 1, 2, 3], np.zeros((4, 10)))


def test_plot_confusion_matrix_annotates_every_cell(figures):
    y_true = [0, 0, 1, 1, 1, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 0]
    fig = plots.plot_confusion_matrix(y_true, y_pred, n_classes=3)
    figures.append(fig)
    ax = _image_axes(fig)[0]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    texts = _texts(ax)
    assert len(texts) == 9
    assert texts == ["1", "1", "0", "0", "2", "1", "1", "0", "1"]
    assert "4/7" in ax.get_title()


def test_plot_confusion_matrix_normalized_rows(figures):
    fig, ax = plt.subplots()
    figures.append(fig)
    out = plots.plot_confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], n_classes=2, ax=ax,
                                      normalize=True)
    assert out is fig
    assert _texts(ax) == ["67%", "33%", "0%", "100%"]


def _mistake_example():
    # 6 samples, 3 classes; samples 1, 3 and 4 are wrong with confidence 0.6, 0.9, 0.8
    y = np.array([0, 1, 2, 0, 1, 2])
    probs = np.array([[0.70, 0.60, 0.10, 0.05, 0.10, 0.10],
                      [0.20, 0.30, 0.10, 0.90, 0.10, 0.00],
                      [0.10, 0.10, 0.80, 0.05, 0.80, 0.90]])
    X = np.random.default_rng(3).random((784, 6))
    return X, y, probs


def test_misclassified_indices_most_confident_first():
    _, y, probs = _mistake_example()
    np.testing.assert_array_equal(plots.misclassified_indices(y, probs), [3, 4, 1])
    np.testing.assert_array_equal(plots.misclassified_indices(y, probs, n=2), [3, 4])


def test_show_misclassified_picks_most_confident_wrong_ones(figures):
    X, y, probs = _mistake_example()
    fig = plots.show_misclassified(X, y, probs, n=2)
    figures.append(fig)
    image_axes = _image_axes(fig)
    assert [ax.get_title() for ax in image_axes] == ["true 0, predicted 1 (90%)",
                                                     "true 1, predicted 2 (80%)"]
    np.testing.assert_array_equal(image_axes[0].images[0].get_array(), X[:, 3].reshape(28, 28))


def test_show_misclassified_when_everything_is_right(figures):
    X, y, probs = _mistake_example()
    fig = plots.show_misclassified(X, probs.argmax(axis=0), probs)
    figures.append(fig)
    assert _image_axes(fig) == []
    assert "no misclassified samples" in _texts(fig.axes[0])


def test_show_misclassified_shape_mismatch():
    X, y, probs = _mistake_example()
    with pytest.raises(ShapeError, match="X has 6 samples"):
        plots.show_misclassified(X, y, probs.T)


# ------------------------------------------------------------------------------------------
# network drawing
# ------------------------------------------------------------------------------------------
def _circles(ax):
    return [p for p in ax.patches if isinstance(p, Circle)]


def test_draw_network_small_counts_circles_and_lines(figures):
    fig = plots.draw_network([3, 4, 2])
    figures.append(fig)
    (ax,) = fig.axes
    assert len(_circles(ax)) == 9
    assert len(ax.lines) == 3 * 4 + 4 * 2
    assert _texts(ax) == ["input (3)", "hidden (4)", "output (2)"]


def test_draw_network_710_with_ellipsis_and_labels(figures):
    fig = plots.draw_network([784, 7, 10], labels=LABELS_710, weight_labels=WEIGHT_LABELS_710)
    figures.append(fig)
    (ax,) = fig.axes
    assert len(_circles(ax)) == 12 + 7 + 10
    assert len(ax.lines) == 12 * 7 + 7 * 10
    texts = _texts(ax)
    assert "\u22ee" in texts and "784 inputs" in texts
    assert "W1 (7 x 784)" in texts and "W2 (10 x 7)" in texts
    flat = [t.replace("\n", " ") for t in texts]
    for label in LABELS_710:
        assert label in flat


def test_draw_network_into_given_ax(figures):
    fig, ax = plt.subplots()
    figures.append(fig)
    assert plots.draw_network([2, 3, 3, 1], ax=ax, max_units=2) is fig
    assert len(_circles(ax)) == 2 + 2 + 2 + 1
    assert _texts(ax).count("\u22ee") == 2


def test_draw_network_bad_arguments():
    with pytest.raises(ValueError, match="at least two positive integers"):
        plots.draw_network([784])
    with pytest.raises(ValueError, match="at least two positive integers"):
        plots.draw_network([784, 0, 10])
    with pytest.raises(ValueError, match="one caption per layer \\(3\\); got 2"):
        plots.draw_network([784, 7, 10], labels=["a", "b"])
    with pytest.raises(ValueError, match="one label per gap between layers \\(2\\); got 1"):
        plots.draw_network([784, 7, 10], weight_labels=["W1"])


# ------------------------------------------------------------------------------------------
# previews to look at by eye (written to /tmp/plots_preview/)
# ------------------------------------------------------------------------------------------
def test_write_previews(figures):
    PREVIEW_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    y = rng.integers(0, 10, 1000)
    pred = np.where(rng.random(1000) < 0.9, y, rng.integers(0, 10, 1000))
    made = {
        "network_710.png": plots.draw_network([784, 7, 10], labels=LABELS_710,
                                              weight_labels=WEIGHT_LABELS_710),
        "weights_7.png": plots.show_weights(rng.normal(size=(7, 784)),
                                            title="random first-layer weights"),
        "history.png": plots.plot_history(_history(20)),
        "confusion.png": plots.plot_confusion_matrix(y, pred),
    }
    for name, fig in made.items():
        figures.append(fig)
        fig.savefig(PREVIEW_DIR / name, dpi=80)
        assert (PREVIEW_DIR / name).stat().st_size > 1000

