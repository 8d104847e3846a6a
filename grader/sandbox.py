"""Where a submission's kernel runs.

``choose`` returns the best isolation this machine offers. Without a sandbox the kernel still gets
resource limits and a private working folder, but it can read any file the grader can read: the
grader says so loudly.
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Variables passed to the kernel; everything else (tokens, credentials) is dropped.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                  "MKL_NUM_THREADS", "VIRTUAL_ENV", "PYTHONHASHSEED")


@dataclass
class Sandbox:
    description: str
    prefix: list = field(default_factory=list)   # command put in front of the kernel command
    transport: str = "tcp"
    home: str = ""

    def environment(self, parent: dict) -> dict:
        env = {key: parent[key] for key in KEPT_VARIABLES if key in parent}
        env.update(HOME=self.home, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
        return env


FALLBACK_WARNING = ("WARNING: no sandbox available: submissions run with resource limits in a "
                    "private folder, but they can read the grader's files, including the "
                    "expected results (install bubblewrap for isolation)")


def choose(scratch: Path) -> Sandbox:
    """Rlimits plus a private working folder (the fallback)."""
    return Sandbox("rlimits only (no isolation from the grader's files)", home=str(scratch))


def describe() -> tuple[str, str]:
    """(kind, warning or "") of the isolation ``choose`` will give, for the grader to announce."""
    return "rlimits", FALLBACK_WARNING


def python_prefix() -> str:
    """The prefix of the Python installation (what the kernel must be able to read)."""
    return sys.prefix


def bubblewrap() -> str | None:
    return shutil.which("bwrap")
