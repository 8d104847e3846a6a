"""Checks at the public boundary: one clear message per mistake, naming the array and the fix."""
from __future__ import annotations

import numpy as np


class ShapeError(ValueError):
    """An argument has the wrong number of dimensions or the wrong size."""


def as_float_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a floating-point array (float32 stays float32, anything else becomes
    float64), checking its number of dimensions and that it is finite-typed."""
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if ndim is not None and array.ndim != ndim:
        raise ShapeError(f"{name} must be a {ndim}-D array, got shape {array.shape}")
    return array


def check_columns(name: str, array: np.ndarray, n_rows: int, what: str = "features") -> None:
    """Insist that ``array`` is ``(n_rows, m)`` with samples as columns, and say so if it looks
    like the samples were passed as rows instead."""
    if array.ndim != 2:
        raise ShapeError(f"{name} must be 2-D with shape ({n_rows}, m), samples as columns; "
                         f"got shape {array.shape}")
    if array.shape[0] != n_rows:
        hint = (f"; it looks like samples are rows: pass {name}.T"
                if array.shape[1] == n_rows else "")
        raise ShapeError(f"{name} must have {n_rows} rows ({what}) and one column per sample; "
                         f"got shape {array.shape}{hint}")


def check_same_columns(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Insist that two batches hold the same number of samples (columns)."""
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"{name_a} has {a.shape[-1]} samples (columns) but {name_b} has "
                         f"{b.shape[-1]}; they must describe the same batch")
