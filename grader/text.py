"""Any text the grader was handed (a file name, a kernel's message) as text that can always be
written: valid UTF-8, with no lone surrogates."""
from __future__ import annotations


def readable(name: str) -> str:
    """A file name as text that can always be written (UTF-8, no lone surrogates): bytes that
    were not UTF-8 are read as Latin-1, which is what old zip tools wrote."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:                     # a lone surrogate that is not an escape
        return name.encode("utf-8", "replace").decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


STUB_NOTE = "the stub is still there: replace `raise NotImplementedError()` with your code"


def exception_text(name: str, message: str = "") -> str:
    """An exception for a reason or note: "Name: message", never ending in an empty message. An
    exception without one is its name alone, and a bare ``NotImplementedError`` (the stub of an
    answer) says what to do: "NotImplementedError (the stub is still there: ...)"."""
    message = str(message).strip()
    if message:
        return f"{name}: {message}"
    return f"{name} ({STUB_NOTE})" if name == "NotImplementedError" else name


def error_text(error: BaseException) -> str:
    """``exception_text`` of a raised exception."""
    return exception_text(type(error).__name__, str(error))
