"""What a feedback page quotes from the release notebook (the student version): the assignment's
title and the markdown that describes what a test checks. Only markdown is quoted: test-cell
sources and answer cells are never included, and neither the expected results nor the
solutions are read.
"""
from __future__ import annotations

import functools
import re

from grader.nbgrader.notebooks import nbgrader_meta, release_notebook


@functools.lru_cache(maxsize=None)
def _release_cells(assignment: str) -> tuple:
    """(cell type, source, nbgrader metadata) of the student version's cells; () if missing."""
    try:
        nb = release_notebook(assignment)
    except Exception:  # noqa: BLE001 - no task text is better than no page
        return ()
    cells = []
    for cell in nb.cells:
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append((cell.get("cell_type"), str(source), nbgrader_meta(cell)))
    return tuple(cells)


def task_markdown(assignment: str, test_id: str) -> str:
    """The markdown that describes what a test checks, from the release notebook.

    The last run of markdown cells between the previous graded or answer cell and the answer
    cell the test belongs to (``test_X`` checks answer ``X``; otherwise the test cell itself).
    When there is none, several answers share one description: the nearest markdown before.
    Answer cells (solution cells, which hold the student's text) are never included.
    """
    if not assignment:
        return ""
    cells = _release_cells(assignment)
    index = {meta.get("grade_id"): i for i, (_, _, meta) in enumerate(cells)
             if meta.get("grade_id")}
    if test_id not in index:
        return ""
    answer = test_id[len("test_"):] if test_id.startswith("test_") else ""
    anchor = index[answer] if index.get(answer, len(cells)) < index[test_id] else index[test_id]

    def boundary(i: int) -> bool:
        meta = cells[i][2]
        return bool(meta.get("grade") or meta.get("solution"))

    def description(i: int) -> bool:
        kind, source, meta = cells[i]
        return kind == "markdown" and not meta.get("solution") and bool(source.strip())

    start = anchor - 1
    while start >= 0 and not boundary(start):
        start -= 1
    end = anchor - 1                               # the last description cell in (start, anchor)
    while end > start and not description(end):
        end -= 1
    if end == start:                               # nothing in between: a shared description
        end = start
        while end >= 0 and not description(end):
            end -= 1
        if end < 0:
            return ""
    first = end
    # the run of markdown, back to the heading that starts its section (not the cells before it)
    while first - 1 >= 0 and description(first - 1) and \
            not cells[first][1].lstrip().startswith("#"):
        first -= 1
    return "\n\n".join(cells[i][1] for i in range(first, end + 1))


def assignment_title(assignment: str) -> str:
    """The first heading of the release notebook, e.g. "Exercise 1: the sigmoid ..."."""
    for kind, source, _ in _release_cells(assignment) if assignment else ():
        if kind == "markdown":
            heading = re.match(r"\s*#+\s+(.+)", source)
            return heading.group(1).strip() if heading else ""
    return ""
