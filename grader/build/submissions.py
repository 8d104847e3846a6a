"""Make submissions from the course's own notebooks: the blank release, the release filled in with
the instructor's solutions (a perfect student), and variants with some answers replaced."""
from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat

from grader.nbgrader.notebooks import (SOLUTION_MARKERS, grade_id, nbgrader_meta, release_notebook,
                                       source_notebook, without_mark_scheme)


def strip_solution_markers(source: str) -> str:
    """The solution as a student would write it: the marker lines removed, indentation kept."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def solution_lines(source: str) -> list[str]:
    """The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (what students write)."""
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() == SOLUTION_MARKERS[0]:
            inside = True
        elif line.strip() == SOLUTION_MARKERS[1]:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def solutions(assignment: str) -> dict[str, str]:
    """Instructor answers by grade id: code and markdown solution cells, markers and rubrics
    (mark schemes) removed."""
    answers = {}
    for cell in source_notebook(assignment).cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            answers[meta["grade_id"]] = strip_solution_markers(without_mark_scheme(cell.source))
    return answers


def edited_solution(assignment: str, gid: str, *replacements) -> Callable[[], str]:
    """A maker of the solution of one answer cell with text replaced, every occurrence
    (``edited_solution("ex1_softmax", "softmax", ("axis=0", "axis=1"))``), read when called, so
    that the course folder can be chosen first."""
    def source():
        text = solutions(assignment)[gid]
        for old, new in replacements:
            if old not in text:
                raise ValueError(f"{assignment}/{gid}: {old!r} is not in the solution")
            text = text.replace(old, new)
        return text
    return source


def filled_release(assignment: str, overrides: dict | None = None) -> nbformat.NotebookNode:
    """The student version with every answer cell filled in from the solutions, then with the
    cells named in ``overrides`` (grade id -> source, or a maker of it) replaced."""
    made = {gid: source() if callable(source) else source
            for gid, source in (overrides or {}).items()}
    answers = {**solutions(assignment), **made}
    nb = copy.deepcopy(release_notebook(assignment))
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in answers and cell.metadata["nbgrader"].get("solution"):
            cell.source = answers[gid]
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
