"""The notebook the grader executes: the instructor's cells, the student's answers and added code
in their places, and each test cell replaced by a cell that harvests the student's results."""
from __future__ import annotations

from grader.nbgrader.notebooks import nbgrader_meta
from grader.plan.blueprint import SKIP_TAG, Blueprint, TestCell
from grader.plan.matching import Matched


def _kernel_case(case: dict) -> list:
    """What the kernel gets of a stored case: its seed, the stand-ins' results and, where the
    check has them, the course's fallback functions (never the expected result)."""
    return [case["seed"], case.get("stand_ins", {}), *(
        [case["fallbacks"]] if "fallbacks" in case else [])]


def harvest_source(plan: Blueprint, test: TestCell, nonce: str, index: int) -> str:
    """The cell that replaces a test cell: it runs the student's objects on each case of the
    ``index``-th harvest cell's cases (made from the case's own seed, never the course's hidden
    seed) and hands the records over."""
    calls = ",\n    ".join(f"({name!r}, {variant!r}, lambda: ({expression}))"
                           for name, variant, expression in test.calls)
    return (f"from course_lib.exercises import harvest as _grader_harvest\n"
            f"_grader_harvest({plan.assignment!r}, {nonce!r}, {test.grade_id!r}, {index}, [\n"
            f"    {calls},\n])")


def harvest_cases(test: TestCell, stored: dict) -> list:
    """What the kernel gets for one harvest cell: per call, its stored cases."""
    return [[_kernel_case(case) for case in stored["checks"][name][variant]]
            for name, variant, _ in test.calls]


def grading_notebook(plan: Blueprint, matched: Matched, nonce: str, stored: dict
                     ) -> tuple[nbformat.NotebookNode, list[dict], list[list]]:
    """The notebook to execute; for each of its cells what it is (for error reports); and the
    cases of each harvest cell, in order, which the kernel reads from files
    (``course_lib.exercises.CASES_VARIABLE``) rather than from the cells' source."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    roles = []
    cases = []

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
                    add(harvest_source(plan, plan.tests[gid], nonce, len(cases)),
                        {"kind": "test", "grade_id": gid, "position": slot + 1})
                    cases.append(harvest_cases(plan.tests[gid], stored))
                elif gid in plan.answers:
                    for source, position in matched.answers[gid]:
                        add(source, {"kind": "answer", "grade_id": gid, "position": position})
                else:
                    add(cell["source"], {"kind": "given", "grade_id": gid,
                                         "position": slot + 1})
        for source, position in matched.extra.get(slot, []):
            add(source, {"kind": "extra", "grade_id": None, "position": position})
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb, roles, cases
