"""MNIST (and any other IDX data set) as arrays in the course's layout.

The course ships the four MNIST files in ``course_lib/data/mnist/`` (gzip-compressed IDX files,
see the README there). This module turns them into arrays that follow the course convention that
*samples are columns*:

* ``X`` has shape ``(784, m)``: one column per image, the 28x28 pixels in row-major order, scaled
  to ``[0, 1]`` (pixel / 255);
* ``y`` has shape ``(m,)``: integer labels 0-9;
* ``T = one_hot(y)`` has shape ``(10, m)``: one column per sample.

Typical use::

    from course_lib.mnist import load_mnist, one_hot, train_val_split
    X, y = load_mnist("train")                       # (784, 60000), (60000,)
    X_tr, y_tr, X_val, y_val = train_val_split(X, y, n_val=10000, seed=0)
    T_tr = one_hot(y_tr)                             # (10, 50000)
    X_small, y_small = load_mnist("train", subset=1000, seed=1)
    X_tr, y_tr, X_val, y_val = load_train_val(10000, seed=0, dtype=np.float32)  # half the memory

The shipped files are checked against their known SHA-256 checksums (of the uncompressed bytes)
the first time they are read; a file that does not match is refused with a
:class:`DataFileError` instead of silently training on damaged data. Any directory holding the
same four file names (for example Fashion-MNIST, or a data set of your own written in the IDX
format) can be loaded with ``load_mnist(split, path=directory)``; such files are only checked
for consistency (as many labels as images, valid header), since no checksum is known for them.

Decoded files are cached per directory and split, so loading the same split again is fast; every
call still returns new arrays that the caller may modify freely.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ._validate import ShapeError, check_same_columns

__all__ = [
    "DataFileError",
    "SHIPPED_DIR",
    "KNOWN_SHA256",
    "SPLIT_FILES",
    "load_idx",
    "load_mnist",
    "one_hot",
    "train_val_split",
]


class DataFileError(ValueError):
    """A data file exists but cannot be used: it is truncated, not an IDX file, inconsistent
    with its partner file, or (for the shipped MNIST files) its checksum does not match."""


#: Directory holding the four MNIST files shipped with the package. Tests may monkeypatch this
#: to point at a copy; files loaded from this directory are verified against ``KNOWN_SHA256``.
SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "mnist"

#: File names of (images, labels) for each split, as used by MNIST and Fashion-MNIST.
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

#: SHA-256 of the *uncompressed* IDX bytes of the shipped MNIST files (see data/mnist/README.md).
KNOWN_SHA256 = {
    "train-images-idx3-ubyte.gz":
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz":
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz":
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz":
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# IDX type code -> big-endian NumPy dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_RESTORE_HINT = ("restore it with `git checkout course_lib/data/mnist` or reinstall the package")


def _shipped_dir() -> Path:
    """The directory of the shipped files (read at call time so that tests can monkeypatch
    ``SHIPPED_DIR``)."""
    return Path(SHIPPED_DIR)


# --------------------------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------------------------

def _read_idx_bytes(path: Path) -> bytes:
    """Return the uncompressed bytes of an IDX file, gzip'd or raw (decided by content)."""
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise FileNotFoundError(
            f"IDX data file {str(path)!r} {what}. Check the path; for the shipped MNIST files "
            f"{_RESTORE_HINT}.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc})") from exc
    if data[:2] != _GZIP_MAGIC:
        return data  # a raw (uncompressed) IDX file; the header check decides if it is one
    try:
        return gzip.decompress(data)
    except EOFError as exc:
        raise DataFileError(
            f"{path}: the gzip stream is truncated ({len(data)} compressed bytes, the end of the "
            f"stream is missing); the file was probably cut off while copying or downloading"
        ) from exc
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DataFileError(f"{path}: corrupt gzip data ({exc})") from exc


