"""From a submitted file to the notebook the grader executes.

The instructor's source notebook is the truth for everything but the answers:

* answer cells are taken from the submission, matched by their nbgrader grade id (or, when an
  editor dropped the metadata, by the names they define); a missing answer runs as the stub;
* test cells are never taken from the submission: each becomes a *harvest* cell that runs the
  student's objects on the check inputs and hands the results over as plain data;
* other instructor code cells run as the instructor wrote them; those tagged ``skip-grading``
  (slow demos, widgets) do not run at all;
* code cells the student added run after the cell they followed.

So editing, deleting, duplicating, reordering or retyping cells, or changing points and metadata,
cannot change what is graded or how much it is worth.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SKIP_TAG = "skip-grading"
MAX_BYTES = 50 * 1024 * 1024
CHECK_CALL = re.compile(r"^\s*(check|check_hidden)\(\s*\"(\w+)\"\s*,\s*(.+?)\s*\)\s*$")


class Rejected(Exception):
    """The file cannot be graded; the message says why and what to do."""


# --- reading a submission ----------------------------------------------------------------------

def read_submission(path: Path, max_bytes: int = MAX_BYTES) -> tuple[list[dict], list[str]]:
    """The cells of a submitted notebook as plain dicts, and notes about what was unusual.

    Accepts nbformat 3 and 4, any editor's metadata, sources stored as strings or lists. Raises
    ``Rejected`` with a reason a person can act on for anything that is not a notebook.
    """
    size = path.stat().st_size
    if size == 0:
        raise Rejected("the file is empty: save the notebook in Jupyter and submit it again")
    if size > max_bytes:
        raise Rejected(f"the file is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB "
                       "limit: clear the outputs (Edit > Clear Outputs of All Cells), save and "
                       "submit again")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Rejected(f"not a notebook: the file is binary, not text (it starts with bytes "
                       f"{raw[:4].hex(' ')}); submit the .ipynb file itself") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Rejected(f"not a notebook: invalid JSON at line {error.lineno}, column "
                       f"{error.colno} ({error.msg}); the file was cut off or edited outside "
                       "Jupyter: open it in Jupyter, or submit an earlier copy") from None
    if not isinstance(data, dict):
        raise Rejected("not a notebook: the JSON holds no notebook (no 'cells')")
    notes = []
    major = data.get("nbformat")
    if major == 3 or "worksheets" in data:
        try:
            data = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
            notes.append("converted from the old notebook format 3")
        except Exception as error:  # noqa: BLE001
            raise Rejected(f"an old notebook format that cannot be converted: {error}") from None
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise Rejected("not a notebook: the JSON has no list of 'cells'")
    clean = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        clean.append({"cell_type": cell.get("cell_type", "code"), "source": str(source),
                      "id": cell.get("id"), "metadata": metadata})
    return clean, notes


# --- the instructor's side ---------------------------------------------------------------------

def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def defined_names(source: str) -> set[str]:
    """Top-level functions and variables a cell defines (for matching cells without metadata)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^def (\w+)\(", source, flags=re.M))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def check_calls(test_source: str) -> list[tuple[str, str, str]]:
    """``(check_name, variant, expression)`` for every check call in a source test cell."""
    calls = []
    for line in test_source.splitlines():
        match = CHECK_CALL.match(line)
        if match:
            function, name, expression = match.groups()
            calls.append((name, "hidden" if function == "check_hidden" else "visible",
                          expression))
    return calls


@dataclass
class TestCell:
    grade_id: str
    points: float
    calls: list            # (check name, variant, expression)


@dataclass
class Blueprint:
    """What grading an assignment needs from its source notebook."""
    assignment: str
    cells: list                                   # source cells as dicts, in order
    answers: dict = field(default_factory=dict)   # grade id -> defined names (code answers)
    manual: dict = field(default_factory=dict)    # grade id -> points (hand-graded answers)
    tests: dict = field(default_factory=dict)     # grade id -> TestCell
    stubs: dict = field(default_factory=dict)     # grade id -> release stub source

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests.values())


def blueprint(assignment: str, source_path: Path, release_path: Path) -> Blueprint:
    source = json.loads(nbformat.writes(nbformat.read(source_path, as_version=4)))["cells"]
    release = json.loads(nbformat.writes(nbformat.read(release_path, as_version=4)))["cells"]
    for cells in (source, release):
        for cell in cells:
            if isinstance(cell["source"], list):
                cell["source"] = "".join(cell["source"])
    stubs = {nbgrader_meta(c).get("grade_id"): c["source"] for c in release
             if nbgrader_meta(c).get("solution")}
    plan = Blueprint(assignment, source, stubs=stubs)
    for cell in source:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if meta.get("grade") and not meta.get("solution"):
            calls = check_calls(cell["source"])
            if not calls:
                raise ValueError(f"{source_path}: test cell {gid} holds no check(...) call")
            plan.tests[gid] = TestCell(gid, float(meta.get("points", 0)), calls)
        elif meta.get("solution") and cell["cell_type"] == "code":
            plan.answers[gid] = defined_names(cell["source"])
        elif meta.get("solution"):
            plan.manual[gid] = float(meta.get("points", 0)) if meta.get("grade") else 0.0
    return plan


# --- matching a submission to the blueprint ----------------------------------------------------

@dataclass
class Matched:
    answers: dict                 # grade id -> source to run
    manual_answered: dict         # grade id -> bool (changed from the stub)
    extra: dict                   # index of the source cell to follow -> [(source, position)]
    notes: list
    positions: dict = field(default_factory=dict)   # answer grade id -> cell number (1-based)


