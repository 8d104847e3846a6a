"""The wire format from the student's kernel to the grader: a plain-data encoding of whatever a
student's function returned, and the checks that make such data safe to use.

A graded function runs in the student's kernel; what it returned crosses into the grader as
plain JSON-ready data (``encode``), is checked for form and size before anything else looks at it
(``validate``), and is turned back into NumPy values where a comparison needs them (``decode``).

Kinds of encoded data::

    {"kind": "array", "shape": [..], "dtype": "float32", "type": "ndarray", "data": base64}
    {"kind": "ints", "value": [..]}          a tuple or list of ints (e.g. a shape)
    {"kind": "bool", "value": true}
    {"kind": "dict", "items": {name: encoded}}
    {"kind": "list", "items": [encoded, ...]} a tuple or list holding arrays, lists or dicts
    {"kind": "none"}                          the function returned nothing
    {"kind": "error", "type": "ValueError", "message": ".."}
    {"kind": "other", "type": "str", "repr": ".."}

Array values always travel as little-endian float64; ``dtype`` records what the student's array
was (float32, int64, bool, ...), so that integer labels survive the trip.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct

import numpy as np

__all__ = ["encode", "decode", "summarize", "validate", "fingerprint", "EncodingError",
           "MAX_FLOATS"]

MAX_FLOATS = 2_000_000             # values in one encoded result (16 MB of float64)
MAX_ITEMS = 10_000                 # entries of one list or dict
MAX_DEPTH = 6                      # nesting of lists and dicts
MAX_TEXT = 500                     # characters kept of an error message or a repr
KINDS = {"array", "ints", "bool", "dict", "list", "none", "error", "other"}
# dtypes an encoded array may claim; anything else is read as float64
DTYPES = {"float16", "float32", "float64", "longdouble", "int8", "int16", "int32", "int64",
          "uint8", "uint16", "uint32", "uint64", "bool"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,80}$")


class EncodingError(ValueError):
    """Harvested data that is not what ``encode`` makes (malformed, too big or too deep)."""


def _text(value, limit: int = MAX_TEXT) -> str:
    """Printable text of at most ``limit`` characters, valid UTF-8 whatever the input held."""
    text = value if isinstance(value, str) else str(value)
    text = text[: limit * 2].encode("utf-8", "replace").decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else "\N{REPLACEMENT CHARACTER}"
                   for ch in text)
    return text[:limit]


def _safe_repr(value) -> str:
    try:
        return _text(repr(value), 200)
    except Exception:  # noqa: BLE001 - a hostile __repr__ is just "an object"
        return f"<{_text(type(value).__name__, 80)} object>"


def _type_name(value) -> str:
    name = type(value).__name__
    return name if isinstance(name, str) and _NAME.match(name) else "object"


def encode(value, _depth: int = 0) -> dict:
    """Turn a result into plain, JSON-ready data without trusting the object.

    Arrays (and anything NumPy turns into a numeric array) become float64 data with their shape
    and original dtype; tuples or lists of ints stay exact (for answers such as shapes); dicts
    and sequences of arrays are encoded item by item; exceptions and ``None`` keep their meaning
    so that feedback can explain them. Sizes are bounded (``MAX_FLOATS``, ``MAX_ITEMS``).
    """
    if isinstance(value, BaseException):
        return {"kind": "error", "type": _type_name(value), "message": _text(value)}
    if value is None:
        return {"kind": "none"}
    if _depth >= MAX_DEPTH:
        return {"kind": "other", "type": _type_name(value), "repr": "nested too deeply to grade"}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return {"kind": "other", "type": "dict", "repr": f"a dict of {len(value)} entries"}
        return {"kind": "dict", "items": {_text(k, 80): encode(v, _depth + 1)
                                          for k, v in value.items()}}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(value)}
    if isinstance(value, (tuple, list)):
        if len(value) > MAX_ITEMS:
            return {"kind": "other", "type": _type_name(value),
                    "repr": f"a sequence of {len(value)} items (too long to grade)"}
        if value and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                         for v in value):
            return {"kind": "ints", "value": [int(v) for v in value]}
        if any(isinstance(v, (np.ndarray, tuple, list, dict)) for v in value):
            return {"kind": "list", "items": [encode(v, _depth + 1) for v in value]}
    try:
        source = np.asarray(value)
        if source.dtype == object:
            raise TypeError("not numeric")
        if source.size > MAX_FLOATS:
            return {"kind": "other", "type": "array",
                    "repr": f"an array of shape {source.shape} (too large to grade)"}
        array = source.astype(np.float64)
    except Exception:  # noqa: BLE001 - any failure means "not numeric"
        return {"kind": "other", "type": _type_name(value), "repr": _safe_repr(value)}
    data = np.ascontiguousarray(array, dtype="<f8").tobytes()
    dtype = source.dtype.name if source.dtype.name in DTYPES else "float64"
    return {"kind": "array", "shape": [int(n) for n in array.shape], "dtype": dtype,
            "type": _type_name(value), "data": base64.b64encode(data).decode("ascii")}


def decode(data: dict):
    """Inverse of ``encode`` for the kinds that carry values (arrays, dicts, lists, ints, bools).

    Integer and boolean arrays come back with their own dtype; floating ones as float64.
    """
    kind = data.get("kind")
    if kind == "array":
        raw = base64.b64decode(data["data"])
        array = np.frombuffer(raw, dtype="<f8").reshape(data["shape"]).astype(np.float64)
        dtype = data.get("dtype", "float64")
        if dtype == "bool" or dtype.startswith(("int", "uint")):
            return array.astype(dtype)
        return array
    if kind == "dict":
        return {k: decode(v) for k, v in data["items"].items()}
    if kind == "list":
        return [decode(v) for v in data["items"]]
    if kind in ("ints", "bool"):
        return tuple(data["value"]) if kind == "ints" else data["value"]
    return data


MATRIX_ROWS = MATRIX_COLUMNS = 10    # arrays up to this size print in full, as matrices
MATRIX_VALUES = 64
MATRIX_WIDTH = 84                  # characters of a matrix row, so messages stay under 90


def _matrix(array: np.ndarray) -> str | None:
    """A small array (a vector, or a matrix of at most ``MATRIX_ROWS`` x ``MATRIX_COLUMNS`` and
    ``MATRIX_VALUES`` values) in full, one row a line, at the highest precision (4 to 2 digits)
    whose rows fit in ``MATRIX_WIDTH`` characters; None for a bigger array. Where the largest
    value is not tiny, values far below it print as 0 (as probabilities next to 1 do)."""
    if array.ndim not in (1, 2) or array.size == 0 or array.size > MATRIX_VALUES or \
            array.shape[0] > (MATRIX_COLUMNS if array.ndim == 1 else MATRIX_ROWS) or \
            array.shape[-1] > MATRIX_COLUMNS:
        return None
    with np.errstate(all="ignore"):
        finite = np.abs(array[np.isfinite(array)]) if array.dtype.kind == "f" else np.abs(array)
        suppress = finite.size > 0 and float(np.max(finite)) >= 1e-2
    text = ""
    for precision in (4, 3, 2):
        text = np.array2string(array, precision=precision, suppress_small=suppress,
                               max_line_width=MATRIX_WIDTH, threshold=MATRIX_VALUES + 1)
        if all(len(line) <= MATRIX_WIDTH for line in text.splitlines()) and \
                len(text.splitlines()) <= (1 if array.ndim == 1 else array.shape[0]):
            break
    return text


def summarize(data: dict, multiline: bool = True) -> str:
    """A short human description of an encoded result: its kind and shape, then its values: a
    small array in full (a matrix one row a line, when ``multiline``), a bigger one with only
    its first and last rows and columns."""
    kind = data.get("kind")
    if kind == "none":
        return "None (the function returned nothing)"
    if kind == "error":
        message = str(data.get("message") or "").strip()      # none: no dangling colon
        return f"an error: {data['type']}" + (f": {message}" if message else "")
    if kind == "other":
        return f"a {data['type']}: {data['repr']}"
    if kind in ("ints", "bool"):
        return repr(decode(data))
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {summarize(v, False)}"
                               for k, v in data["items"].items()) + "}"
    if kind == "list":
        items = data["items"]
        shown = ", ".join(summarize(v, False) for v in items[:2])
        return f"a sequence of {len(items)} items: [{shown}{', ...' if len(items) > 2 else ''}]"
    array = decode(data)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    matrix = _matrix(array) if multiline or array.ndim == 1 else None
    if matrix is not None:
        return f"array of shape {array.shape}:" + ("\n" if array.ndim == 2 else " ") + (
            matrix if array.ndim == 2 else " ".join(matrix.split()))
    shown = np.array2string(np.asarray(array, dtype=float), precision=4, threshold=12,
                            edgeitems=2, suppress_small=True)
    return f"array of shape {array.shape}: {' '.join(shown.split())}"


# --- the trust boundary: harvested data is checked before anything uses it ------------------

def validate(data, budget: list | None = None, _depth: int = 0) -> dict:
    """Check that ``data`` has exactly the form ``encode`` makes, within the size limits, and
    return it with every text made safe. Raises ``EncodingError`` otherwise.

    ``budget`` is a one-element list holding how many more float values may be accepted; it is
    shared across calls so that a whole run's data stays bounded.
    """
    budget = budget if budget is not None else [MAX_FLOATS]
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        raise EncodingError("an encoded result must be a dict with a known 'kind'")
    if _depth > MAX_DEPTH:
        raise EncodingError("encoded results are nested too deeply")
    kind = data["kind"]
    if kind == "array":
        shape = data.get("shape")
        if not (isinstance(shape, list) and len(shape) <= 8 and
                all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape)):
            raise EncodingError("an encoded array needs a shape of at most 8 sizes")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count > budget[0]:
            raise EncodingError(f"more than {MAX_FLOATS:,} values were handed over")
        payload = data.get("data")
        if not isinstance(payload, str) or len(payload) != 4 * ((8 * count + 2) // 3):
            raise EncodingError("an encoded array's data does not match its shape")
        try:
            base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise EncodingError("an encoded array's data is not base64") from None
        budget[0] -= count
        dtype = data.get("dtype", "float64")
        return {"kind": "array", "shape": shape, "data": payload,
                "dtype": dtype if dtype in DTYPES else "float64",
                "type": _text(data.get("type", "ndarray"), 80)}
    if kind == "ints":
        value = data.get("value")
        if not (isinstance(value, list) and len(value) <= MAX_ITEMS and
                all(isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**63
                    for v in value)):
            raise EncodingError("encoded ints must be a list of integers")
        budget[0] -= len(value)
        return {"kind": "ints", "value": list(value)}
    if kind == "bool":
        if not isinstance(data.get("value"), bool):
            raise EncodingError("an encoded bool must be true or false")
        return {"kind": "bool", "value": data["value"]}
    if kind == "dict":
        items = data.get("items")
        if not isinstance(items, dict) or len(items) > MAX_ITEMS:
            raise EncodingError("an encoded dict must hold at most "
                                f"{MAX_ITEMS:,} items")
        return {"kind": "dict", "items": {_text(k, 80): validate(v, budget, _depth + 1)
                                          for k, v in items.items()}}
    if kind == "list":
        items = data.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise EncodingError(f"an encoded list must hold at most {MAX_ITEMS:,} items")
        return {"kind": "list", "items": [validate(v, budget, _depth + 1) for v in items]}
    if kind == "error":
        return {"kind": "error", "type": _text(data.get("type", "Error"), 80),
                "message": _text(data.get("message", ""))}
    if kind == "other":
        return {"kind": "other", "type": _text(data.get("type", "object"), 80),
                "repr": _text(data.get("repr", ""), 200)}
    return {"kind": "none"}


# --- recognising the exact inputs of a case ---------------------------------------------------

def fingerprint(value) -> str:
    """A digest of a value's exact contents (arrays by dtype, shape and bytes; dicts by sorted
    keys), the same in any process; used to recognise a case's exact inputs."""
    digest = hashlib.sha256()

    def feed(item, depth=0):
        if depth > MAX_DEPTH:
            digest.update(b"?")
        elif isinstance(item, np.ndarray):
            digest.update(b"A" + item.dtype.str.encode() + repr(item.shape).encode())
            digest.update(np.ascontiguousarray(item).tobytes())
        elif isinstance(item, (bool, np.bool_)):
            digest.update(b"B1" if item else b"B0")
        elif isinstance(item, (int, np.integer)):
            digest.update(b"I" + str(int(item)).encode() + b";")
        elif isinstance(item, (float, np.floating)):
            digest.update(b"F" + struct.pack("<d", float(item)))
        elif isinstance(item, str):
            digest.update(b"S" + item.encode("utf-8", "replace") + b"\0")
        elif item is None:
            digest.update(b"N")
        elif isinstance(item, dict):
            digest.update(b"D%d" % len(item))
            for key in sorted(item, key=str):
                feed(str(key), depth + 1)
                feed(item[key], depth + 1)
        elif isinstance(item, (tuple, list)):
            digest.update(b"L%d" % len(item))
            for part in item:
                feed(part, depth + 1)
        else:
            digest.update(b"O" + type(item).__name__.encode())

    feed(value)
    return digest.hexdigest()