def _parse_idx(raw: bytes, path: Path) -> np.ndarray:
    """Decode the bytes of an IDX file into a read-only array with its IDX shape."""
    if len(raw) < 4:
        raise DataFileError(f"{path}: too short to be an IDX file ({len(raw)} bytes; the header "
                            f"alone needs at least 8)")
    zero0, zero1, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise DataFileError(
            f"{path}: not an IDX file: the magic number is {raw[:4].hex()} but an IDX file "
            f"starts with 00 00, a type code (08 uint8, 09 int8, 0b int16, 0c int32, 0d float32, "
            f"0e float64) and a number of dimensions >= 1 (e.g. 00000803 for MNIST images); "
            f"the file is neither gzip-compressed nor a raw IDX file")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataFileError(f"{path}: truncated header: the magic number announces {ndim} "
                            f"dimensions ({header_len} header bytes) but the file holds "
                            f"{len(raw)} bytes")
    try:
        shape = struct.unpack(f">{ndim}I", raw[4:header_len])
    except struct.error as exc:  # pragma: no cover - guarded by the length check above
        raise DataFileError(f"{path}: unreadable header ({exc})") from exc
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        dims = "x".join(str(d) for d in shape)
        problem = "the file is truncated" if actual < expected else "extra bytes follow the data"
        raise DataFileError(f"{path}: header says {dims} = {expected} bytes of data but the file "
                            f"holds {actual}; {problem}")
    array = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))
        array.flags.writeable = False
    return array


def load_idx(path) -> np.ndarray:
    """Read one IDX file (gzip-compressed or raw) into an array.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Whether it is gzip-compressed is decided from its content, not its name.

    Returns
    -------
    numpy.ndarray
        A new, writable array with the shape stored in the IDX header and the IDX element type
        in native byte order, e.g. ``(60000, 28, 28)`` uint8 for ``train-images-idx3-ubyte.gz``
        and ``(60000,)`` uint8 for ``train-labels-idx1-ubyte.gz``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataFileError
        If the file is not a valid IDX file: corrupt or truncated gzip data, a wrong magic
        number, or a data size that disagrees with the header.
    """
    path = Path(os.fspath(path))
    return np.array(_parse_idx(_read_idx_bytes(path), path))


# --------------------------------------------------------------------------------------------
# MNIST splits
# --------------------------------------------------------------------------------------------

def _locate(directory: Path, name: str) -> Path:
    """``directory/name`` (gzip'd), falling back to the uncompressed name without ``.gz``."""
    gz = directory / name
    raw = directory / name[: -len(".gz")]
    if gz.is_file() or not raw.is_file():
        return gz
    return raw