def match(plan: Blueprint, cells: list[dict]) -> Matched:
    notes: list[str] = []
    by_id: dict[str, list[dict]] = {}
    for cell in cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid:
            by_id.setdefault(gid, []).append(cell)
    source_ids = {c.get("id") for c in plan.cells if c.get("id")}
    used: set[int] = set()
    answers, positions = {}, {}
    number = {id(c): i for i, c in enumerate(cells, start=1)}
    for gid, names in plan.answers.items():
        candidates = [c for c in by_id.get(gid, []) if c["cell_type"] in ("code", "markdown")]
        if len(candidates) > 1:
            changed = [c for c in candidates if c["source"].strip() != plan.stubs.get(gid, "").strip()]
            notes.append(f"answer cell {gid!r} appears {len(candidates)} times; the last "
                         f"{'edited ' if changed else ''}copy is graded")
            candidates = changed or candidates
        cell = candidates[-1] if candidates else None
        if cell is None and names:
            cell = next((c for c in cells if c["cell_type"] == "code" and id(c) not in used
                         and not nbgrader_meta(c).get("grade_id")
                         and names <= defined_names(c["source"])), None)
            if cell is not None:
                notes.append(f"answer cell {gid!r} had lost its grading metadata; it was found "
                             f"by the names it defines ({', '.join(sorted(names))})")
        if cell is None:
            notes.append(f"answer cell {gid!r} is missing from the submission; graded as not "
                         "answered")
            answers[gid] = plan.stubs.get(gid, "raise NotImplementedError()")
            continue
        if cell["cell_type"] != "code":
            notes.append(f"answer cell {gid!r} was turned into a {cell['cell_type']} cell; its "
                         "text was run as code")
        used.add(id(cell))
        answers[gid] = cell["source"]
        positions[gid] = number[id(cell)]
    manual = {}
    for gid in plan.manual:
        cell = (by_id.get(gid) or [None])[-1]
        manual[gid] = bool(cell) and cell["source"].strip() not in ("", "YOUR ANSWER HERE")
    # student code cells that correspond to nothing in the source follow the cell before them
    index_of_source_id = {c.get("id"): i for i, c in enumerate(plan.cells) if c.get("id")}
    index_of_grade_id = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(plan.cells)
                         if nbgrader_meta(c).get("grade_id")}
    # an editor that drops or duplicates cell ids still keeps the text of the given cells
    index_of_text = {c["source"].strip(): i for i, c in enumerate(plan.cells)
                     if c["cell_type"] == "code" and c["source"].strip()}
    extra: dict[int, list[tuple[str, int]]] = {}
    anchor = -1
    for cell in cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in index_of_grade_id:
            anchor = index_of_grade_id[gid]
        elif cell["source"].strip() in index_of_text and id(cell) not in used:
            anchor = index_of_text[cell["source"].strip()]
        elif cell.get("id") in source_ids and id(cell) not in used:
            anchor = index_of_source_id[cell["id"]]
        elif cell["cell_type"] == "code" and id(cell) not in used and cell["source"].strip():
            extra.setdefault(anchor, []).append((cell["source"], number[id(cell)]))
    return Matched(answers, manual, extra, notes, positions)


# --- the notebook to execute ---------------------------------------------------------------

def harvest_source(plan: Blueprint, test: TestCell, nonce: str, stored: dict) -> str:
    """The cell that replaces a test cell: it runs the student's objects on each case (made from
    the case's own seed, never the course's hidden seed) and hands the records over."""
    cases = [[[case["seed"], case.get("stand_ins", {})] for case in stored["checks"][name][variant]]
             for name, variant, _ in test.calls]
    calls = ",\n    ".join(f"({name!r}, {variant!r}, _grader_cases[{i}], lambda: ({expression}))"
                           for i, (name, variant, expression) in enumerate(test.calls))
    return (f"import json as _grader_json\n"
            f"from course_lib.exercises import harvest as _grader_harvest\n"
            f"_grader_cases = _grader_json.loads({json.dumps(cases)!r})\n"
            f"_grader_harvest({plan.assignment!r}, {nonce!r}, {test.grade_id!r}, [\n    {calls},\n])")


def grading_notebook(plan: Blueprint, matched: Matched, nonce: str, stored: dict
                     ) -> tuple[nbformat.NotebookNode, list[dict]]:
    """The notebook to execute, and for each of its cells what it is (for error reports)."""
    nb = nbformat.v4.new_notebook()
    roles = []

    def add(source: str, role: dict):
        nb.cells.append(nbformat.v4.new_code_cell(source))
        roles.append(role)

    for slot in [-1] + list(range(len(plan.cells))):
        if slot >= 0:
            cell = plan.cells[slot]
            meta = nbgrader_meta(cell)
            gid = meta.get("grade_id")
            tags = cell.get("metadata", {}).get("tags", [])
            if cell["cell_type"] == "code" and SKIP_TAG not in tags:
                if gid in plan.tests:
                    add(harvest_source(plan, plan.tests[gid], nonce, stored),
                        {"kind": "test", "grade_id": gid, "position": slot + 1})
                elif gid in plan.answers:
                    add(matched.answers[gid], {"kind": "answer", "grade_id": gid,
                                               "position": matched.positions.get(gid)})
                else:
                    add(cell["source"], {"kind": "given", "grade_id": gid,
                                         "position": slot + 1})
        for source, position in matched.extra.get(slot, []):
            add(source, {"kind": "extra", "grade_id": None, "position": position})
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb, roles
