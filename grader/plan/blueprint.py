"""What grading an assignment needs from the instructor's source and release notebooks: its
answer cells, hand-graded answers, test cells with their check calls, and the released stubs."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from grader.nbgrader.notebooks import cells_of, nbgrader_meta

SKIP_TAG = "skip-grading"
MAX_PARSED_CELL = 100_000         # characters of one cell that are parsed to find its names
CHECK_CALL = re.compile(r"^\s*(check|check_hidden)\(\s*\"(\w+)\"\s*,\s*(.+?)\s*\)\s*$")


def defined_names(source: str, parse: bool = True) -> set[str]:
    """Top-level functions and variables a cell defines (for matching cells without metadata).

    With ``parse`` False (the caller's parsing budget is spent) or for code that does not parse,
    the names come from ``def name(`` and ``name =`` at the start of lines."""
    try:
        if not parse or len(source) > MAX_PARSED_CELL:
            raise SyntaxError("not parsed")
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(re.findall(r"^def (\w+)\(", source, flags=re.M)) | \
            set(re.findall(r"^(\w+)\s*=[^=]", source, flags=re.M))
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
    released: dict = field(default_factory=dict)  # grade id -> the cell as students get it

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests.values())


def blueprint(assignment: str, source_notebook: str, release_notebook: str) -> Blueprint:
    """The blueprint of ``assignment`` from its source and release notebooks (their JSON text)."""
    source, release = cells_of(source_notebook), cells_of(release_notebook)
    released = {nbgrader_meta(c).get("grade_id"): c["source"] for c in release
                if nbgrader_meta(c).get("grade_id")}
    stubs = {gid: text for gid, text in released.items()
             if gid in {nbgrader_meta(c).get("grade_id") for c in release
                        if nbgrader_meta(c).get("solution")}}
    plan = Blueprint(assignment, source, stubs=stubs, released=released)
    for cell in source:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if meta.get("grade") and not meta.get("solution"):
            calls = check_calls(cell["source"])
            if not calls:
                raise ValueError(f"{assignment}: test cell {gid} of the source notebook holds no "
                                 "check(...) call")
            plan.tests[gid] = TestCell(gid, float(meta.get("points", 0)), calls)
        elif meta.get("solution") and cell["cell_type"] == "code":
            plan.answers[gid] = defined_names(cell["source"])
        elif meta.get("solution"):
            plan.manual[gid] = float(meta.get("points", 0)) if meta.get("grade") else 0.0
    return plan