def _file_stamp(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _load_split_uint8(directory: str, split: str, verify: bool, stamps) -> tuple:
    """Decode (and, if ``verify``, check) one split; cached. ``stamps`` (mtime, size of both
    files) is part of the cache key so that a file replaced on disk is read again.

    Returns ``(X_u8, y_u8)``: read-only uint8 arrays of shapes ``(n_pixels, m)`` (samples as
    columns) and ``(m,)``. ``X_u8`` is the file's bytes seen column by column, not a copy: each
    image's pixels stay next to each other in memory (Fortran order), so a subset of images is
    gathered as fast as rows are, and nothing is transposed until the pixels are scaled.
    """
    del stamps
    directory = Path(directory)
    arrays = []
    for name in SPLIT_FILES[split]:
        path = _locate(directory, name)
        raw = _read_idx_bytes(path)
        if verify:
            digest = hashlib.sha256(raw).hexdigest()
            if digest != KNOWN_SHA256[name]:
                raise DataFileError(
                    f"{path}: SHA-256 mismatch (expected {KNOWN_SHA256[name]}, got {digest}): "
                    f"the file is corrupted or not the original MNIST; {_RESTORE_HINT}")
        arrays.append((path, _parse_idx(raw, path)))
    (images_path, images), (labels_path, labels) = arrays

    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFileError(f"{images_path}: expected uint8 images of shape (m, rows, cols) "
                            f"(IDX type 08, 3 dimensions), got {images.dtype} with shape "
                            f"{images.shape}")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataFileError(f"{labels_path}: expected integer labels of shape (m,), got "
                            f"{labels.dtype} with shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise DataFileError(f"{labels_path}: labels must lie in 0..255, found values from "
                            f"{labels.min()} to {labels.max()}")
    if images.shape[0] != labels.shape[0]:
        raise DataFileError(f"{images_path} holds {images.shape[0]} images but {labels_path} "
                            f"holds {labels.shape[0]} labels; the two files must belong together")

    m = images.shape[0]
    X_u8 = images.reshape(m, -1).T
    y_u8 = labels.astype(np.uint8)
    X_u8.flags.writeable = False
    y_u8.flags.writeable = False
    return X_u8, y_u8


def _check_int(name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    return int(value)


def load_mnist(split: str = "train", *, path=None, subset=None, seed=0, dtype=np.float64,
               verify: bool = True):
    """Load one split of MNIST (or of any IDX data set with the MNIST file names).

    Parameters
    ----------
    split : {"train", "test"}
        ``"train"``: 60,000 images; ``"test"``: 10,000 images. For a validation set, split the
        training data with :func:`train_val_split`, or load it split with
        :func:`load_train_val` (less memory).
    path : str or os.PathLike, optional
        A directory holding ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` (each may also be
        stored uncompressed, without ``.gz``), e.g. Fashion-MNIST. Default: the MNIST files
        shipped in ``course_lib/data/mnist/``.
    subset : int, optional
        If given, return only this many samples, chosen at random without replacement (in
        random order) with ``numpy.random.default_rng(seed)``; the same seed gives the same
        subset.
    seed : int or numpy.random.Generator, default 0
        Randomness for ``subset``; unused otherwise.
    dtype : {numpy.float64, numpy.float32}
        Floating-point type of ``X``.
    verify : bool, default True
        Check the SHA-256 of the shipped files against the known MNIST checksums. Files from
        any other directory have no known checksum and are only checked for consistency.

    Returns
    -------
    X : numpy.ndarray, shape (n_pixels, m)
        One column per image (784 = 28*28 pixels, row-major, for MNIST), values pixel/255 in
        ``[0, 1]``, C-contiguous, of type ``dtype``. A new array on every call.
    y : numpy.ndarray of int64, shape (m,)
        The labels (0-9 for MNIST). A new array on every call.

    Raises
    ------
    ValueError
        For an unknown ``split``, an unsupported ``dtype`` or a bad ``subset``.
    FileNotFoundError
        If a data file is missing.
    DataFileError
        If a file is damaged, fails its checksum, or images and labels do not match.
    """
    _check_split(split)
    dtype = _float_dtype(dtype)
    X_u8, y_u8, directory = _load_uint8(split, path, verify)

    m = y_u8.shape[0]
    if subset is not None:
        k = _check_int("subset", subset)
        if not 1 <= k <= m:
            raise ValueError(f"subset={k} is impossible: the {split} split of {directory} holds "
                             f"{m} samples; choose 1 <= subset <= {m}, or subset=None for all")
        idx = np.random.default_rng(seed).choice(m, size=k, replace=False)
        X_u8, y_u8 = X_u8[:, idx], y_u8[idx]

    return _scaled(X_u8, dtype), y_u8.astype(np.int64)


def load_train_val(n_val: int = 10000, seed=0, *, dtype=np.float64, path=None,
                   verify: bool = True):
    """The training split of MNIST cut into a training and a validation part, exactly as
    ``train_val_split(*load_mnist("train", dtype=dtype), n_val=n_val, seed=seed)`` returns
    them, but without ever holding a float copy of all 60,000 images: the stored bytes are split
    first and each part converted on its own (for float32, about 190 MB less at the peak).

    Parameters
    ----------
    n_val, seed
        As for :func:`train_val_split`.
    dtype, path, verify
        As for :func:`load_mnist`.

    Returns
    -------
    X_train : numpy.ndarray, shape (n_pixels, m - n_val)
    labels_train : numpy.ndarray of int64, shape (m - n_val,)
    X_val : numpy.ndarray, shape (n_pixels, n_val)
    labels_val : numpy.ndarray of int64, shape (n_val,)
    """
    dtype = _float_dtype(dtype)
    X_u8, y_u8, _ = _load_uint8("train", path, verify)
    X_tr, y_tr, X_val, y_val = train_val_split(X_u8, y_u8, n_val=n_val, seed=seed)
    X_tr = _scaled(X_tr, dtype)        # the uint8 part is freed as soon as it is converted
    return X_tr, y_tr.astype(np.int64), _scaled(X_val, dtype), y_val.astype(np.int64)


def load_pixels(split: str = "train", *, path=None, verify: bool = True):
    """The images of a split as stored, ``uint8`` pixels of shape (n_pixels, m) (read-only and
    shared between calls, never copied), and the int64 labels (m,): for code that scales a few
    columns at a time (``X[:, i:j] / 255``) instead of holding a float copy of the whole split."""
    X_u8, y_u8, _ = _load_uint8(split, path, verify)
    return X_u8, y_u8.astype(np.int64)


def _float_dtype(dtype) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from exc
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dtype}")
    return dtype


def _check_split(split) -> None:
    if not isinstance(split, str) or split not in SPLIT_FILES:
        hint = ("; for a validation set use load_train_val, or train_val_split on the training "
                "data" if isinstance(split, str) and split.lower().startswith("val") else "")
        raise ValueError(f'split must be "train" or "test", got {split!r}{hint}')


def _scaled(X_u8: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Pixels (uint8) as ``dtype`` in [0, 1]: a new C-contiguous array."""
    X = np.empty(X_u8.shape, dtype=dtype)
    np.divide(X_u8, dtype.type(255), out=X, dtype=dtype)
    return X


def _load_uint8(split: str, path, verify: bool):
    """The checked, cached uint8 images (n_pixels, m) and labels (m,) of a split, and the
    directory they came from."""
    _check_split(split)

    shipped = _shipped_dir().resolve()
    directory = shipped if path is None else Path(os.fspath(path)).expanduser().resolve()
    if not directory.is_dir():
        raise FileNotFoundError(f"data directory {str(directory)!r} does not exist or is not a "
                                f"directory; pass path= a directory holding the files "
                                f"{', '.join(SPLIT_FILES[split])}")
    do_verify = bool(verify) and directory == shipped
    for name in SPLIT_FILES[split]:
        if not _locate(directory, name).is_file():
            fix = (_RESTORE_HINT if directory == shipped else
                   f"the directory must hold {' and '.join(SPLIT_FILES[split])} for split "
                   f"{split!r} (gzip-compressed, or uncompressed without the .gz suffix)")
            raise FileNotFoundError(f"data file {str(directory / name)!r} is missing; {fix}")
    stamps = tuple(_file_stamp(_locate(directory, name)) for name in SPLIT_FILES[split])
    X_u8, y_u8 = _load_split_uint8(str(directory), split, do_verify, stamps)
    return X_u8, y_u8, directory


# --------------------------------------------------------------------------------------------
# Targets and splits
# --------------------------------------------------------------------------------------------

def one_hot(y, n_classes: int = 10, dtype=np.float64) -> np.ndarray:
    """One-hot targets with samples as columns.

    Parameters
    ----------
    y : array_like of int, shape (m,)
        Class labels in ``0 .. n_classes-1``.
    n_classes : int, default 10
        Number of classes (rows of the result).
    dtype : numpy dtype, default numpy.float64
        Type of the result.

    Returns
    -------
    T : numpy.ndarray, shape (n_classes, m)
        ``T[k, i] = 1`` if ``y[i] == k`` else 0, so ``T.argmax(axis=0)`` gives back ``y``.

    Raises
    ------
    TypeError
        If the labels are not integers (e.g. floats or booleans).
    ValueError
        If a label lies outside ``0 .. n_classes-1`` (the message names it and its position),
        or ``y`` is not 1-D.
    """
    n_classes = _check_int("n_classes", n_classes)
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, got {n_classes}")
    y = np.asarray(y)
    if y.ndim != 1:
        hint = "; pass y.ravel()" if y.ndim == 2 and 1 in y.shape else ""
        raise ShapeError(f"y must be a 1-D array of labels with shape (m,), got shape "
                         f"{y.shape}{hint}")
    if y.size and (y.dtype == bool or not np.issubdtype(y.dtype, np.integer)):
        raise TypeError(f"labels must be integers, got dtype {y.dtype} (e.g. "
                        f"{y.flat[0].item()!r}); if they are whole numbers convert with "
                        f"y.astype(np.int64)")
    bad = np.flatnonzero((y < 0) | (y >= n_classes)) if y.size else np.array([], dtype=int)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"label {int(y[i])} at index {i} is outside 0..{n_classes - 1} "
                         f"(n_classes={n_classes}); {bad.size} label(s) out of range")
    m = y.shape[0]
    T = np.zeros((n_classes, m), dtype=dtype)
    T[y.astype(np.intp, copy=False), np.arange(m)] = 1
    return T


def train_val_split(X, y, n_val: int = 10000, seed=0):
    """Split a data set into training and validation parts, shuffling the columns.

    Parameters
    ----------
    X : array_like, shape (n_features, m)
        Inputs, samples as columns.
    y : array_like, shape (m,) or (n_classes, m)
        Labels, or one-hot targets with samples as columns.
    n_val : int, default 10000
        Number of validation samples, ``1 <= n_val < m``.
    seed : int or numpy.random.Generator, default 0
        The permutation is ``numpy.random.default_rng(seed).permutation(m)``; the same seed gives
        the same split.

    Returns
    -------
    X_train : numpy.ndarray, shape (n_features, m - n_val)
    y_train : numpy.ndarray, shape (m - n_val,) or (n_classes, m - n_val)
    X_val : numpy.ndarray, shape (n_features, n_val)
    y_val : numpy.ndarray, shape (n_val,) or (n_classes, n_val)
        New C-contiguous arrays with the dtypes of the inputs. Every column of ``X`` appears
        exactly once in either ``X_train`` or ``X_val``.

    Raises
    ------
    ShapeError
        If ``X`` is not 2-D, ``y`` is not 1-D or 2-D, or they hold different numbers of samples.
    TypeError, ValueError
        If ``n_val`` is not an integer in ``1 .. m-1``.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ShapeError(f"X must be 2-D with shape (n_features, m), samples as columns; got "
                         f"shape {X.shape}")
    if y.ndim not in (1, 2):
        raise ShapeError(f"y must have shape (m,) (labels) or (n_classes, m) (one-hot), got "
                         f"shape {y.shape}")
    if X.shape[1] != y.shape[-1] and X.shape[0] == y.shape[-1]:
        raise ShapeError(f"X has shape {X.shape} but y holds {y.shape[-1]} samples; it looks like "
                         f"the samples of X are rows: pass X.T (samples are columns)")
    check_same_columns("X", X, "y", y)
    m = X.shape[1]
    n_val = _check_int("n_val", n_val)
    if not 1 <= n_val < m:
        raise ValueError(f"n_val={n_val} is impossible with m={m} samples: it must satisfy "
                         f"1 <= n_val <= {m - 1} so that both parts are non-empty")
    perm = np.random.default_rng(seed).permutation(m)
    val, train = perm[:n_val], perm[n_val:]
    return (np.take(X, train, axis=1), np.take(y, train, axis=-1),
            np.take(X, val, axis=1), np.take(y, val, axis=-1))
