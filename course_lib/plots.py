"""Plots for the course: learning curves, weight images, digits, confusion matrices and drawings
of small fully connected networks.

Conventions
-----------
* Samples are columns, as everywhere in ``course_lib``: a batch of images is ``X`` with shape
  ``(784, m)``, class probabilities are ``(n_classes, m)``, and a layer's weights are
  ``W`` with shape ``(n_out, n_in)``, so the incoming weights of hidden unit ``j`` are the
  ROW ``W[j]``.
* Every function draws with Matplotlib's object-oriented API into the ``ax`` (or ``fig``) you
  give it, or into a new figure if you give none, and RETURNS the :class:`matplotlib.figure.Figure`.
  Nothing here calls ``plt.show()`` or changes global style settings.
* In Jupyter a new figure appears at the end of the cell by itself. If the call is the last
  line of the cell, Jupyter also shows the returned figure, so the plot appears twice: write
  ``fig = plots.show_weights(W)`` or end the line with ``;``.
"""
from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import matplotlib.pyplot as plt        # the rest of matplotlib is imported where it draws

from ._validate import ShapeError, as_float_array, check_columns

__all__ = [
    "plot_history",
    "compare_histories",
    "show_weights",
    "show_digits",
    "confusion_matrix",
    "plot_confusion_matrix",
    "misclassified_indices",
    "show_misclassified",
    "draw_network",
]

_HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _figure_of(ax):
    """The figure an Axes belongs to (the top-level one when it sits in a sub-figure)."""
    fig = ax.figure
    while hasattr(fig, "figure") and fig.figure is not fig and fig.figure is not None:
        fig = fig.figure
    return fig


