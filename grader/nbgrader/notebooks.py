"""The one reader of the course's nbgrader notebooks (the instructor's source and the students'
release) and of the nbgrader metadata of their cells."""
from __future__ import annotations

import json

from grader import course


def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` (grade_id, solution, grade, locked, points), or {}."""
    meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def source_path(assignment: str):
    return course.SOURCE_DIR / assignment / f"{assignment}.ipynb"


def release_path(assignment: str):
    return course.RELEASE_DIR / assignment / f"{assignment}.ipynb"


def source_notebook(assignment: str):
    """The instructor's notebook (solutions and hidden tests), as an ``nbformat`` node."""
    import nbformat

    return nbformat.read(source_path(assignment), as_version=4)


def release_notebook(assignment: str):
    """The students' notebook as released, as an ``nbformat`` node."""
    import nbformat

    return nbformat.read(release_path(assignment), as_version=4)


def notebook_cells(path) -> list[dict]:
    """A notebook's cells as plain dicts (format 4, sources joined), read without nbformat."""
    with open(path, encoding="utf-8") as handle:
        cells = json.load(handle)["cells"]
    for cell in cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return cells


def source_cells(assignment: str) -> list[dict]:
    """The instructor's notebook's cells, as ``notebook_cells``."""
    return notebook_cells(source_path(assignment))
