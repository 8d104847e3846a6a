"""What a feedback page quotes from the release notebook (the student version): the assignment's
title, the markdown that describes what a test checks and the titles of the written answers. Only markdown is quoted: test-cell
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


# a bold lead-in "**Derivation of stage 8 (graded by hand).**", or a heading's text
_BOLD_LEAD = re.compile(r"\s*\*\*(.+?)\*\*", re.S)
_HEADING = re.compile(r"^\s{0,3}#+\s+(.+?)\s*#*\s*$", re.M)
_GRADING_NOTE = re.compile(r"\s*\((?:graded by hand|not graded)\)|"
                           r",\s*(?:graded by hand|not graded)(?=\))", re.I)
_GENERIC = {"question", "answer", "your answer", "task", "exercise"}
TITLE_CHARS = 120


def _clean_title(text: str) -> str:
    """A lead-in or heading as a title: without its grading note ("(graded by hand)"), its
    section number ("7. ") and closing full stop, on one line, bounded."""
    text = " ".join(text.split())
    text = _GRADING_NOTE.sub("", text)
    text = re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", text)
    text = re.sub(r"\s*\([^()]*\)\s*$", "", text) if text.endswith(")") and \
        re.search(r"\((?:seed )?exercise [^()]*\)$", text) else text
    text = text.strip().rstrip(".:").strip()
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1].rstrip() + "\u2026"


def answer_title(assignment: str, grade_id: str) -> str:
    """The title of a written (hand-graded) answer, for people: a name in the answer cell's
    metadata (``metadata.nbgrader.name`` or ``metadata.title``) if the release gives one; else the
    bold lead-in or heading of its task text (``task_markdown``), e.g. "Derivation of stage 8"
    for "**Derivation of stage 8 (graded by hand).** Show that ..."; else, when that lead-in
    is generic ("Question"), the heading of the section the answer is in. "" when there is none
    (the page shows the grade id then)."""
    if not assignment:
        return ""
    cells = _release_cells(assignment)
    at = next((i for i, (_, _, meta) in enumerate(cells) if meta.get("grade_id") == grade_id),
              None)
    if at is None:
        return ""
    named = cells[at][2].get("name") or _cell_titles(assignment).get(grade_id)
    if isinstance(named, str) and named.strip():
        return _clean_title(named)
    task = task_markdown(assignment, grade_id)
    lead = _BOLD_LEAD.match(task) or _HEADING.match(task.lstrip())
    title = _clean_title(lead.group(1)) if lead else ""
    if title and title.lower() not in _GENERIC:
        return title
    for kind, source, _ in reversed(cells[:at]):   # the section's heading
        headings = _HEADING.findall(source) if kind == "markdown" else []
        if headings:
            section = _clean_title(headings[-1])
            return f"{title}: {section}" if title else section
    return title


@functools.lru_cache(maxsize=None)
def _cell_titles(assignment: str) -> dict:
    """grade id -> ``metadata.title`` of the release's cells that have one."""
    try:
        nb = release_notebook(assignment)
    except Exception:  # noqa: BLE001 - no title is better than no page
        return {}
    titles = {}
    for cell in nb.cells:
        gid, title = nbgrader_meta(cell).get("grade_id"), cell.get("metadata", {}).get("title")
        if gid and isinstance(title, str):
            titles[gid] = title
    return titles
