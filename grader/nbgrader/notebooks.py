"""The one reader of the course's nbgrader notebooks (the instructor's source and the students'
release) and of the nbgrader metadata of their cells."""
from __future__ import annotations

import json
import re

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
        return cells_of(handle.read())


def cells_of(text: str) -> list[dict]:
    """The cells of a notebook given as its JSON text, as ``notebook_cells`` reads them."""
    cells = json.loads(text)["cells"]
    for cell in cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return cells


def source_cells(assignment: str) -> list[dict]:
    """The instructor's notebook's cells, as ``notebook_cells``."""
    return notebook_cells(source_path(assignment))


# --- the hand-graded answers: model answer and rubric ----------------------------------------
#
# A hand-graded answer cell (markdown, nbgrader solution and grade, points > 0) of the source
# holds, inside its solution region, the model answer and then the rubric between nbgrader's
# mark-scheme markers:
#
#     ### BEGIN SOLUTION
#     the model answer
#     === BEGIN MARK SCHEME ===
#     **Criteria (N points)**, one "- **k points:** ..." item per criterion (summing to N),
#     **Also accept** (accepted alternatives), **Common wrong answers**
#     === END MARK SCHEME ===
#     ### END SOLUTION
#
# nbgrader's ClearSolutions replaces the whole solution region by the stub, so the rubric never
# reaches the release. `python -m grader build` keeps it in grader/expected/rubrics.json, and the
# grader shows it to the marker below the student's answer in the autograded notebook.

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
MARK_SCHEME_MARKERS = ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ===")
RUBRIC_SECTIONS = ("Criteria", "Also accept", "Common wrong answers")
RUBRICS_FILE = "rubrics.json"                    # in grader/expected/, written by the build
_CRITERION = re.compile(r"^\s*[-*]\s+\*\*(\d+(?:\.\d+)?) points?\b[^*]*:\*\*", re.M)


def is_hand_graded(cell) -> bool:
    """A written answer graded by hand: a markdown cell that is an nbgrader solution and grade
    cell with points."""
    meta = nbgrader_meta(cell)
    return (cell.get("cell_type") == "markdown" and bool(meta.get("solution"))
            and bool(meta.get("grade")) and float(meta.get("points") or 0) > 0)


def _region(lines: list[str], markers: tuple[str, str]) -> tuple[list[str], list[str]]:
    """(the lines outside the markers' regions, the lines inside them), marker lines dropped."""
    outside, inside, within = [], [], False
    for line in lines:
        if line.strip() == markers[0]:
            within = True
        elif line.strip() == markers[1]:
            within = False
        else:
            (inside if within else outside).append(line)
    return outside, inside


def without_mark_scheme(source: str) -> str:
    """The cell's source with its mark-scheme regions (and their markers) removed."""
    return "\n".join(_region(source.split("\n"), MARK_SCHEME_MARKERS)[0])


def model_answer(source: str) -> str:
    """The model answer of an answer cell: its solution region without the mark scheme."""
    _, solution = _region(without_mark_scheme(source).split("\n"), SOLUTION_MARKERS)
    return "\n".join(solution).strip()


def mark_scheme(source: str) -> str:
    """The rubric of an answer cell: the text between the mark-scheme markers ('' if none)."""
    return "\n".join(_region(source.split("\n"), MARK_SCHEME_MARKERS)[1]).strip()


def rubric_criteria(rubric: str) -> list[float]:
    """The points of each criterion of a rubric ("- **2 points:** ..." items)."""
    return [float(points) for points in _CRITERION.findall(rubric)]


def rubric_problems(cell) -> list[str]:
    """What a hand-graded cell's rubric lacks (an empty list when it is complete)."""
    meta, source = nbgrader_meta(cell), cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    gid, points = meta.get("grade_id"), float(meta.get("points") or 0)
    rubric = mark_scheme(source)
    if not rubric:
        return [f"{gid}: no rubric (between {MARK_SCHEME_MARKERS[0]!r} and "
                f"{MARK_SCHEME_MARKERS[1]!r}, inside the solution)"]
    problems = []
    outside, _ = _region(source.split("\n"), SOLUTION_MARKERS)
    if mark_scheme("\n".join(outside)):
        problems.append(f"{gid}: the rubric must sit inside the solution region")
    if not model_answer(source):
        problems.append(f"{gid}: no model answer before the rubric")
    missing = [name for name in RUBRIC_SECTIONS if f"**{name}" not in rubric]
    if missing:
        problems.append(f"{gid}: the rubric has no section {', '.join(missing)}")
    criteria = rubric_criteria(rubric)
    if sum(criteria) != points:
        problems.append(f"{gid}: the rubric's criteria give {sum(criteria):g} points "
                        f"({' + '.join(f'{p:g}' for p in criteria) or 'none'}), the cell "
                        f"{points:g}")
    return problems


def hand_graded_answers(cells) -> dict[str, dict]:
    """grade id -> {"points", "model_answer", "rubric"} of every hand-graded cell of a source
    notebook's cells (as ``notebook_cells`` reads them), in notebook order."""
    answers = {}
    for cell in cells:
        if is_hand_graded(cell):
            meta = nbgrader_meta(cell)
            answers[meta["grade_id"]] = {"points": float(meta.get("points") or 0),
                                         "model_answer": model_answer(cell["source"]),
                                         "rubric": mark_scheme(cell["source"])}
    return answers


def stored_rubrics(assignment: str) -> dict[str, dict]:
    """What the last build stored of an assignment's hand-graded answers (see
    ``hand_graded_answers``); {} when there is nothing (an older build)."""
    import json

    try:
        stored = json.loads((course.EXPECTED_DIR / RUBRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = stored.get(assignment) if isinstance(stored, dict) else None
    return found if isinstance(found, dict) else {}
