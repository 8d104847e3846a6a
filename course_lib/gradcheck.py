"""Finite-difference checks of analytic gradients and Jacobians.

Central differences, ``(f(w + eps) - f(w - eps)) / (2 eps)``, have an error of order ``eps**2``;
with ``eps = 1e-6`` in float64 the rounding error is about ``1e-10`` for a loss near 1, far below
the default tolerances. An entry passes when

    |analytic - numerical| <= atol + rtol * |numerical|

(the rule of ``numpy.isclose`` and ``torch.autograd.gradcheck``). On failure a
``GradientCheckError`` (an ``AssertionError``) names the parameter, the index, both values and
both errors. The caller's arrays are never modified: every perturbation is made on a copy.

Why the pass rule is not a relative error. The relative error ``|a - n| / (|a| + |n|)`` is a
good summary for entries of ordinary size, but a network's gradient always has entries that
are almost zero (a weight from a pixel that is nearly always black, a saturated unit). The
finite difference of such an entry still carries its rounding error, about ``1e-10`` here,
so an entry of size ``1e-7`` whose two estimates agree to ten decimal places shows a relative
error of ``1e-3``. The rule above allows ``atol`` of absolute error on top of ``rtol`` of
relative error, so those entries pass, while a wrong formula (off by a factor, a transpose, a
missing term) is off by far more than either. ``GradCheckReport`` therefore prints, next to
the largest relative error and the size of the entry where it occurs, the *tolerance used*:
the largest ``|a - n| / (atol + rtol |n|)`` over the entries. That is the figure the rule
decides on: at most 1 passes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["GradientCheckError", "GradCheckReport", "rel_error", "numerical_gradient",
           "check_gradients", "check_jacobian"]


class GradientCheckError(AssertionError):
    """An analytic derivative disagrees with its finite-difference estimate."""


def rel_error(a, b) -> float:
    """Largest element-wise relative error ``|a - b| / max(1e-8, |a| + |b|)``, for printing.

    For two arrays whose entries are all of ordinary size (say above 1e-3), values near 1e-7
    or below mean they agree and values above 1e-3 point at a mistake. It is NOT a pass rule
    for gradients: where an entry is itself nearly zero, a difference of rounding size gives a
    large relative error (``1e-11 / 1e-7 = 1e-4``) although both values agree. So the largest
    relative error of a correct gradient is often 1e-5 to 1e-3, set by its smallest entries;
    ``check_gradients`` decides with ``|a - n| <= atol + rtol |n|`` instead (see the module
    docstring) and reports how much of that tolerance was used.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs two arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _require_float64(name: str, array: np.ndarray) -> None:
    if array.dtype != np.float64:
        raise TypeError(f"{name} is {array.dtype}; gradient checks need float64 because float32 "
                        "rounding (about 1e-7) swamps finite differences. Convert it with "
                        ".astype(np.float64) before checking.")


def _central_differences(evaluate, flat: np.ndarray, indices, eps: float) -> np.ndarray:
    """``(evaluate() at flat[k] + eps  -  evaluate() at flat[k] - eps) / (2 eps)`` for each k.

    ``flat`` is a writable 1-D view of the array that ``evaluate`` reads; every entry is restored.
    ``evaluate`` may return a scalar or an array; the result stacks one difference per index.
    """
    differences = []
    for k in indices:
        old = flat[k]
        flat[k] = old + eps
        plus = np.asarray(evaluate(), dtype=np.float64)
        flat[k] = old - eps
        minus = np.asarray(evaluate(), dtype=np.float64)
        flat[k] = old
        differences.append((plus - minus) / (2 * eps))
    return np.array(differences)


