"""The notebook the grader executes: the instructor's cells, the student's answers and added code
in their places, and each test cell replaced by a cell that harvests the student's results."""
from __future__ import annotations

import json

from grader.nbgrader.notebooks import nbgrader_meta
from grader.plan.blueprint import SKIP_TAG, Blueprint, TestCell
from grader.plan.matching import Matched


def _kernel_case(case: dict) -> list:
    """What the kernel gets of a stored case: its seed, the stand-ins' results and, where the
    check has them, the course's fallback functions (never the expected result)."""
    return [case["seed"], case.get("stand_ins", {}), *(
        [case["fallbacks"]] if "fallbacks" in case else [])]


def harvest_source(plan: Blueprint, test: TestCell, nonce: str, stored: dict) -> str:
    """The cell that replaces a test cell: it runs the student's objects on each case (made from
    the case's own seed, never the course's hidden seed) and hands the records over."""
    cases = [[_kernel_case(case) for case in stored["checks"][name][variant]]
             for name, variant, _ in test.calls]
    calls = ",\n    ".join(f"({name!r}, {variant!r}, _grader_cases[{i}], lambda: ({expression}))"
                           for i, (name, variant, expression) in enumerate(test.calls))
    return (f"import json as _grader_json\n"
            f"from course_lib.exercises import harvest as _grader_harvest\n"
            f"_grader_cases = _grader_json.loads({json.dumps(cases)!r})\n"
            f"_grader_harvest({plan.assignment!r}, {nonce!r}, {test.grade_id!r}, [\n    {calls},\n])\n"
            f"del _grader_cases")


def grading_notebook(plan: Blueprint, matched: Matched, nonce: str, stored: dict
                     ) -> tuple[nbformat.NotebookNode, list[dict]]:
    """The notebook to execute, and for each of its cells what it is (for error reports)."""
    import nbformat

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
                    for source, position in matched.answers[gid]:
                        add(source, {"kind": "answer", "grade_id": gid, "position": position})
                else:
                    add(cell["source"], {"kind": "given", "grade_id": gid,
                                         "position": slot + 1})
        for source, position in matched.extra.get(slot, []):
            add(source, {"kind": "extra", "grade_id": None, "position": position})
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb, roles
