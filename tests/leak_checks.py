"""What no page or notebook shown to a person may hold: hidden test code, the hidden seed, or the
expected values of hidden cases (those the visible cases do not show as well)."""
from __future__ import annotations

import functools
import json
import re

import numpy as np

from course_lib.checks import decode
from grader import course


def _formatted(values) -> set[str]:
    found = set()
    for value in values:
        if isinstance(value, dict):
            found |= _formatted(value.values()) if "kind" not in value else set()
        elif isinstance(value, (list, tuple)):
            found |= _formatted(value)
        else:
            for v in np.ravel(np.asarray(value, dtype=float)):
                found.add(f"{v:.4g}")
    return {text for text in found if len(text) >= 5}


@functools.lru_cache(maxsize=None)
def hidden_secrets(assignment: str) -> tuple[int, frozenset]:
    """(hidden seed, the expected values of hidden cases as 4 significant digits)."""
    stored = json.loads((course.EXPECTED_DIR / f"{assignment}.json").read_text())
    hidden = _formatted(decode(e["expected"]) for c in stored["checks"].values()
                        for e in c["hidden"])
    public = _formatted(decode(e["expected"]) for c in stored["checks"].values()
                        for e in c["visible"])
    secret = hidden - public              # values the visible cases also show are not secret
    assert len(secret) > 50
    return stored["hidden_seed"], frozenset(secret)


def leaks(text: str, assignment: str) -> list[str]:
    """Everything secret that ``text`` shows (an empty list when it shows nothing)."""
    seed, secret = hidden_secrets(assignment)
    found = [marker for marker in ("check_hidden", "BEGIN HIDDEN", str(seed)) if marker in text]
    return found + sorted(v for v in secret
                          if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", text))
