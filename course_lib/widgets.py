"""Interactive widgets for the notebooks: a softmax explorer (notebook 1) and a training panel
(notebook 3).

Both return an :mod:`ipywidgets` container that also works without a browser: the figures are
drawn with Matplotlib's object-oriented API into figures that pyplot does not track, rendered to
PNG and placed in an :class:`ipywidgets.Output` by setting its ``outputs`` directly. So

* nothing depends on the Matplotlib backend (Agg, inline and ipympl all work), no figure is left
  open in ``pyplot``, and no figure appears twice at the end of a cell;
* the widgets can be created and drawn when a notebook is executed headless (nbclient, nbgrader),
  and tests can inspect ``widget.output.outputs`` and call ``state()`` / ``run()`` directly.

Conventions as everywhere in ``course_lib``: samples are columns, so the student's softmax is
called on one column ``(n, 1)`` and the training data are ``(784, m)`` with one-hot targets
``(10, m)``.
"""
from __future__ import annotations

import base64
import html
import io
import time

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import plots
from .activations import log_softmax as _log_softmax
from .activations import softmax as _reference_softmax
from ._validate import ShapeError, as_float_array, check_columns, check_same_columns

__all__ = ["softmax_explorer", "training_panel", "SoftmaxExplorer", "TrainingPanel"]

_DPI = 100
_PROB_TOP = 1.15    # the probability axis's top: room above a bar of 1 for its label
_POSITIVE, _NEGATIVE = "#d6604d", "#4393c3"  # red: y > t (push z down), blue: y < t (push up)
_PROB_COLOUR, _TARGET_COLOUR = "#9ecae1", "#fdae6b"


# --------------------------------------------------------------------------------------------
# Output helpers: outputs are written as nbformat dicts, which needs no IPython kernel
# --------------------------------------------------------------------------------------------
def _png_output(png: bytes, fig) -> dict:
    """A ``display_data`` output holding the PNG image ``png`` of ``fig``."""
    return {"output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"),
                     "text/plain": f"<Figure size {fig.get_figwidth():g}x"
                                   f"{fig.get_figheight():g} in>"},
            "metadata": {}}