def _new_axes(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return _figure_of(ax), ax


def _prepare_fig(fig, figsize):
    """A fresh figure, or the given one emptied so that a grid of axes can be drawn into it."""
    if fig is None:
        return plt.figure(figsize=figsize, layout="constrained")
    fig.clear()
    return fig


def _series(history, key):
    """``history[key]`` as a float array, or ``None`` if the key is missing or empty.

    ``history`` may be a mapping or an object with the keys as attributes (such as a
    ``training.History``)."""
    if isinstance(history, Mapping):
        value = history.get(key)
    else:
        value = getattr(history, key, None)
    if value is None:
        return None
    array = np.asarray(value, dtype=float).ravel()
    return array if array.size else None


def _history_keys(history):
    if isinstance(history, Mapping):
        return sorted(map(str, history.keys()))
    return sorted(k for k in vars(history) if not k.startswith("_")) if hasattr(
        history, "__dict__") else []


def _as_percent(values):
    """Accuracies in [0, 1] become percentages; values already above 1 are taken as percent."""
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
        return 100.0 * values
    return values


def _plain_log_formatter(**options):
    """Tick labels like 0.3 instead of 3e-01 on a log axis; matplotlib's LogFormatter (made with
    ``options``) still decides which ticks get a label (minor ticks only when the axis spans
    about a decade or less)."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        def __call__(self, x, pos=None):
            return f"{x:g}" if super().__call__(x, pos) else ""

    return PlainLogFormatter(**options)


def _epoch_locator():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True, steps=[1, 2, 5, 10])


def _epochs(values):
    return np.arange(1, len(values) + 1)


def _as_labels(name, value, n_classes=None):
    """Class labels as a 1-D int array. Accepts integer labels of shape ``(m,)`` (or ``(1, m)``)
    or one-hot targets / probabilities of shape ``(n_classes, m)`` (samples as columns)."""
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        if n_classes is not None and array.shape[0] != n_classes:
            hint = (f"; it looks like samples are rows: pass {name}.T"
                    if array.shape[1] == n_classes else "")
            raise ShapeError(f"{name} must be class labels of shape (m,) or one-hot / "
                             f"probabilities of shape ({n_classes}, m); got shape "
                             f"{array.shape}{hint}")
        return np.argmax(array, axis=0)
    if array.ndim != 1:
        raise ShapeError(f"{name} must be class labels of shape (m,) or one-hot of shape "
                         f"(n_classes, m); got shape {array.shape}")
    if array.size and not np.all(np.equal(np.mod(array, 1), 0)):
        raise ValueError(f"{name} must hold whole-number class labels; got e.g. "
                         f"{array[np.mod(array, 1) != 0][0]!r}")
    return array.astype(np.int64)


def _images(name, X, n_pixels):
    """``X`` as a float ``(n_pixels, m)`` array; a single flat image ``(n_pixels,)`` is one
    column."""
    X = as_float_array(name, X)
    if X.ndim == 1 and X.size == n_pixels:
        X = X.reshape(n_pixels, 1)
    check_columns(name, X, n_pixels, what="pixels")
    return X


def _grid(n, ncols):
    ncols = max(1, min(int(ncols), n))
    return int(math.ceil(n / ncols)), ncols


def _hide_unused(axes, n_used):
    for ax in axes[n_used:]:
        ax.remove()


# --------------------------------------------------------------------------------------------
# learning curves
# --------------------------------------------------------------------------------------------
def plot_history(history, axes=None):
    """Learning curves: loss (left) and accuracy in percent (right) against the epoch.

    Parameters
    ----------
    history : mapping or History
        Per-epoch values under the keys ``"train_loss"``, ``"val_loss"``, ``"train_acc"`` and
        ``"val_acc"``, each a list with one number per epoch. Any of them may be missing or
        empty. Accuracies in [0, 1] are shown as percentages.
    axes : sequence of two matplotlib Axes, optional
        Where to draw the loss and accuracy panels. By default a new 1 x 2 figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    series = {key: _series(history, key) for key in _HISTORY_KEYS}
    if all(v is None for v in series.values()):
        raise ValueError(f"history has none of the keys {list(_HISTORY_KEYS)} (or they are all "
                         f"empty); got keys {_history_keys(history)}")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    else:
        axes = list(axes)
        if len(axes) != 2:
            raise ValueError(f"axes must be two Axes (loss, accuracy); got {len(axes)}")
        fig = _figure_of(axes[0])
    ax_loss, ax_acc = axes

    panels = ((ax_loss, "loss", "cross-entropy loss", False),
              (ax_acc, "acc", "accuracy (%)", True))
    for ax, kind, ylabel, percent in panels:
        drawn = False
        for split, style in (("train", "-"), ("val", "--")):
            values = series[f"{split}_{kind}"]
            if values is None:
                continue
            if percent:
                values = _as_percent(values)
            name = "training" if split == "train" else "validation"
            ax.plot(_epochs(values), values, style, marker="o" if len(values) <= 30 else None,
                    markersize=3, label=name)
            drawn = True
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_title("loss" if kind == "loss" else "accuracy")
        ax.xaxis.set_major_locator(_epoch_locator())
        ax.grid(True, alpha=0.3)
        if drawn:
            ax.legend()
        else:
            ax.text(0.5, 0.5, f"no {'loss' if kind == 'loss' else 'accuracy'} recorded",
                    transform=ax.transAxes, ha="center", va="center", color="0.5")
    return fig


def compare_histories(histories, metric="train_loss", ax=None, log=False):
    """Several training runs' curves of one metric on one axes, labelled by run name.

    Parameters
    ----------
    histories : dict of str -> mapping or History or sequence
        One entry per run, e.g. ``{"lr=0.1": h1, "lr=0.1, momentum 0.9": h2}``. Each value is a
        history (see :func:`plot_history`) or directly the list of per-epoch values.
    metric : str
        Which curve to compare: ``"train_loss"``, ``"val_loss"``, ``"train_acc"`` or
        ``"val_acc"`` (accuracies in [0, 1] are shown in percent).
    ax : matplotlib Axes, optional
    log : bool
        Use a logarithmic y axis (useful for losses that span several orders of magnitude).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError("histories must be a non-empty dict {run name: history}, got "
                        f"{type(histories).__name__}")
    percent = "acc" in metric
    curves = {}  # everything is checked before a figure is made
    for name, history in histories.items():
        if isinstance(history, Mapping) or not isinstance(history, (Sequence, np.ndarray)):
            values = _series(history, metric)
            if values is None:
                raise ValueError(f"run {name!r} has no {metric!r} values; its keys are "
                                 f"{_history_keys(history)}")
        else:
            values = np.asarray(history, dtype=float).ravel()
        curves[name] = _as_percent(values) if percent else values
    fig, ax = _new_axes(ax, (7, 4.2))
    for name, values in curves.items():
        ax.plot(_epochs(values), values, label=str(name))
    if log:
        ax.set_yscale("log")
        # plain numbers (0.3, 0.5, 1) rather than 3 x 10^-1 on the tick labels
        ax.yaxis.set_major_formatter(_plain_log_formatter())
        ax.yaxis.set_minor_formatter(_plain_log_formatter(labelOnlyBase=False,
                                                        minor_thresholds=(1, 0.4)))
    pretty = metric.replace("_", " ").replace("acc", "accuracy")
    ax.set_xlabel("epoch")
    ax.set_ylabel(pretty + (" (%)" if percent else ""))
    ax.set_title(pretty)
    ax.xaxis.set_major_locator(_epoch_locator())
    ax.grid(True, which="both" if log else "major", alpha=0.3)
    ax.legend()
    return fig


# --------------------------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------------------------
def show_weights(W, image_shape=(28, 28), ncols=None, fig=None, title=None):
    """Each hidden unit's incoming weights drawn as an image.

    Row ``j`` of ``W`` (the weights from all pixels into unit ``j``) is reshaped to
    ``image_shape``. Red is positive, blue negative, white zero, on one colour scale shared by
    all units and shown by one colour bar.

    Parameters
    ----------
    W : array of shape (n_hidden, n_pixels)
        First-layer weights, ``n_pixels = prod(image_shape)`` (784 for MNIST).
    image_shape : tuple of int
        Height and width of one image.
    ncols : int, optional
        Images per row. By default all in one row for up to 10 units, otherwise a near-square
        grid of at most 10 columns.
    fig : matplotlib Figure, optional
        Figure to draw into (its contents are replaced).
    title : str, optional
        Title over the whole figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n_pixels = int(np.prod(image_shape))
    W = as_float_array("W", W)
    if W.ndim != 2 or W.shape[1] != n_pixels:
        hint = (": pass W.T" if W.ndim == 2 and W.shape[0] == n_pixels
                else f" (each row is reshaped to {tuple(image_shape)})")
        raise ShapeError(f"W must have one row per hidden unit and {n_pixels} columns; "
                         f"got {W.shape}{hint}")
    n = W.shape[0]
    if n == 0:
        raise ShapeError("W has no rows: there are no hidden units to show")
    if ncols is None:
        ncols = n if n <= 10 else min(10, int(math.ceil(math.sqrt(n))))
    nrows, ncols = _grid(n, ncols)
    vmax = float(np.max(np.abs(W))) or 1.0

    fig = _prepare_fig(fig, (1.5 * ncols + 1.2, 1.6 * nrows + (0.4 if title else 0.1)))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    image = None
    for j in range(n):
        ax = axes[j]
        image = ax.imshow(W[j].reshape(image_shape), cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                          interpolation="nearest")
        ax.set_title(f"unit {j + 1}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    _hide_unused(axes, n)
    fig.colorbar(image, ax=list(axes[:n]), shrink=0.9 if nrows > 1 else 1.0,
                 label="weight", aspect=20 * max(nrows, 1) ** 0.5 if nrows > 1 else 12)
    if title:
        fig.suptitle(title)
    return fig


def show_digits(X, labels=None, predictions=None, ncols=10, fig=None, max_images=50):
    """A grid of grey-scale digit images with their labels (and predictions).

    Parameters
    ----------
    X : array of shape (784, m)
        Images as columns (a single image may be given as shape (784,)).
    labels : array of shape (m,) or (n_classes, m), optional
        True classes as integers, or one-hot columns.
    predictions : array of shape (m,) or (n_classes, m), optional
        Predicted classes, or output probabilities as columns. With labels, each title reads
        ``"label -> prediction"``, in red when they differ.
    ncols : int
        Images per row.
    fig : matplotlib Figure, optional
        Figure to draw into (its contents are replaced).
    max_images : int
        Show at most the first ``max_images`` samples.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = _images("X", X, 784)
    m = X.shape[1]
    y = _as_labels("labels", labels) if labels is not None else None
    p = _as_labels("predictions", predictions) if predictions is not None else None
    for name, arr in (("labels", y), ("predictions", p)):
        if arr is not None and arr.shape[0] != m:
            raise ShapeError(f"X has {m} samples (columns) but {name} has {arr.shape[0]}; "
                             "they must describe the same batch")
    n = min(m, int(max_images))
    if n <= 0:
        raise ValueError("there are no images to show (X has 0 columns or max_images < 1)")
    nrows, ncols = _grid(n, ncols)
    has_titles = y is not None or p is not None
    fig = _prepare_fig(fig, (1.05 * ncols, (1.3 if has_titles else 1.05) * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i in range(n):
        ax = axes[i]
        ax.imshow(X[:, i].reshape(28, 28), cmap="gray_r", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if y is not None and p is not None:
            wrong = y[i] != p[i]
            ax.set_title(f"{y[i]} -> {p[i]}", fontsize=9, color="red" if wrong else "black",
                         fontweight="bold" if wrong else "normal")
        elif y is not None:
            ax.set_title(f"{y[i]}", fontsize=9)
        elif p is not None:
            ax.set_title(f"pred {p[i]}", fontsize=9)
    _hide_unused(axes, n)
    return fig


# --------------------------------------------------------------------------------------------
# confusion matrix and mistakes
# --------------------------------------------------------------------------------------------
def confusion_matrix(y_true, y_pred, n_classes=10):
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true : array of shape (m,) or (n_classes, m)
        True classes as integers, or one-hot columns.
    y_pred : array of shape (m,) or (n_classes, m)
        Predicted classes, or output probabilities as columns (the largest one wins).
    n_classes : int

    Returns
    -------
    numpy.ndarray of shape (n_classes, n_classes), int
        Entry ``[i, j]`` counts samples of true class ``i`` predicted as ``j``; the entries sum
        to m and the diagonal holds the correct predictions.
    """
    t = _as_labels("y_true", y_true, n_classes)
    p = _as_labels("y_pred", y_pred, n_classes)
    if t.shape != p.shape:
        raise ShapeError(f"y_true has {t.shape[0]} samples but y_pred has {p.shape[0]}; "
                         "they must describe the same batch")
    for name, arr in (("y_true", t), ("y_pred", p)):
        if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
            raise ValueError(f"{name} must hold classes 0..{n_classes - 1}; got values from "
                             f"{arr.min()} to {arr.max()} (is n_classes={n_classes} right?)")
    counts = np.bincount(t * n_classes + p, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def plot_confusion_matrix(y_true, y_pred, n_classes=10, ax=None, normalize=False):
    """The confusion matrix as a heat map, each cell annotated.

    Parameters
    ----------
    y_true, y_pred : array of shape (m,) or (n_classes, m)
        See :func:`confusion_matrix`.
    n_classes : int
    ax : matplotlib Axes, optional
    normalize : bool
        If True, colour and annotate each cell with the percentage of its row (of the samples
        of that true class); otherwise with raw counts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = confusion_matrix(y_true, y_pred, n_classes)
    m = int(counts.sum())
    fig, ax = _new_axes(ax, (0.5 * n_classes + 2.2, 0.5 * n_classes + 1.2))
    if normalize:
        rows = counts.sum(axis=1, keepdims=True)
        values = np.divide(100.0 * counts, rows, out=np.zeros(counts.shape), where=rows > 0)
        vmax = 100.0
    else:
        values = counts.astype(float)
        vmax = max(float(values.max()), 1.0)
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax, interpolation="nearest")
    fontsize = 8 if n_classes <= 12 else 6
    for i in range(n_classes):
        for j in range(n_classes):
            if not normalize:
                text = f"{counts[i, j]:d}"
            elif 0 < values[i, j] < 0.5:
                text = "<1%"
            else:
                text = f"{values[i, j]:.0f}%"
            if counts[i, j] == 0:
                color = "0.7"
            else:
                color = "white" if values[i, j] > 0.55 * vmax else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=color)
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    correct = int(np.trace(counts))
    ax.set_title(f"confusion matrix ({correct}/{m} = {100.0 * correct / max(m, 1):.1f}% correct)"
                 if m else "confusion matrix (no samples)", fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.85,
                 label="% of the true class" if normalize else "count")
    return fig


def misclassified_indices(y_true, probs, n=None):
    """Indices of the wrongly classified samples, most confident mistake first.

    Parameters
    ----------
    y_true : array of shape (m,) or (n_classes, m)
        True classes as integers, or one-hot columns.
    probs : array of shape (n_classes, m)
        Output probabilities, one column per sample.
    n : int, optional
        Return at most ``n`` indices.

    Returns
    -------
    numpy.ndarray of shape (k,), int
        Column indices ``i`` with ``argmax(probs[:, i]) != y_true[i]``, sorted by the
        probability given to the (wrong) predicted class, largest first.
    """
    probs = as_float_array("probs", probs, ndim=2)
    n_classes = probs.shape[0]
    t = _as_labels("y_true", y_true, n_classes)
    if t.shape[0] != probs.shape[1]:
        hint = ("; it looks like samples are rows: pass probs.T"
                if probs.shape[0] == t.shape[0] and probs.shape[1] != t.shape[0] else "")
        raise ShapeError(f"probs must have shape (n_classes, m) with one column per sample; "
                         f"got {probs.shape} for {t.shape[0]} labels{hint}")
    pred = np.argmax(probs, axis=0)
    confidence = probs[pred, np.arange(probs.shape[1])]
    wrong = np.flatnonzero(pred != t)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")]
    return order if n is None else order[: int(n)]


def show_misclassified(X, y_true, probs, n=20, fig=None):
    """The ``n`` most confidently misclassified images.

    Each title reads e.g. ``"true 4, predicted 9 (97%)"``, the percentage being the
    probability the network gave to its (wrong) prediction.

    Parameters
    ----------
    X : array of shape (784, m)
        Images as columns.
    y_true : array of shape (m,) or (n_classes, m)
        True classes as integers, or one-hot columns.
    probs : array of shape (n_classes, m)
        Output probabilities (columns sum to 1).
    n : int
        How many mistakes to show at most.
    fig : matplotlib Figure, optional
        Figure to draw into (its contents are replaced).

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = _images("X", X, 784)
    probs = as_float_array("probs", probs, ndim=2)
    if probs.shape[1] != X.shape[1]:
        raise ShapeError(f"X has {X.shape[1]} samples (columns) but probs has shape "
                         f"{probs.shape}; probs must be (n_classes, m) for the same batch")
    t = _as_labels("y_true", y_true, probs.shape[0])
    idx = misclassified_indices(t, probs, n)
    if idx.size == 0:
        fig = _prepare_fig(fig, (4, 1.5))
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified samples", ha="center", va="center",
                transform=ax.transAxes)
        return fig
    pred = np.argmax(probs, axis=0)
    nrows, ncols = _grid(idx.size, 5)
    fig = _prepare_fig(fig, (2.1 * ncols, 2.2 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, i in zip(axes, idx):
        ax.imshow(X[:, i].reshape(28, 28), cmap="gray_r", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"true {t[i]}, predicted {pred[i]} ({100 * probs[pred[i], i]:.0f}%)",
                     fontsize=8.5)
    _hide_unused(axes, idx.size)
    return fig


# --------------------------------------------------------------------------------------------
# network drawing
# --------------------------------------------------------------------------------------------
_LAYER_COLOURS = ("#d9d9d9", "#9ecae1", "#fdae6b")  # input, hidden, output
_WRAP = 18  # characters per caption line


def draw_network(layer_sizes, ax=None, labels=None, max_units=12, weight_labels=None):
    """A drawing of a fully connected network: a column of circles per layer and a line for
    every connection between consecutive layers.

    A layer with more than ``max_units`` units is drawn as ``max_units`` circles with a
    vertical ellipsis in the middle, and its true size is written next to it.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first, e.g. ``[784, 7, 10]``.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        One caption per layer, written under it, e.g. ``["input x (784)",
        "hidden y1: 7 sigmoid units", "output y2: 10 softmax units"]``. Long captions are
        wrapped. By default ``"input (784)"``, ``"hidden 1 (7)"``, ``"output (10)"``.
    max_units : int
        Most circles drawn for one layer (at least 2).
    weight_labels : sequence of str, optional
        One label per gap between layers, written over its connections, e.g.
        ``["W1 (7 x 784)", "W2 (10 x 7)"]``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_network([784, 7, 10],
    ...                    labels=["input x (784)", "hidden y1: 7 sigmoid units",
    ...                            "output y2: 10 softmax units"],
    ...                    weight_labels=["W1 (7 x 784)", "W2 (10 x 7)"])
    """
    sizes = list(layer_sizes) if isinstance(layer_sizes, (Sequence, np.ndarray)) else None
    if not sizes or len(sizes) < 2 or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
            for s in sizes):
        raise ValueError("layer_sizes must be a list of at least two positive integers, input "
                         f"layer first, e.g. [784, 7, 10]; got {layer_sizes!r}")
    sizes = [int(s) for s in sizes]
    n_layers = len(sizes)
    max_units = int(max_units)
    if max_units < 2:
        raise ValueError(f"max_units must be at least 2; got {max_units}")
    if labels is None:
        labels = [f"input ({sizes[0]})"]
        labels += [f"hidden {k} ({s})" if n_layers > 3 else f"hidden ({s})"
                   for k, s in enumerate(sizes[1:-1], start=1)]
        labels += [f"output ({sizes[-1]})"]
    labels = list(labels)
    if len(labels) != n_layers:
        raise ValueError(f"labels must have one caption per layer ({n_layers}); "
                         f"got {len(labels)}")
    if weight_labels is not None:
        weight_labels = list(weight_labels)
        if len(weight_labels) != n_layers - 1:
            raise ValueError(f"weight_labels must have one label per gap between layers "
                             f"({n_layers - 1}); got {len(weight_labels)}")

    # Vertical positions: one slot per drawn unit (plus one for an ellipsis), centred on 0.
    dx, radius = 4.0, 0.32
    columns = []  # per layer: (y positions of drawn units, y of ellipsis or None)
    for size in sizes:
        if size <= max_units:
            ys = (size - 1) / 2.0 - np.arange(size, dtype=float)
            columns.append((ys, None))
        else:
            top = (max_units + 1) // 2
            slots = max_units + 1
            all_ys = (slots - 1) / 2.0 - np.arange(slots, dtype=float)
            ys = np.concatenate([all_ys[:top], all_ys[top + 1:]])
            columns.append((ys, all_ys[top]))
    y_top = max(col[0].max() for col in columns) + radius
    y_bottom = min(col[0].min() for col in columns) - radius
    xs = dx * np.arange(n_layers)

    wrapped = [textwrap.fill(str(label), _WRAP) for label in labels]
    caption_lines = max(w.count("\n") + 1 for w in wrapped)
    caption_height = 0.55 * caption_lines + 0.4
    big_first = sizes[0] > max_units
    big_last = sizes[-1] > max_units
    x_left = xs[0] - dx / 2 - (1.2 if big_first else 0.0)
    x_right = xs[-1] + dx / 2 + (1.2 if big_last else 0.0)
    y_low = y_bottom - caption_height - (0.9 if any(
        s > max_units for s in sizes[1:-1]) else 0.2)
    y_high = y_top + (1.0 if weight_labels else 0.3)

    from matplotlib.patches import Circle

    if ax is None:
        scale = 0.42  # inches per data unit
        fig, ax = plt.subplots(figsize=((x_right - x_left) * scale,
                                        (y_high - y_low) * scale))
        fig.subplots_adjust(0, 0, 1, 1)
    else:
        fig = _figure_of(ax)

    # connections first, so that the circles sit on top of them
    for k in range(n_layers - 1):
        (ys_a, _), (ys_b, _) = columns[k], columns[k + 1]
        alpha = 0.5 if len(ys_a) * len(ys_b) <= 60 else 0.3
        for ya in ys_a:
            for yb in ys_b:
                ax.plot([xs[k] + radius, xs[k + 1] - radius], [ya, yb], color="0.45",
                        linewidth=0.6, alpha=alpha, zorder=1, solid_capstyle="round")
        if weight_labels is not None and weight_labels[k]:
            ax.text((xs[k] + xs[k + 1]) / 2, y_top + 0.05, str(weight_labels[k]),
                    ha="center", va="bottom", fontsize=9, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.25", facecolor="white", edgecolor="0.6"))

    for k, (size, (ys, ellipsis_y)) in enumerate(zip(sizes, columns)):
        role = 0 if k == 0 else (2 if k == n_layers - 1 else 1)
        for y in ys:
            ax.add_patch(Circle((xs[k], y), radius, facecolor=_LAYER_COLOURS[role],
                                edgecolor="0.2", linewidth=0.8, zorder=3))
        if ellipsis_y is not None:
            ax.text(xs[k], ellipsis_y, "\u22ee", ha="center", va="center", fontsize=14,
                    zorder=4)
            noun = "inputs" if k == 0 else (
                "outputs" if k == n_layers - 1 else "units")
            if k == 0:
                ax.text(xs[k] - 0.6, ellipsis_y, f"{size} {noun}", ha="right", va="center",
                        fontsize=9, zorder=4)
            elif k == n_layers - 1:
                ax.text(xs[k] + 0.6, ellipsis_y, f"{size} {noun}", ha="left", va="center",
                        fontsize=9, zorder=4)
            else:
                ax.text(xs[k], ys.min() - radius - 0.15, f"{size} {noun}", ha="center",
                        va="top", fontsize=9, zorder=4,
                        bbox=dict(boxstyle="round,pad=0.15", facecolor="white",
                                  edgecolor="none"))
        caption_y = y_bottom - (0.75 if any(s > max_units for s in sizes[1:-1]) else 0.35)
        ax.text(xs[k], caption_y, wrapped[k], ha="center", va="top", fontsize=9,
                linespacing=1.15, zorder=4)

    ax.set_xlim(x_left, x_right)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
