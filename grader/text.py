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