def numerical_gradient(f, x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at the float64 array ``x``.

    ``f`` receives a perturbed copy of ``x``; ``x`` itself is left untouched.
    Returns an array with the shape of ``x``.
    """
    x = np.array(x, dtype=np.float64, copy=True)
    return _central_differences(lambda: f(x), x.reshape(-1), range(x.size), eps).reshape(x.shape)


@dataclass
class GradCheckReport:
    """What a check compared: for each array, how many entries and the largest errors.

    Each row is ``(name, n_checked, n_total, max_abs, max_rel, size_at_max_rel, used)``:
    ``max_rel`` is the largest relative error ``|a - n| / (|a| + |n|)`` and ``size_at_max_rel``
    the size ``|n|`` of the entry where it occurs (a tiny entry explains a large relative
    error); ``used`` is the tolerance used, the largest ``|a - n| / (atol + rtol |n|)``: the
    pass rule accepts the array when it is at most 1.
    """
    rows: list = field(default_factory=list)

    @property
    def max_rel_error(self) -> float:
        """The largest relative error of any entry (for printing; see ``rel_error``)."""
        return max((row[4] for row in self.rows), default=0.0)

    @property
    def tolerance_used(self) -> float:
        """The largest ``|a - n| / (atol + rtol |n|)`` of any entry: what the pass rule decides
        on (at most 1 passes)."""
        return max((row[6] for row in self.rows), default=0.0)

    def __str__(self) -> str:
        lines = [f"{'array':<10}{'checked':>12}{'max |a-n|':>12}{'max rel err':>13}"
                 f"{'at |n| =':>11}{'tol. used':>11}"]
        for name, n, total, max_abs, max_rel, size, used in self.rows:
            lines.append(f"{name:<10}{f'{n}/{total}':>12}{max_abs:>12.2e}{max_rel:>13.2e}"
                         f"{size:>11.1e}{used:>11.2e}")
        lines.append("passes when every 'tol. used' is at most 1 (|a-n| <= atol + rtol*|n|); a "
                     "large relative error at a tiny |n| is rounding, not a mistake")
        return "\n".join(lines)


def _compare(name, analytic, numerical, indices, rtol, atol, report, what="gradient"):
    """Record the errors of one array and raise a report of its worst entry on failure."""
    a = analytic.reshape(-1)[indices]
    n = numerical
    abs_err = np.abs(a - n)
    allowed = atol + rtol * np.abs(n)
    rel = abs_err / np.maximum(1e-8, np.abs(a) + np.abs(n))
    used = abs_err / allowed
    at = int(np.argmax(rel)) if rel.size else None
    report.rows.append((name, len(indices), analytic.size,
                        float(abs_err.max(initial=0.0)), float(rel.max(initial=0.0)),
                        float(np.abs(n[at])) if at is not None else 0.0,
                        float(used.max(initial=0.0))))
    bad = np.flatnonzero(abs_err > allowed)
    if bad.size:
        worst = bad[np.argmax(abs_err[bad] - allowed[bad])]
        index = np.unravel_index(indices[worst], analytic.shape)
        index = tuple(int(i) for i in index)
        raise GradientCheckError(
            f"{what} check failed for {name} at index {index}: analytic {a[worst]:.6e}, "
            f"numerical {n[worst]:.6e}; |analytic - numerical| = {abs_err[worst]:.2e} exceeds "
            f"atol + rtol*|numerical| = {allowed[worst]:.2e} (relative error {rel[worst]:.2e}). "
            f"{bad.size} of {len(indices)} checked entries of {name} disagree.")


def _indices(size: int, sparse: int | None, rng: np.random.Generator) -> np.ndarray:
    if sparse is None or sparse >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=sparse, replace=False))


def check_gradients(f, params, grads, *, eps: float = 1e-6, rtol: float = 1e-6,
                    atol: float = 1e-8, sparse: int | None = None, seed=0) -> GradCheckReport:
    """Check analytic gradients of a scalar loss against central differences, array by array.

    Parameters
    ----------
    f : callable
        ``f(params) -> float``, the loss as a function of a dict of float64 arrays. If ``f`` also
        has a method ``perturbed_losses(params, name, flat_indices, delta)`` returning the losses
        with ``params[name].flat[k] += delta`` for each k, it is used to evaluate many
        perturbations at once (see ``course_lib.net710.LossFunction``).
    params : dict of name -> float64 array
        The point at which to check. Not modified.
    grads : dict of name -> array
        The analytic gradients; each must have the same shape as its parameter.
    eps, rtol, atol : float
        Step size and the pass rule ``|a - n| <= atol + rtol * |n|``.
    sparse : int, optional
        Check only this many randomly chosen entries of each array.
    seed : int or numpy.random.Generator
        Chooses the sparse entries; the global NumPy random state is not used.

    Returns
    -------
    GradCheckReport
        Printable table of the largest errors per array.

    Raises
    ------
    GradientCheckError
        If a gradient is missing, has the wrong shape, or an entry fails the rule.
    TypeError
        If a parameter is not float64.
    """
    rng = np.random.default_rng(seed)
    work = {name: np.array(value, copy=True) for name, value in params.items()}
    for name, value in work.items():
        _require_float64(f"params[{name!r}]", value)
    for name, value in work.items():
        if name not in grads:
            raise GradientCheckError(f"no gradient given for {name}; grads must have the same "
                                     f"keys as params ({', '.join(work)})")
        shape = np.shape(grads[name])
        if shape != value.shape:
            hint = " (it looks transposed)" if shape == value.shape[::-1] else ""
            raise GradientCheckError(f"gradient for {name} has shape {shape} but {name} has "
                                     f"shape {value.shape}{hint}; a gradient must have the "
                                     "shape of its parameter")
    report = GradCheckReport()
    fast = getattr(f, "perturbed_losses", None)
    for name, value in work.items():
        analytic = np.asarray(grads[name], dtype=np.float64)
        indices = _indices(value.size, sparse, rng)
        if fast is not None:
            numerical = (np.asarray(fast(work, name, indices, eps))
                         - np.asarray(fast(work, name, indices, -eps))) / (2 * eps)
        else:
            numerical = _central_differences(lambda: f(work), value.reshape(-1), indices, eps)
        _compare(name, analytic, numerical, indices, rtol, atol, report)
    return report


def check_jacobian(f, x, jacobian, *, eps: float = 1e-6, rtol: float = 1e-6,
                   atol: float = 1e-8) -> GradCheckReport:
    """Check the Jacobian of a vector function ``f: R^n -> R^p`` at ``x``.

    Parameters
    ----------
    f : callable taking an array of shape (n,) and returning shape (p,)
    x : float64 array of shape (n,) (or (n, 1)); not modified
    jacobian : array of shape (p, n) with ``jacobian[i, j] = d f_i / d x_j``

    Raises ``GradientCheckError`` naming the entry (i, j) that disagrees.
    """
    x = np.array(x, copy=True)
    _require_float64("x", x)
    flat_x = x.reshape(-1)
    jacobian = np.asarray(jacobian, dtype=np.float64)
    p = np.asarray(f(x)).size
    if jacobian.shape != (p, flat_x.size):
        raise GradientCheckError(f"the Jacobian has shape {jacobian.shape} but f maps "
                                 f"{flat_x.size} inputs to {p} outputs, so it must be "
                                 f"({p}, {flat_x.size})")
    numerical = _central_differences(lambda: np.reshape(f(x), -1), flat_x, range(flat_x.size),
                                     eps).T
    report = GradCheckReport()
    _compare("Jacobian", jacobian, numerical.reshape(-1), np.arange(jacobian.size), rtol, atol,
             report, what="Jacobian")
    return report
