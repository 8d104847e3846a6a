"""The points an assignment's release offers, read from its cells (independently of the grader):
what a full-marks submission must score, so that tests need no totals written into them."""
from __future__ import annotations

from grader.nbgrader.notebooks import nbgrader_meta, release_notebook


def auto_points(assignment: str) -> float:
    """The points of every autograded test cell of ``assignment``'s release."""
    return sum(float(nbgrader_meta(cell).get("points") or 0)
               for cell in release_notebook(assignment).cells
               if nbgrader_meta(cell).get("grade") and not nbgrader_meta(cell).get("solution"))


def hand_points(assignment: str) -> float:
    """The points of the answers graded by hand (written answers) in ``assignment``'s release."""
    return sum(float(nbgrader_meta(cell).get("points") or 0)
               for cell in release_notebook(assignment).cells
               if nbgrader_meta(cell).get("grade") and nbgrader_meta(cell).get("solution"))