def _figure_output(fig) -> dict:
    """A ``display_data`` output holding ``fig`` as a PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return _png_output(buffer.getvalue(), fig)


_TEXT_STYLES = {
    "info": "",
    "warning": "background:#fff3cd;border-left:4px solid #f0ad4e;padding:4px 8px;",
    "error": "background:#f8d7da;border-left:4px solid #d9534f;padding:4px 8px;",
}


def _text_output(text: str, kind: str = "info") -> dict:
    """A ``display_data`` output with ``text`` as plain text and as (styled) HTML."""
    style = _TEXT_STYLES[kind]
    body = html.escape(text).replace("\n", "<br>")
    return {"output_type": "display_data",
            "data": {"text/plain": text,
                     "text/html": f'<div style="font-family:monospace;{style}">{body}</div>'},
            "metadata": {}}


def _exception_text(exc: BaseException) -> str:
    """"Name: message", never ending in an empty message: a bare ``NotImplementedError`` (an
    answer's stub) says what to do, another exception without a message is its name alone."""
    message, name = str(exc).strip(), type(exc).__name__
    if message:
        return f"{name}: {message}"
    if isinstance(exc, NotImplementedError):
        return (f"{name} (the stub is still there: replace `raise NotImplementedError()` with "
                "your code)")
    return name


def _new_figure(figsize) -> Figure:
    """A figure unknown to pyplot: it never shows up by itself and needs no ``plt.close``."""
    return Figure(figsize=figsize, layout="constrained")


# --------------------------------------------------------------------------------------------
# softmax explorer
# --------------------------------------------------------------------------------------------
def _check_student_softmax(softmax, u):
    """Call ``softmax`` on the column ``u`` (n, 1); return ``(probs (n,), problem or None)``.

    ``problem`` is a sentence describing what went wrong; the probabilities are then ``None``.
    """
    n = u.shape[0]
    try:
        result = softmax(u.copy())
    except Exception as exc:  # any mistake in the student's code
        return None, f"your softmax raised {_exception_text(exc)}"
    if result is None:
        return None, "your softmax returned None (is a `return` statement missing?)"
    try:
        probs = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return None, (f"your softmax returned a {type(result).__name__} that is not an array of "
                      f"numbers ({exc})")
    if probs.shape != (n, 1):
        return None, (f"your softmax returned shape {probs.shape} for a column of logits of "
                      f"shape ({n}, 1); it must return the shape it is given, the probabilities "
                      f"of each sample in a column")
    if not np.all(np.isfinite(probs)):
        return None, ("your softmax returned nan or inf (an overflow in exp? subtract the "
                      "column maximum first)")
    total = float(probs.sum())
    if np.any(probs < 0) or abs(total - 1.0) > 1e-5:
        hint = ""
        if np.allclose(probs, 1.0):
            hint = (" (every entry is 1: it looks like it normalises over axis=1, the samples, "
                    "instead of axis=0, the classes)")
        return None, (f"your softmax's output column sums to {total:.6g} instead of 1"
                      f"{' and has negative entries' if np.any(probs < 0) else ''}{hint}")
    return probs[:, 0], None


def _fixed(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, without the minus sign of a value that rounds to zero
    (-0.0, or -1e-12 from rounding): "0.0000", never "-0.0000"."""
    shown = f"{float(value):.{digits}f}"
    return shown[1:] if shown.startswith("-") and float(shown) == 0 else shown


def _label_bar(text, x, height, label, inside_above, gap, inside_colour):
    """Write ``label`` just beyond the end of a bar, or inside it (in ``inside_colour``) when the
    bar is so long that the label would cross the edge of the axes."""
    up = height >= 0
    inside = abs(height) > inside_above
    text.set_position((x, height + (gap if up else -gap) * (-1 if inside else 1)))
    text.set_va(("top" if up else "bottom") if inside else ("bottom" if up else "top"))
    text.set_color(inside_colour if inside else "black")
    text.set_text(label)


class SoftmaxExplorer(widgets.VBox):
    """The widget made by :func:`softmax_explorer`; see there.

    Attributes
    ----------
    sliders : list of ipywidgets.FloatSlider
        The logits ``z1 .. zn``.
    temperature : ipywidgets.FloatSlider
        The temperature ``tau`` (written τ, not T, which names the targets).
    target : ipywidgets.Dropdown
        The target class; its value is the 0-based class index.
    output : ipywidgets.Output
        The charts and the text lines (cross-entropy, messages about the student's softmax).
    """

    def __init__(self, softmax=None, n_classes: int = 4, target: int = 0, logits=None):
        if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) \
                or not 2 <= n_classes <= 12:
            raise ValueError(f"n_classes must be an integer from 2 to 12, got {n_classes!r}")
        n = int(n_classes)
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) \
                or not 0 <= target < n:
            raise ValueError(f"target must be a class index 0..{n - 1} (0-based), got {target!r}")
        if softmax is not None and not callable(softmax):
            raise TypeError(f"softmax must be a function or None, got {type(softmax).__name__}")
        if logits is None:
            z0 = np.round(np.linspace(2.0, -1.0, n), 1)
        else:
            z0 = np.asarray(logits, dtype=np.float64).ravel()
            if z0.shape != (n,):
                raise ShapeError(f"logits must hold n_classes={n} values, got shape "
                                 f"{np.shape(logits)}")
            z0 = np.clip(z0, -10.0, 10.0)
        self.n_classes = n
        self._softmax = softmax

        self.sliders = [
            widgets.FloatSlider(value=float(z0[i]), min=-10.0, max=10.0, step=0.1,
                                description=f"z{i + 1}", continuous_update=True,
                                readout_format=".1f")
            for i in range(n)]
        self.temperature = widgets.FloatSlider(value=1.0, min=0.1, max=5.0, step=0.05,
                                               description="\u03c4 (temp.)", readout_format=".2f",
                                               continuous_update=True)
        self.target = widgets.Dropdown(options=[(f"class {i + 1}", i) for i in range(n)],
                                       value=int(target), description="target",
                                       layout=widgets.Layout(width="200px"))
        self.output = widgets.Output()
        self.output.layout.min_height = "330px"  # no jumping while the PNG is replaced

        note = widgets.HTML(
            "<small>y = softmax(z / &tau;), &tau; = temperature;<br>t = one-hot target;<br>"
            "E = &minus;log y<sub>target</sub></small>")
        controls = widgets.HBox([widgets.VBox(self.sliders),
                                 widgets.VBox([self.temperature, self.target, note])])
        super().__init__([controls, self.output])

        self._build_figure()
        for w in (*self.sliders, self.temperature, self.target):
            w.observe(self._on_change, names="value")
        self.redraw()

    # -- computation ------------------------------------------------------------------------
    def state(self) -> dict:
        """The current values, computed from the controls.

        Returns
        -------
        dict
            ``z`` (n,) the logits; ``tau`` the temperature; ``target`` the 0-based target class;
            ``probs`` (n,) ``y = softmax(z / tau)``; ``onehot`` (n,) ``t``; ``grad`` (n,)
            ``y - t``, the gradient of E with respect to the scaled logits ``z / tau`` (with
            respect to ``z`` it is ``(y - t) / tau``); ``loss`` the cross-entropy
            ``-log y_target``; ``source`` ``"yours"`` or ``"course_lib"`` (whose softmax gave
            ``probs``); ``message`` the reason for falling back to course_lib's softmax, or
            ``None``; ``note`` a remark when the student's softmax is valid but disagrees
            with course_lib's, or ``None``.
        """
        z = np.array([s.value for s in self.sliders], dtype=np.float64)
        tau = float(self.temperature.value)
        k = int(self.target.value)
        u = (z / tau).reshape(-1, 1)
        reference = _reference_softmax(u)[:, 0]
        probs, message, source, note = reference, None, "course_lib", None
        if self._softmax is not None:
            student, problem = _check_student_softmax(self._softmax, u)
            if problem is None:
                probs, source = student, "yours"
                gap = float(np.max(np.abs(student - reference)))
                if gap > 1e-6:
                    note = (f"note: your softmax differs from course_lib's by up to {gap:.3g} "
                            f"here (showing yours)")
            else:
                message = f"{problem}; showing course_lib's softmax instead"
        onehot = np.zeros(self.n_classes)
        onehot[k] = 1.0
        if source == "course_lib":
            loss = float(-_log_softmax(u)[k, 0])  # exact even when y_k underflows
        else:
            with np.errstate(divide="ignore"):
                loss = float(-np.log(probs[k]))
        return {"z": z, "tau": tau, "target": k, "probs": probs, "onehot": onehot,
                "grad": probs - onehot, "loss": loss, "source": source, "message": message,
                "note": note}

    # -- drawing ----------------------------------------------------------------------------
    # One figure is built once and updated in place. Everything that does not change with the
    # logits (axes, ticks, grid; redrawn only when the target changes) is rendered once into a
    # background; a redraw restores it and draws only the "animated" artists (bars, values,
    # titles) on top, then encodes the canvas as PNG: a few milliseconds instead of a full
    # render, so dragging a slider stays fluid.
    def _build_figure(self):
        n = self.n_classes
        x = np.arange(n)
        fig = Figure(figsize=(9.5, 3.3), dpi=_DPI)
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.2, top=0.89, wspace=0.22)
        self._canvas = FigureCanvasAgg(fig)  # drawing with Agg, whatever pyplot's backend
        ax_p, ax_g = fig.subplots(1, 2)
        self._bars_p = list(ax_p.bar(x, np.zeros(n), color=_PROB_COLOUR, edgecolor="0.3"))
        self._bars_g = list(ax_g.bar(x, np.zeros(n), color=_POSITIVE, edgecolor="0.3"))
        size = 9 if n <= 6 else 7
        self._text_p = [ax_p.text(i, 0.0, "", ha="center", va="bottom", fontsize=size)
                        for i in range(n)]
        self._text_g = [ax_g.text(i, 0.0, "", ha="center", va="bottom", fontsize=size)
                        for i in range(n)]
        ax_p.set_ylim(0.0, _PROB_TOP)           # headroom above 1 for the label of a bar of 1
        ax_p.set_yticks(np.linspace(0.0, 1.0, 6))
        ax_p.set_ylabel("probability")
        ax_g.set_ylim(-1.0, 1.0)
        ax_g.axhline(0.0, color="0.3", linewidth=0.8)
        ax_g.set_ylabel("y \u2212 t")
        for ax in (ax_p, ax_g):
            ax.set_xlim(-0.6, n - 0.4)
            ax.set_xlabel("class")
            ax.grid(True, axis="y", alpha=0.3)
            ax.set_axisbelow(True)
            ax.title.set_fontsize(10)
        self._fig, self._ax_p, self._ax_g = fig, ax_p, ax_g
        self._dynamic = [*self._bars_p, *self._bars_g, *self._text_p, *self._text_g,
                         ax_p.title, ax_g.title]
        for artist in self._dynamic:
            artist.set_animated(True)
        self._background, self._background_target = None, None

    def _update_figure(self, s):
        k = s["target"]
        for i, (bar, text, p) in enumerate(zip(self._bars_p, self._text_p, s["probs"])):
            bar.set_height(p)
            bar.set_facecolor(_TARGET_COLOUR if i == k else _PROB_COLOUR)
            bar.set_linewidth(1.8 if i == k else 0.8)
            # always above the bar: the axes leave room for it up to p = 1 (PROB_TOP)
            _label_bar(text, i, p, f"{p:.3f}", inside_above=_PROB_TOP, gap=0.02,
                       inside_colour="black")
        for bar, text, g in zip(self._bars_g, self._text_g, s["grad"]):
            bar.set_height(g)
            bar.set_facecolor(_POSITIVE if g >= 0 else _NEGATIVE)
            _label_bar(text, bar.get_x() + bar.get_width() / 2, g, f"{g:+.3f}",
                       inside_above=0.75, gap=0.04, inside_colour="white")
        whose = "your softmax" if s["source"] == "yours" else "softmax"
        self._ax_p.set_title(f"y = {whose}(z / \u03c4),  \u03c4 = {s['tau']:.2f}")
        wrt = "z" if abs(s["tau"] - 1.0) < 1e-9 else "(z / \u03c4)"
        self._ax_g.set_title(f"gradient  \u2202E/\u2202{wrt} = y \u2212 t")

    def _render_png(self, target: int) -> bytes:
        """The current figure as PNG bytes (see the comment above ``_build_figure``)."""
        canvas = self._canvas
        if self._background is None or self._background_target != target:
            n = self.n_classes
            labels = [f"{i + 1}" + ("\n(target)" if i == target else "") for i in range(n)]
            for ax in (self._ax_p, self._ax_g):
                ax.set_xticks(np.arange(n), labels)
                for i, tick in enumerate(ax.get_xticklabels()):
                    tick.set_fontweight("bold" if i == target else "normal")
            canvas.draw()  # animated artists are left out
            self._background = canvas.copy_from_bbox(self._fig.bbox)
            self._background_target = target
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self._dynamic:
            artist.draw(renderer)
        rgba = np.asarray(canvas.buffer_rgba())
        buffer = io.BytesIO()
        PIL.Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _on_change(self, change=None):
        self.redraw()

    def redraw(self):
        """Recompute the state and replace the charts and text in ``output``."""
        try:
            s = self.state()
            self._update_figure(s)
            outputs = []
            if s["message"]:
                outputs.append(_text_output(s["message"], "warning"))
            elif s["note"]:
                outputs.append(_text_output(s["note"], "warning"))
            outputs.append(_png_output(self._render_png(s["target"]), self._fig))
            k = s["target"]
            outputs.append(_text_output(
                f"cross-entropy  E = -log y{k + 1} = -log {s['probs'][k]:.4g} = "
                f"{_fixed(s['loss'], 4)}"))
        except Exception as exc:  # never let a callback die silently in the browser
            outputs = [_text_output(f"the explorer failed: {_exception_text(exc)}",
                                    "error")]
        self.output.outputs = tuple(outputs)


def softmax_explorer(softmax=None, n_classes: int = 4, target: int = 0, *, logits=None):
    """Sliders for the logits, the temperature and the target, with live charts of the softmax
    probabilities and of the gradient of the cross-entropy.

    The charts show ``y = softmax(z / tau)`` (values on the bars, y-axis 0..1; ``tau``, shown as
    τ, is the temperature: T is kept for the targets) and the gradient
    ``y - t`` for the one-hot target ``t`` (red where ``y > t``: gradient descent pushes that
    logit down; blue where ``y < t``: it pushes it up; y-axis -1..1); a text line gives the
    cross-entropy ``E = -log y_target``. ``y - t`` is the gradient with respect to the scaled
    logits ``z / tau``, which are ``z`` at ``tau = 1``.

    Parameters
    ----------
    softmax : callable, optional
        A softmax ``f(Z) -> Y`` over axis 0 of a ``(n, m)`` column batch, e.g. the one the
        student wrote in notebook 1. It is called on one column ``(n, 1)``. If it raises, or
        returns something that is not an ``(n, 1)`` column of non-negative numbers summing to 1,
        the output says why and course_lib's softmax is shown instead. Default: course_lib's.
    n_classes : int
        Number of logits (2 to 12).
    target : int
        The initial target class, a 0-based index (shown as "class target+1").
    logits : array_like of shape (n_classes,), optional
        Initial logits (clipped to the slider range -10..10); default evenly spaced from 2
        down to -1.

    Returns
    -------
    SoftmaxExplorer
        An ``ipywidgets.VBox`` with the attributes ``sliders`` (list of FloatSlider
        ``z1 .. zn``), ``temperature`` (FloatSlider ``tau``), ``target`` (Dropdown, value the
        0-based class), ``output`` (Output) and the methods ``state()`` (a dict with ``z``,
        ``probs``, ``grad``, ``loss``, ... as 1-D arrays of shape (n,); see
        :meth:`SoftmaxExplorer.state`) and ``redraw()``.

    Examples
    --------
    >>> from course_lib.widgets import softmax_explorer
    >>> softmax_explorer(softmax)          # doctest: +SKIP   (your own softmax)
    """
    return SoftmaxExplorer(softmax, n_classes=n_classes, target=target, logits=logits)


# --------------------------------------------------------------------------------------------
# training panel
# --------------------------------------------------------------------------------------------
_HIDDEN_SIZES = (16, 32, 64, 128, 256)
# regulariser -> (strength label, min, max, step, default, readout format)
_REGULARISERS = {
    "none": ("strength", 0.0, 1.0, 0.01, 0.0, ".2f"),
    "weight decay": ("wd \u03bb", 0.0, 0.01, 0.0001, 0.001, ".4f"),
    "dropout": ("drop prob.", 0.0, 0.9, 0.05, 0.5, ".2f"),
    "max-norm": ("max norm c", 0.5, 5.0, 0.1, 2.0, ".1f"),
}
_MAX_RUNS_COMPARED = 10


def _targets(name: str, T, n_rows: int | None = None) -> np.ndarray:
    T = as_float_array(name, T)
    if T.ndim == 1:
        raise ShapeError(f"{name} must be one-hot targets of shape (n_classes, m), samples as "
                         f"columns; got labels of shape {T.shape}: pass one_hot(labels)")
    if n_rows is None:
        if T.ndim != 2:
            raise ShapeError(f"{name} must be 2-D with shape (n_classes, m); got {T.shape}")
        n_rows = T.shape[0]
    check_columns(name, T, n_rows, "classes")
    return T


class TrainingPanel(widgets.VBox):
    """The widget made by :func:`training_panel`; see there.

    Attributes
    ----------
    hidden_size : Dropdown       units per hidden layer
    n_hidden : IntSlider         number of hidden layers (1-3)
    learning_rate : FloatLogSlider
    momentum : FloatSlider
    regulariser : Dropdown       "none", "weight decay", "dropout" or "max-norm"
    strength : FloatSlider       its strength (wd, drop probability or max norm)
    epochs : IntSlider
    train_button, clear_button : Button
    status : HTML                one line about the last run
    output : Output              learning curves of the last run
    comparison : Output          validation accuracy of all runs (the last 10 are drawn)
    runs : list of (str, History)
    last_model : MLP or None
    """

    def __init__(self, X_train, T_train, X_val, T_val, *, epochs: int = 5, seed=0):
        X_train = as_float_array("X_train", X_train, ndim=2)
        n_in = X_train.shape[0]
        T_train = _targets("T_train", T_train)
        if X_train.shape[1] != T_train.shape[1] and X_train.shape[0] == T_train.shape[1]:
            raise ShapeError(f"X_train has shape {X_train.shape} but T_train holds "
                             f"{T_train.shape[1]} samples; it looks like the samples of X_train "
                             f"are rows: pass X_train.T (samples are columns)")
        check_same_columns("X_train", X_train, "T_train", T_train)
        X_val = as_float_array("X_val", X_val, ndim=2)
        check_columns("X_val", X_val, n_in, "inputs, like X_train")
        T_val = _targets("T_val", T_val, T_train.shape[0])
        check_same_columns("X_val", X_val, "T_val", T_val)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        # float32 once here, rather than in every minibatch (MLP computes in float32)
        self._data = tuple(np.ascontiguousarray(a, dtype=np.float32)
                           for a in (X_train, T_train, X_val, T_val))
        self.seed = seed
        self.runs: list = []
        self.last_model = None

        style = {"description_width": "110px"}
        wide = widgets.Layout(width="340px")
        self.hidden_size = widgets.Dropdown(options=list(_HIDDEN_SIZES), value=64,
                                            description="hidden units", style=style,
                                            layout=widgets.Layout(width="220px"))
        self.n_hidden = widgets.IntSlider(value=1, min=1, max=3, description="hidden layers",
                                          style=style, layout=wide)
        self.learning_rate = widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.1,
                                                    description="learning rate",
                                                    readout_format=".3g", style=style,
                                                    layout=wide)
        self.momentum = widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                            description="momentum", style=style, layout=wide)
        self.regulariser = widgets.Dropdown(options=list(_REGULARISERS), value="none",
                                            description="regulariser", style=style,
                                            layout=widgets.Layout(width="260px"))
        self.strength = widgets.FloatSlider(description="strength", style=style, layout=wide)
        self.epochs = widgets.IntSlider(value=int(epochs), min=1, max=max(50, int(epochs)),
                                        description="epochs", style=style, layout=wide)
        self.train_button = widgets.Button(description="Train", button_style="primary",
                                           icon="play")
        self.clear_button = widgets.Button(description="Clear runs", icon="trash")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.comparison = widgets.Output()

        self._configure_strength()
        self.regulariser.observe(self._configure_strength, names="value")
        self.train_button.on_click(self._on_train)
        self.clear_button.on_click(lambda _: self.clear_runs())

        m_train, m_val = X_train.shape[1], X_val.shape[1]
        info = widgets.HTML(f"<small>{m_train} training and {m_val} validation samples; relu "
                            f"hidden units, minibatches of 128, seed {seed}</small>")
        controls = widgets.HBox([
            widgets.VBox([self.hidden_size, self.n_hidden, self.learning_rate, self.momentum]),
            widgets.VBox([self.regulariser, self.strength, self.epochs,
                          widgets.HBox([self.train_button, self.clear_button])]),
        ])
        super().__init__([controls, info, self.status, self.output, self.comparison])
        self._show_empty()

    # -- controls ---------------------------------------------------------------------------
    def _configure_strength(self, change=None):
        """Give the strength slider the range and default of the chosen regulariser."""
        label, lo, hi, step, default, fmt = _REGULARISERS[self.regulariser.value]
        s = self.strength
        with s.hold_trait_notifications():
            # widen first so that no intermediate range clamps the new value
            s.min, s.max = min(s.min, lo), max(s.max, hi)
            s.step, s.value = step, default
            s.min, s.max = lo, hi
            s.readout_format = fmt
        s.description = label
        s.disabled = self.regulariser.value == "none"

    def settings(self) -> dict:
        """The current choices of the controls as a dict."""
        return {"hidden_size": int(self.hidden_size.value), "n_hidden": int(self.n_hidden.value),
                "lr": float(self.learning_rate.value), "momentum": float(self.momentum.value),
                "regulariser": self.regulariser.value, "strength": float(self.strength.value),
                "epochs": int(self.epochs.value)}

    @staticmethod
    def _label(number: int, s: dict) -> str:
        reg = {"none": "no reg.", "weight decay": f"wd {s['strength']:.4g}",
               "dropout": f"dropout {s['strength']:.2g}",
               "max-norm": f"max-norm {s['strength']:.2g}"}[s["regulariser"]]
        return (f"#{number}: {s['n_hidden']}\u00d7{s['hidden_size']}, lr {s['lr']:.3g}, "
                f"mom {s['momentum']:.2f}, {reg}, {s['epochs']} ep")

    # -- training ---------------------------------------------------------------------------
    def run(self):
        """Train a new network with the current settings (what the Train button does).

        The run is appended to ``runs`` and both plots are redrawn.

        Returns
        -------
        History
        """
        from .mlp import MLP
        from .training import train

        s = self.settings()
        X, T, X_val, T_val = self._data
        options = {"none": {}, "weight decay": {"wd": s["strength"]},
                   "dropout": {"dropout": s["strength"]},
                   "max-norm": {"max_norm": s["strength"]}}[s["regulariser"]]
        sizes = [X.shape[0]] + [s["hidden_size"]] * s["n_hidden"] + [T.shape[0]]
        model = MLP(sizes, hidden="relu", dtype=np.float32, seed=self.seed, **options)
        start = time.perf_counter()
        with np.errstate(all="ignore"):  # a diverging run is reported below, not warned about
            history = train(model, X, T, epochs=s["epochs"], lr=s["lr"],
                            momentum=s["momentum"], X_val=X_val, T_val=T_val, seed=self.seed,
                            progress=False)
        seconds = time.perf_counter() - start
        label = self._label(len(self.runs) + 1, s)
        self.runs.append((label, history))
        self.last_model = model
        self._show_run(label, history, seconds)
        return history

    def clear_runs(self):
        """Forget all past runs and empty the plots."""
        self.runs.clear()
        self.last_model = None
        self.status.value = ""
        self._show_empty()

    def _on_train(self, button=None):
        self.train_button.disabled = True
        self.train_button.description = "Training\u2026"
        self.status.value = "<i>training\u2026</i>"
        try:
            self.run()
        except Exception as exc:  # show it: an exception in a callback is hidden in JupyterLab
            self.status.value = ""
            self.output.outputs = (_text_output(
                f"training failed: {_exception_text(exc)}", "error"),)
        finally:
            self.train_button.disabled = False
            self.train_button.description = "Train"

    # -- drawing ----------------------------------------------------------------------------
    def _show_empty(self):
        self.output.outputs = (_text_output(
            "Choose the settings and press Train: the learning curves appear here."),)
        self.comparison.outputs = ()

    def _show_run(self, label, history, seconds):
        losses = np.asarray(history.train_loss + history.val_loss, dtype=float)
        diverged = not np.all(np.isfinite(losses))
        if diverged:
            self.status.value = (f"<b>{html.escape(label)}</b>: the training diverged (the loss "
                                 f"became nan or inf); try a smaller learning rate or momentum")
        else:
            best = int(np.argmax(history.val_acc))
            self.status.value = (
                f"<b>{html.escape(label)}</b>: validation accuracy {history.val_acc[-1]:.1%} "
                f"(best {history.val_acc[best]:.1%} after epoch {best + 1}), training accuracy "
                f"{history.train_acc[-1]:.1%}; {seconds:.1f} s")
            chance = 1.0 / self._data[1].shape[0]
            if history.val_acc[-1] < 1.5 * chance:
                self.status.value += (" &mdash; hardly better than guessing: try a smaller "
                                      "learning rate or momentum")

        fig = _new_figure((10, 3.6))
        plots.plot_history(history, axes=fig.subplots(1, 2))
        fig.suptitle(label, fontsize=10)
        self.output.outputs = (_figure_output(fig),)

        shown = self.runs[-_MAX_RUNS_COMPARED:]
        fig = _new_figure((10, 3.8))
        ax = fig.subplots()
        plots.compare_histories(dict(shown), metric="val_acc", ax=ax)
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
        title = "validation accuracy of all runs" if len(shown) == len(self.runs) else \
            f"validation accuracy of the last {len(shown)} runs"
        ax.set_title(title)
        self.comparison.outputs = (_figure_output(fig),)


def training_panel(X_train, T_train, X_val, T_val, *, epochs: int = 5, seed=0):
    """Controls to train an MLP on MNIST and compare the learning curves of successive runs.

    The controls choose the units per hidden layer (16 to 256), the number of hidden layers
    (1-3), the learning rate (1e-3 to 1, log scale), the momentum (0 to 0.99), a regulariser
    (none, weight decay, dropout or max-norm) with its strength, and the number of epochs.
    "Train" trains a new :class:`course_lib.mlp.MLP` with relu hidden units and a softmax output
    using :func:`course_lib.training.train` (minibatches of 128, ``progress=False``), then draws
    its learning curves with :func:`course_lib.plots.plot_history` and the validation accuracy
    of all runs so far with :func:`course_lib.plots.compare_histories`, each run labelled by its
    settings. Every run starts from the same ``seed``, so runs differ only in their settings.

    Training happens in the kernel while the button is pressed, so keep the data small for a
    responsive widget: pass a subset, e.g. 5,000 training and 1,000 validation samples (a few
    seconds per run), not all 60,000.

    Parameters
    ----------
    X_train : array of shape (784, m)
        Training inputs, samples as columns.
    T_train : array of shape (10, m)
        One-hot training targets (see :func:`course_lib.mnist.one_hot`).
    X_val : array of shape (784, m_val)
    T_val : array of shape (10, m_val)
        Validation set, evaluated after every epoch.
    epochs : int
        Initial value of the epochs slider.
    seed : int
        Seed of the initial weights, the shuffling and dropout.

    Returns
    -------
    TrainingPanel
        An ``ipywidgets.VBox``. ``panel.run()`` does what the button does and returns the
        :class:`course_lib.training.History`; ``panel.runs`` is the list of
        ``(label, History)`` of all runs; ``panel.last_model`` the last trained MLP; the
        controls are the attributes ``hidden_size``, ``n_hidden``, ``learning_rate``,
        ``momentum``, ``regulariser``, ``strength`` and ``epochs``.

    Examples
    --------
    >>> X, y = load_mnist("train", subset=6000)                      # doctest: +SKIP
    >>> X_tr, T_tr, X_va, T_va = train_val_split(X, one_hot(y), n_val=1000)
    >>> training_panel(X_tr, T_tr, X_va, T_va)                        # doctest: +SKIP
    """
    return TrainingPanel(X_train, T_train, X_val, T_val, epochs=epochs, seed=seed)
