"""Where the course lives and the seed of the hidden tests.

Instructors: the hidden tests' inputs are generated from ``HIDDEN_SEED``. The value committed
here is public, so for a real class pick your own, run ``python -m grader build``, and keep the
regenerated ``grader/expected/`` out of anything students can see.
"""
from pathlib import Path

from course_lib.exercises import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "solutions"
RELEASE_DIR = ROOT / "notebooks"
EXPECTED_DIR = ROOT / "grader" / "expected"
WORK_DIR = ROOT / "course"          # gradebook, submissions, feedback, exchange (not committed)
HIDDEN_SEED = 20261122

__all__ = ["ROOT", "SOURCE_DIR", "RELEASE_DIR", "EXPECTED_DIR", "WORK_DIR", "HIDDEN_SEED",
           "ASSIGNMENTS"]
